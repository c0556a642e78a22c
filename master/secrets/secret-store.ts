/**
 * The master's secrets: `<data-dir>/secrets.db` (better-sqlite3, WAL, synchronous=FULL) holds each secret's
 * name, sealed value (cipher.ts), size, times and grant list; the key is read from a file that must not be
 * inside the data dir, and only when a value is sealed or opened (a master nobody gave a secret never makes one).
 * `list` never returns values; `reveal` is for the launch path only (launch-secrets.ts). The grant lists are also
 * kept in memory: the core's `SecretCatalog`, read synchronously at ACCEPT.
 */
import Database from 'better-sqlite3';
import { mkdirSync, realpathSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { MAX_SECRET_BYTES, SECRET_NAME_RE, SecretPrincipalSchema } from '../../sdk';
import type { SecretCatalog } from './access';
import { loadOrCreateKey, seal, unseal, SecretKeyError } from './cipher';

export { MAX_SECRET_BYTES };

export interface SecretEntry {
  name: string;
  createdAt: number;
  updatedAt: number;
  bytes: number;
  grants: string[];
}

/** Bad input to the store, naming the field; nothing was changed. */
export class SecretInputError extends Error {
  constructor(
    readonly code: 'INVALID' | 'NOT_FOUND',
    message: string,
  ) {
    super(message);
    this.name = 'SecretInputError';
  }
}

export class SecretStore implements SecretCatalog {
  private readonly db: Database.Database;
  private key?: Buffer;
  /** name → principals granted; every secret has an entry (maybe empty). */
  private readonly grants = new Map<string, Set<string>>();

  private constructor(
    db: Database.Database,
    private readonly keyFile: string,
    private readonly now: () => number,
  ) {
    this.db = db;
    for (const { name } of db.prepare('SELECT name FROM secrets').all() as { name: string }[])
      this.grants.set(name, new Set());
    for (const r of db.prepare('SELECT name, principal FROM secret_grants').all() as {
      name: string;
      principal: string;
    }[])
      this.grants.get(r.name)?.add(r.principal);
  }

  /** Opens the store in `dataDir` with the key at `keyFile` (created 0400 at the first put), refusing a key beside the data. */
  static open(dataDir: string, keyFile: string, now: () => number = Date.now): SecretStore {
    mkdirSync(dataDir, { recursive: true });
    if (isInside(realDir(dataDir), realDir(dirname(resolve(keyFile))))) {
      throw new SecretKeyError(
        `secret key file ${keyFile} is inside the data dir ${dataDir}: keep it elsewhere (--secret-key-file), or a copy of the data dir holds the secrets in the clear`,
      );
    }
    const db = new Database(join(dataDir, 'secrets.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL'); // a put acknowledged to the operator survives power loss
    db.exec(`CREATE TABLE IF NOT EXISTS secrets (name TEXT PRIMARY KEY, sealed BLOB NOT NULL, bytes INTEGER NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS secret_grants (name TEXT NOT NULL, principal TEXT NOT NULL, PRIMARY KEY (name, principal))`);
    return new SecretStore(db, resolve(keyFile), now);
  }

  /** Creates or replaces a secret's value, adding `grants` to those it has. */
  put(name: string, value: Buffer, grants: readonly string[] = []): { created: boolean } {
    checkName(name);
    if (value.length === 0) throw new SecretInputError('INVALID', `value: secret '${name}' is empty`);
    if (value.length > MAX_SECRET_BYTES)
      throw new SecretInputError(
        'INVALID',
        `value: secret '${name}' is ${value.length} bytes, more than ${MAX_SECRET_BYTES}`,
      );
    grants.forEach(checkPrincipal);
    const sealed = seal(this.loadKey(), name, value);
    const t = this.now();
    const had = this.grants.has(name);
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO secrets (name, sealed, bytes, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT(name) DO UPDATE SET sealed = excluded.sealed, bytes = excluded.bytes, updated_at = excluded.updated_at`,
        )
        .run(name, sealed, value.length, t, t);
      const add = this.db.prepare('INSERT OR IGNORE INTO secret_grants (name, principal) VALUES (?, ?)');
      for (const p of grants) add.run(name, p);
    })();
    const set = this.grants.get(name) ?? new Set<string>();
    for (const p of grants) set.add(p);
    this.grants.set(name, set);
    return { created: !had };
  }

  /** Grants and revokes principals on an existing secret; returns its grants after. */
  changeGrants(name: string, grant: readonly string[], revoke: readonly string[]): string[] {
    checkName(name);
    [...grant, ...revoke].forEach(checkPrincipal);
    const set = this.grants.get(name);
    if (!set) throw new SecretInputError('NOT_FOUND', `name: no secret '${name}'`);
    this.db.transaction(() => {
      const add = this.db.prepare('INSERT OR IGNORE INTO secret_grants (name, principal) VALUES (?, ?)');
      const del = this.db.prepare('DELETE FROM secret_grants WHERE name = ? AND principal = ?');
      for (const p of grant) add.run(name, p);
      for (const p of revoke) del.run(name, p);
    })();
    for (const p of grant) set.add(p);
    for (const p of revoke) set.delete(p);
    return [...set].sort();
  }

  grantsOf(name: string): ReadonlySet<string> | undefined {
    return this.grants.get(name);
  }

  list(): SecretEntry[] {
    return (
      this.db.prepare('SELECT name, bytes, created_at, updated_at FROM secrets ORDER BY name').all() as {
        name: string;
        bytes: number;
        created_at: number;
        updated_at: number;
      }[]
    ).map((r) => ({
      name: r.name,
      bytes: r.bytes,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
      grants: [...(this.grants.get(r.name) ?? [])].sort(),
    }));
  }

  remove(name: string): boolean {
    checkName(name);
    const removed = this.db.transaction(() => {
      this.db.prepare('DELETE FROM secret_grants WHERE name = ?').run(name);
      return this.db.prepare('DELETE FROM secrets WHERE name = ?').run(name).changes > 0;
    })();
    this.grants.delete(name);
    return removed;
  }

  /** The values of `names` that exist (utf8), for one LAUNCH. Never logged, never returned by an API. */
  reveal(names: Iterable<string>): Map<string, string> {
    const get = this.db.prepare('SELECT sealed FROM secrets WHERE name = ?');
    const out = new Map<string, string>();
    for (const name of new Set(names)) {
      const row = get.get(name) as { sealed: Buffer } | undefined;
      if (row) out.set(name, unseal(this.loadKey(), name, row.sealed).toString('utf8'));
    }
    return out;
  }

  close(): void {
    this.db.close();
  }

  private loadKey(): Buffer {
    this.key ??= loadOrCreateKey(this.keyFile);
    return this.key;
  }
}

function checkName(name: string): void {
  if (name === '') throw new SecretInputError('INVALID', 'name: required (a secret name like db-pass)');
  if (!SECRET_NAME_RE.test(name))
    throw new SecretInputError(
      'INVALID',
      `name: '${name}' is not a secret name (1–128 of a-z 0-9 . _ -, starting with a letter or digit; no slashes)`,
    );
}

function checkPrincipal(p: string): void {
  const r = SecretPrincipalSchema.safeParse(p);
  if (!r.success) throw new SecretInputError('INVALID', `grants: '${p}': ${r.error.issues[0]?.message}`);
}

function realDir(dir: string): string {
  try {
    return realpathSync(dir);
  } catch {
    return resolve(dir);
  }
}

function isInside(root: string, dir: string): boolean {
  const rel = relative(root, dir);
  return rel === '' || (!rel.startsWith('..') && !rel.startsWith('/'));
}
