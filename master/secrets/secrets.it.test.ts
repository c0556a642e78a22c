import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { maskSecretRefs, secretEnv, secretRefsProblem } from './access';
import { withSecretValues } from './launch-secrets';
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
  expect(existsSync(join(keys, 'k.key'))).toBe(false); // no key until the first secret
  expect(store.put('db-pass', Buffer.from('s3cr3t-value'), ['spark'])).toEqual({ created: true });
  expect(statSync(join(keys, 'k.key')).mode & 0o777).toBe(0o400);
  expect(store.put('db-pass', Buffer.from('s3cr3t-value-2'), ['*'])).toEqual({ created: false });
  expect(store.list()).toEqual([
    { name: 'db-pass', bytes: 14, createdAt: 1000, updatedAt: 1000, grants: ['*', 'spark'] },
  ]);
  expect(store.reveal(['db-pass', 'missing'])).toEqual(new Map([['db-pass', 's3cr3t-value-2']]));
  expect(store.changeGrants('db-pass', ['ci'], ['*'])).toEqual(['ci', 'spark']);
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
  // Grants come back from disk at the next open.
  const again = SecretStore.open(data, join(keys, 'k.key'));
  expect(again.grantsOf('db-pass')).toEqual(new Set(['ci', 'spark']));
  expect(again.remove('db-pass')).toBe(true);
  expect(again.remove('db-pass')).toBe(false);
  expect(again.grantsOf('db-pass')).toBeUndefined();
  again.close();
});

it('refuses bad input naming the field, changing nothing', () => {
  const store = SecretStore.open(tmp(), join(tmp(), 'k.key'));
  expect(() => store.put('', Buffer.from('x'))).toThrow(/^name: required/);
  expect(() => store.put('a/b', Buffer.from('x'))).toThrow(/^name: 'a\/b' is not a secret name/);
  expect(() => store.put('Bad Name', Buffer.from('x'))).toThrow(/not a secret name/);
  expect(() => store.put('big', Buffer.alloc(64 * 1024 + 1, 1))).toThrow(
    /^value: secret 'big' is 65537 bytes, more than 65536/,
  );
  expect(() => store.put('empty', Buffer.alloc(0))).toThrow(/^value: secret 'empty' is empty/);
  expect(() => store.put('ok', Buffer.from('x'), ['has space'])).toThrow(/^grants: 'has space'/);
  expect(() => store.changeGrants('nope', ['a'], [])).toThrow(/^name: no secret 'nope'/);
  expect(store.list()).toEqual([]);
  store.close();
});

it('refuses a key file inside the data dir', () => {
  const data = tmp();
  expect(() => SecretStore.open(data, join(data, 'keys', 'k.key'))).toThrow(/inside the data dir/);
});

it('checks references against the grants, masks them, and resolves them only into a LAUNCH', () => {
  const catalog = {
    grantsOf: (n: string) =>
      ({ 'db-pass': new Set(['spark']), 'api-key': new Set<string>(), shared: new Set(['*']) })[n],
  };
  const refs = { DB_PASSWORD: 'db-pass', API: 'api-key' };
  expect(secretRefsProblem(catalog, 'spark', { DB_PASSWORD: 'db-pass', S: 'shared' }, 't')).toBeUndefined();
  expect(secretRefsProblem(catalog, undefined, { S: 'shared' }, 't')).toBeUndefined();
  expect(secretRefsProblem(catalog, 'spark', undefined, 't')).toBeUndefined();
  expect(secretRefsProblem(catalog, 'spark', refs, 't')).toBe(
    "t.secrets.API: principal 'spark' may not read secret 'api-key' (permission secret:read not granted; agora secret grant api-key spark)",
  );
  expect(secretRefsProblem(catalog, undefined, refs, 't')).toMatch(
    /a framework without a principal may not read secret 'db-pass'/,
  );
  expect(secretRefsProblem(catalog, 'spark', { X: 'gone' }, 't')).toMatch(/^t.secrets.X: no secret 'gone'/);
  expect(maskSecretRefs(refs)).toEqual({ DB_PASSWORD: '<secret:db-pass>', API: '<secret:api-key>' });
  expect(secretEnv({ DB_PASSWORD: 'db-pass' }, new Map([['db-pass', 'v']]), 'task.secrets')).toEqual({
    DB_PASSWORD: 'v',
  });
  expect(() => secretEnv(refs, new Map([['db-pass', 'v']]), 'task.secrets')).toThrow(
    /no secret 'api-key' \(create it with agora secret put api-key\)/,
  );
  const reader = { reveal: (names: Iterable<string>) => new Map([...names].map((n) => [n, `value-of-${n}`])) };
  const task = { taskId: 't', name: 't', agentId: 'a', resources: [], command: { value: 'true' } };
  const launch = { type: 'LAUNCH' as const, frameworkId: 'f', framework: { id: 'f', name: 'f' }, role: '*', task };
  expect(withSecretValues(reader, launch)).toBe(launch);
  expect(withSecretValues(reader, { ...launch, task: { ...task, secrets: { DB: 'db-pass' } } })).toMatchObject({
    secretEnv: { DB: 'value-of-db-pass' },
  });
  expect(
    withSecretValues(reader, { ...launch, task: { ...task, secretFiles: { 'conf/db.pass': 'db-pass' } } }),
  ).toMatchObject({ secretFiles: { 'conf/db.pass': 'value-of-db-pass' } });
  expect(secretRefsProblem(catalog, 'spark', { 'conf/k': 'api-key' }, 't', 'secretFiles')).toMatch(
    /^t.secretFiles.conf\/k: principal 'spark' may not read secret 'api-key'/,
  );
  expect(() =>
    withSecretValues({ reveal: () => new Map() }, { ...launch, task: { ...task, secrets: { DB: 'db-pass' } } }),
  ).toThrow(/task.secrets.DB: no secret 'db-pass'/);
});
