import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkSecretAccess, checkSecretRefs, maskSecretRefs, secretEnv } from './access';
import { defaultSecretKeyPath, loadOrCreateKey, seal, unseal } from './cipher';
import { SecretStore } from './secret-store';

const made: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'agora-secrets-'));
  made.push(d);
  return d;
};
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

it('seals with AES-256-GCM bound to the name: another key, another name or a flipped byte does not open', () => {
  const key = Buffer.alloc(32, 7);
  const sealed = seal(key, 'db-pass', Buffer.from('hunter2'));
  expect(unseal(key, 'db-pass', sealed).toString()).toBe('hunter2');
  expect(sealed.includes(Buffer.from('hunter2'))).toBe(false);
  expect(() => unseal(Buffer.alloc(32, 8), 'db-pass', sealed)).toThrow(/does not open with this key/);
  expect(() => unseal(key, 'other', sealed)).toThrow(/does not open/);
  const flipped = Buffer.from(sealed);
  flipped[flipped.length - 1]! ^= 1;
  expect(() => unseal(key, 'db-pass', flipped)).toThrow(/altered/);
});

it('creates the key file 0400 in a 0700 directory, reads it back, and refuses one readable by others', () => {
  const dir = tmp();
  const file = join(dir, 'keys', 'c.key');
  const key = loadOrCreateKey(file);
  expect(key.length).toBe(32);
  expect(statSync(file).mode & 0o777).toBe(0o400);
  expect(statSync(join(dir, 'keys')).mode & 0o777).toBe(0o700);
  expect(loadOrCreateKey(file).equals(key)).toBe(true);
  const loose = join(dir, 'loose.key');
  writeFileSync(loose, Buffer.alloc(32), { mode: 0o644 });
  expect(() => loadOrCreateKey(loose)).toThrow(/readable by others/);
  expect(defaultSecretKeyPath('/var/lib/agora', '/home/op')).toMatch(/\.config\/agora\/keys\/[0-9a-f]{16}\.key$/);
});

it('stores values encrypted at rest, lists without values, reveals for a launch, removes', () => {
  const data = tmp();
  const keys = tmp();
  const store = SecretStore.open(data, join(keys, 'k.key'), () => 1000);
  expect(store.put('db-pass', Buffer.from('s3cr3t-value'))).toEqual({ created: true });
  expect(store.put('db-pass', Buffer.from('s3cr3t-value-2'))).toEqual({ created: false });
  expect(store.list()).toEqual([{ name: 'db-pass', bytes: 14, createdAt: 1000, updatedAt: 1000 }]);
  expect(store.reveal(['db-pass', 'missing'])).toEqual(new Map([['db-pass', 's3cr3t-value-2']]));
  store.close();
  // Nothing in the data dir holds the value in the clear.
  const raw = new Database(join(data, 'secrets.db'), { readonly: true });
  const rows = raw.prepare('SELECT * FROM secrets').all();
  raw.close();
  expect(JSON.stringify(rows)).not.toContain('s3cr3t');
  for (const f of ['secrets.db', 'secrets.db-wal']) {
    try {
      expect(readFileSync(join(data, f)).includes(Buffer.from('s3cr3t'))).toBe(false);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  const again = SecretStore.open(data, join(keys, 'k.key'));
  expect(again.remove('db-pass')).toBe(true);
  expect(again.remove('db-pass')).toBe(false);
  expect(() => again.put('Bad Name', Buffer.from('x'))).toThrow(/not a secret name/);
  again.close();
});

it('refuses a key file inside the data dir', () => {
  const data = tmp();
  expect(() => SecretStore.open(data, join(data, 'keys', 'k.key'))).toThrow(/inside the data dir/);
});

it('grants, masks and resolves references', () => {
  const refs = { DB_PASSWORD: 'db-pass', API: 'api-key' };
  expect(() => checkSecretRefs(refs, 'task.secrets')).not.toThrow();
  expect(() => checkSecretRefs({ 'bad-env': 'x' }, 'task.secrets')).toThrow(
    /task.secrets.bad-env: 'bad-env' is not an environment variable name/,
  );
  expect(() => checkSecretAccess('spark', new Set(['db-pass']), refs, 'task.secrets')).toThrow(
    "task.secrets.API: principal 'spark' may not read secret 'api-key'",
  );
  expect(() => checkSecretAccess('ops', '*', refs, 'task.secrets')).not.toThrow();
  expect(() => checkSecretAccess('spark', new Set(), {}, 'task.secrets')).not.toThrow();
  expect(maskSecretRefs(refs)).toEqual({ DB_PASSWORD: '<secret:db-pass>', API: '<secret:api-key>' });
  expect(secretEnv({ DB_PASSWORD: 'db-pass' }, new Map([['db-pass', 'v']]), 'task.secrets')).toEqual({
    DB_PASSWORD: 'v',
  });
  expect(() => secretEnv(refs, new Map([['db-pass', 'v']]), 'task.secrets')).toThrow(
    /no secret 'api-key' \(agora secret put api-key\)/,
  );
});
