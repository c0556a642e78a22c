/**
 * The HTTP API's tokens, Nomad-style: each has a public accessor id (to list and revoke it) and a secret (the
 * bearer credential, shown once at creation). Only a SHA-256 of the secret is stored — secrets are 32 random
 * bytes, so a fast hash is enough, and a stolen tokens.db gives no usable credential. A revoked token is
 * deleted, so it is refused from then on. Own SQLite file in the master's data dir (`tokens.db`), written with
 * `synchronous = FULL`: a token created or revoked is on disk before the reply.
 *
 * Bootstrap: a master whose store is empty creates one admin token named `bootstrap` and writes its secret to
 * a file (mode 0600) in its data dir — `agora up` prints where; the CLI finds it through AGORA_HOME.
 */
import Database from 'better-sqlite3';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { HTTP_ROLES, type HttpRole, type TokenView } from '../../sdk';

/** Secrets start with this prefix so that a leaked one is recognisable (secret scanners, logs). */
export const SECRET_PREFIX = 'agora_';
export const BOOTSTRAP_TOKEN_FILE = 'admin.token';

export interface StoredToken extends TokenView {
  hash: string;
}

export class TokenError extends Error {
  constructor(
    readonly code: 'INVALID' | 'NOT_FOUND',
    message: string,
  ) {
    super(message);
    this.name = 'TokenError';
  }
}

export const hashSecret = (secret: string) => createHash('sha256').update(secret, 'utf8').digest('hex');

export class TokenStore {
  private readonly db: Database.Database;

  constructor(
    dataDir: string,
    private readonly now: () => number = Date.now,
  ) {
    mkdirSync(dataDir, { recursive: true });
    this.db = new Database(join(dataDir, 'tokens.db'));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(`CREATE TABLE IF NOT EXISTS http_tokens (
      accessor TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, role TEXT NOT NULL, hash TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL)`);
  }

  /** Creates a token; the secret is returned here and never again. */
  create(name: string, role: string): TokenView & { secret: string } {
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/.test(name))
      throw new TokenError(
        'INVALID',
        `name: '${name}' must be 1–63 of a-z A-Z 0-9 _ . - (starting with a letter or digit)`,
      );
    if (!(HTTP_ROLES as readonly string[]).includes(role))
      throw new TokenError('INVALID', `role: '${role}' is not a role (known: ${HTTP_ROLES.join(', ')})`);
    if (this.db.prepare('SELECT 1 FROM http_tokens WHERE name = ?').get(name))
      throw new TokenError('INVALID', `name: a token named '${name}' exists (revoke it first)`);
    const secret = `${SECRET_PREFIX}${randomBytes(32).toString('base64url')}`;
    const token: TokenView = { accessor: randomUUID(), name, role: role as HttpRole, createdAt: this.now() };
    this.db
      .prepare('INSERT INTO http_tokens (accessor, name, role, hash, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(token.accessor, token.name, token.role, hashSecret(secret), token.createdAt);
    return { ...token, secret };
  }

  /** The token a secret belongs to, or undefined (unknown or revoked). */
  resolve(secret: string): TokenView | undefined {
    const row = this.db
      .prepare('SELECT accessor, name, role, created_at AS createdAt FROM http_tokens WHERE hash = ?')
      .get(hashSecret(secret)) as TokenView | undefined;
    return row ? { ...row } : undefined;
  }

  list(): TokenView[] {
    return this.db
      .prepare('SELECT accessor, name, role, created_at AS createdAt FROM http_tokens ORDER BY created_at, name')
      .all() as TokenView[];
  }

  /** Revokes by accessor id (or by name); returns the revoked token. */
  revoke(accessorOrName: string): TokenView {
    const row = this.db
      .prepare('SELECT accessor, name, role, created_at AS createdAt FROM http_tokens WHERE accessor = ? OR name = ?')
      .get(accessorOrName, accessorOrName) as TokenView | undefined;
    if (!row) throw new TokenError('NOT_FOUND', `no token with accessor or name '${accessorOrName}'`);
    this.db.prepare('DELETE FROM http_tokens WHERE accessor = ?').run(row.accessor);
    return row;
  }

  count(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM http_tokens').get() as { n: number }).n;
  }

  /**
   * On a master's first start (no tokens yet): an admin token named `bootstrap`, its secret written to `file`
   * (0600). Returns the file when it made one. A file left from an earlier store holds a secret nobody
   * accepts any more, so it is replaced.
   */
  bootstrap(file: string): string | undefined {
    if (this.count() > 0) return undefined;
    mkdirSync(dirname(file), { recursive: true });
    if (existsSync(file)) rmSync(file);
    const t = this.create('bootstrap', 'admin');
    writeFileSync(file, `${t.secret}\n`, { mode: 0o600, flag: 'wx' });
    return file;
  }

  close(): void {
    this.db.close();
  }
}
