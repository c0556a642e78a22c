/**
 * The master's secrets: `<data-dir>/secrets.db` (better-sqlite3, WAL, synchronous=FULL) holds each secret's
 * name, sealed value (cipher.ts) and times; the key is read from a file that must not be inside the data dir.
 * `list` never returns values; `reveal` is for the launch path only (resolving a task's references).
 */
import Database from 'better-sqlite3';
import { mkdirSync, realpathSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { SECRET_NAME } from './access';
import { loadOrCreateKey, seal, unseal, SecretKeyError } from './cipher';

export interface SecretEntry {
  name: string;
  createdAt: number;
  updatedAt: number;
  bytes: number;
}

/** Values larger than this are refused (a secret is a password or a key, not a file system). */
export const MAX_SECRET_BYTES = 64 * 1024;

export class SecretStore {
  private readonly db: Database.Database;

  private constructor(
    db: Database.Database,
    private readonly key: Buffer,
    private readonly now: () => number,
  ) {
    this.db = db;
  }

  /** Opens the store in `dataDir` with the key at `keyFile` (created 0400 when missing), refusing a key beside the data. */
  static open(dataDir: string, keyFile: string, now: () => number = Date.now): SecretStore {
    mkdirSync(dataDir, { recursive: true });
    if (isInside(realDir(dataDir), realDir(dirname(resolve(keyFile))))) {
      throw new SecretKeyError(
        `secret key file ${keyFile} is inside the data dir ${dataDir}: keep it elsewhere (--secret-key-file), or a copy of the data dir holds the secrets in the clear`,
      );
    }
    const key = loadOrCreateKey(resolve(keyFile));
    const db = new Database(join(dataDir, 'secrets.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL'); // a put acknowledged to the operator survives power loss
    db.exec(
      'CREATE TABLE IF NOT EXISTS secrets (name TEXT PRIMARY KEY, sealed BLOB NOT NULL, bytes INTEGER NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)',
    );
    return new SecretStore(db, key, now);
  }

  put(name: string, value: Buffer): { created: boolean } {
    if (!SECRET_NAME.test(name))
      throw new RangeError(`name: '${name}' is not a secret name (lower case letters, digits, . _ -; at most 128)`);
    if (value.length === 0) throw new RangeError(`value: secret '${name}' is empty`);
    if (value.length > MAX_SECRET_BYTES)
      throw new RangeError(`value: secret '${name}' is ${value.length} bytes, more than ${MAX_SECRET_BYTES}`);
    const t = this.now();
    const had = this.db.prepare('SELECT 1 FROM secrets WHERE name = ?').get(name) !== undefined;
    this.db
      .prepare(
        `INSERT INTO secrets (name, sealed, bytes, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT(name) DO UPDATE SET sealed = excluded.sealed, bytes = excluded.bytes, updated_at = excluded.updated_at`,
      )
      .run(name, seal(this.key, name, value), value.length, t, t);
    return { created: !had };
  }

  list(): SecretEntry[] {
    return (
      this.db.prepare('SELECT name, bytes, created_at, updated_at FROM secrets ORDER BY name').all() as {
        name: string;
        bytes: number;
        created_at: number;
        updated_at: number;
      }[]
    ).map((r) => ({ name: r.name, bytes: r.bytes, createdAt: r.created_at, updatedAt: r.updated_at }));
  }

  remove(name: string): boolean {
    return this.db.prepare('DELETE FROM secrets WHERE name = ?').run(name).changes > 0;
  }

  /** The values of `names` that exist (utf8), for one LAUNCH. Never logged, never returned by an API. */
  reveal(names: Iterable<string>): Map<string, string> {
    const get = this.db.prepare('SELECT sealed FROM secrets WHERE name = ?');
    const out = new Map<string, string>();
    for (const name of new Set(names)) {
      const row = get.get(name) as { sealed: Buffer } | undefined;
      if (row) out.set(name, unseal(this.key, name, row.sealed).toString('utf8'));
    }
    return out;
  }

  close(): void {
    this.db.close();
  }
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
