/**
 * The HTTP API's access rules without a server: every route the master registers is classified (a new write
 * route nobody classified is refused at start), roles hold the permissions they should, refusals are logged
 * once a minute per token and permission (fake clock), and the token store keeps only hashes.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock, permissionsOf } from '../../sdk';
import { RefusalLog, routeAccess } from './auth';
import { TokenStore, hashSecret } from './tokens';

describe('routeAccess', () => {
  it.each([
    ['GET', '/health', 'open'],
    ['GET', '/', 'open'],
    ['GET', '/app.js', 'open'],
    ['GET', '/api/v1/state', 'cluster:read'],
    ['GET', '/api/v1/events', 'cluster:read'],
    ['GET', '/api/v1/apps/*', 'cluster:read'],
    ['GET', '/metrics', 'metrics:read'],
    ['GET', '/api/v1/sd/agents', 'metrics:read'],
    ['GET', '/api/v1/tasks/:id/files', 'sandbox:read'],
    ['GET', '/api/v1/tasks/:id/files/read', 'sandbox:read'],
    ['POST', '/api/v1/agents/:id/drain', 'agent:drain'],
    ['POST', '/api/v1/tasks/:id/kill', 'task:kill'],
    ['POST', '/api/v1/apps/*', 'framework:operate'],
    ['DELETE', '/api/v1/apps/*', 'framework:operate'],
    ['POST', '/api/v1/jobs/:name/run', 'framework:operate'],
    ['PUT', '/api/v1/roles/*', 'role:write'],
    ['GET', '/api/v1/tokens', 'token:manage'],
    ['POST', '/api/v1/tokens', 'token:manage'],
    ['GET', '/api/v1/secrets', 'secret:manage'],
    ['PUT', '/api/v1/secrets/:name', 'secret:manage'],
    ['DELETE', '/api/v1/secrets/:name', 'secret:manage'],
    ['POST', '/api/v1/secrets/:name/grants', 'secret:manage'],
    ['GET', '/api/v1/auth/self', 'authenticated'],
  ])('%s %s → %s', (method, url, access) => expect(routeAccess(method, url)).toBe(access));

  it('refuses a write route nobody classified, so it cannot be open by accident', () => {
    expect(() => routeAccess('POST', '/api/v1/agents/:id/reboot')).toThrow(
      /POST \/api\/v1\/agents\/:id\/reboot has no permission/,
    );
  });
});

describe('roles', () => {
  it('viewer reads; operator also drains, kills, reads sandboxes and operates apps and jobs; admin also sets quotas and manages tokens', () => {
    expect(permissionsOf('viewer')).toEqual(['cluster:read', 'metrics:read']);
    expect(permissionsOf('operator')).toEqual([
      'cluster:read',
      'metrics:read',
      'sandbox:read',
      'agent:drain',
      'task:kill',
      'framework:operate',
    ]);
    expect(permissionsOf('admin')).toEqual(expect.arrayContaining(['role:write', 'token:manage', 'agent:drain']));
    expect(permissionsOf(undefined)).toEqual([]);
  });
});

describe('RefusalLog', () => {
  it('logs a refusal once a minute per token and permission, with how many were refused in between', () => {
    const clock = new FakeClock();
    const lines: { obj: Record<string, unknown>; msg: string }[] = [];
    const log = { warn: (obj: Record<string, unknown>, msg: string) => lines.push({ obj, msg }) } as never;
    const r = new RefusalLog(log, () => clock.now());
    for (let i = 0; i < 50; i++) r.refused('ci (acc-1)', 'agent:drain', 'POST /api/v1/agents/a1/drain', 403);
    r.refused('ci (acc-1)', 'role:write', 'PUT /api/v1/roles/x', 403);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toEqual({
      msg: 'HTTP request refused',
      obj: {
        token: 'ci (acc-1)',
        permission: 'agent:drain',
        route: 'POST /api/v1/agents/a1/drain',
        status: 403,
        refusedSinceLastLog: 0,
      },
    });
    clock.advance(60_000);
    r.refused('ci (acc-1)', 'agent:drain', 'POST /api/v1/agents/a1/drain', 403);
    expect(lines).toHaveLength(3);
    expect(lines[2].obj.refusedSinceLastLog).toBe(49);
  });
});

describe('TokenStore', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'agora-tokens-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('stores only a hash of the secret, resolves it, and refuses it once revoked', () => {
    const store = new TokenStore(dir, () => 42);
    const t = store.create('ci', 'operator');
    expect(t.secret).toMatch(/^agora_[A-Za-z0-9_-]{43}$/);
    expect(store.resolve(t.secret)).toEqual({ accessor: t.accessor, name: 'ci', role: 'operator', createdAt: 42 });
    expect(store.resolve(`${t.secret}x`)).toBeUndefined();
    store.close();
    const db =
      readFileSync(join(dir, 'tokens.db')).toString('latin1') +
      (() => {
        try {
          return readFileSync(join(dir, 'tokens.db-wal')).toString('latin1');
        } catch {
          return '';
        }
      })();
    expect(db).not.toContain(t.secret);
    expect(db).toContain(hashSecret(t.secret));
    const again = new TokenStore(dir);
    expect(again.revoke('ci').accessor).toBe(t.accessor);
    expect(again.resolve(t.secret)).toBeUndefined();
    expect(() => again.revoke('ci')).toThrow(/no token with accessor or name 'ci'/);
    again.close();
  });

  it('refuses a bad name, an unknown role and a duplicate name, creating nothing', () => {
    const store = new TokenStore(dir);
    expect(() => store.create('bad name!', 'viewer')).toThrow(/name: 'bad name!'/);
    expect(() => store.create('x', 'root')).toThrow(/role: 'root' is not a role/);
    store.create('x', 'viewer');
    expect(() => store.create('x', 'admin')).toThrow(/a token named 'x' exists/);
    expect(store.list().map((t) => [t.name, t.role])).toEqual([['x', 'viewer']]);
    store.close();
  });

  it('bootstraps one admin token into a 0600 file on first start only', () => {
    const store = new TokenStore(dir);
    const file = join(dir, 'admin.token');
    expect(store.bootstrap(file)).toBe(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const secret = readFileSync(file, 'utf8').trim();
    expect(store.resolve(secret)).toMatchObject({ name: 'bootstrap', role: 'admin' });
    expect(store.bootstrap(file)).toBeUndefined();
    expect(readFileSync(file, 'utf8').trim()).toBe(secret);
    store.close();
  });
});
