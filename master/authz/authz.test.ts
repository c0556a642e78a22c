import { ApiError, FakeClock, FrameworkInfoSchema, createLogger, type PrincipalRecord, type SchedulerCall } from '../../sdk';
import { Authz } from './authz';
import { decide } from './acl';

const spark: PrincipalRecord = { name: 'spark', kind: 'framework', roles: ['analytics'], taskUsers: ['nobody'], apis: [], servesApis: [], users: [], createdAt: 0 };

function authz() {
  const lines: object[] = [];
  const log = createLogger('authz-test', { level: 'silent', pretty: false });
  log.warn = ((o: object) => { lines.push(o); }) as never;
  const clock = new FakeClock();
  return { a: new Authz({ version: 1, principals: [spark, { ...spark, name: 'gone', revokedAt: 1 }] }, undefined, log, clock), lines, clock };
}

describe('ACLs', () => {
  it('grants only the roles and users listed (ANY grants all), and nothing to a revoked or unknown principal', () => {
    expect(decide(spark, { type: 'register', role: 'analytics' })).toEqual({ allowed: true });
    expect(decide(spark, { type: 'register', role: 'eng' })).toMatchObject({ allowed: false, permission: 'register_frameworks(role=eng)' });
    expect(decide(spark, { type: 'run_as', user: 'root' })).toMatchObject({ allowed: false, permission: 'run_tasks(user=root)' });
    expect(decide({ ...spark, taskUsers: ['ANY'] }, { type: 'run_as', user: 'root' })).toEqual({ allowed: true });
    expect(decide(spark, { type: 'reserve', role: 'eng' })).toMatchObject({ allowed: false });
    expect(decide({ ...spark, revokedAt: 5 }, { type: 'register', role: 'analytics' })).toMatchObject({ allowed: false, reason: 'principal revoked' });
    expect(decide(undefined, { type: 'register', role: 'analytics' })).toMatchObject({ allowed: false, reason: 'unknown principal' });
    expect(decide(spark, { type: 'teardown', frameworkId: 'f' }, 'other')).toMatchObject({ allowed: false });
    expect(decide(spark, { type: 'kill', frameworkId: 'f' }, 'spark')).toEqual({ allowed: true });
  });
});

describe('Authz', () => {
  const subscribe = (id: string, roles = ['analytics'], principal?: string): SchedulerCall => ({ type: 'SUBSCRIBE', framework: FrameworkInfoSchema.parse({ id, name: id, roles, principal }) });

  it('binds a framework id to its first subscriber and refuses it to every other principal', () => {
    const { a } = authz();
    const admitted = a.admit('spark', 'f1', subscribe('f1', ['analytics'], 'admin'));
    expect(admitted.type === 'SUBSCRIBE' && admitted.framework.principal).toBe('spark');
    expect(a.ownerOf('f1')).toBe('spark');
    expect(() => a.admit('gone', 'f1', subscribe('f1'))).toThrow(/principal 'gone' lacks permission use_framework\(framework=f1\)/);
    expect(() => a.admit('spark', 'f2', { type: 'HEARTBEAT' })).toThrow(/never subscribed/);
    expect(a.ownerOf('f2')).toBeUndefined();
  });

  it('FORBIDDEN names principal and permission; refusals are logged once a minute per principal and permission', () => {
    const { a, lines, clock } = authz();
    for (let i = 0; i < 5; i++) {
      try { a.admit('spark', `x${i}`, subscribe(`x${i}`, ['eng'])); throw new Error('allowed'); } catch (e) {
        expect(e).toBeInstanceOf(ApiError);
        expect((e as ApiError).code).toBe('FORBIDDEN');
        expect((e as Error).message).toMatch(/^principal 'spark' lacks permission register_frameworks\(role=eng\)/);
      }
    }
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ principal: 'spark', permission: 'register_frameworks(role=eng)' });
    clock.advance(60_000);
    expect(() => a.admit('spark', 'y', subscribe('y', ['eng']))).toThrow();
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ suppressedSinceLast: 4 });
    expect(a.store.frameworks ?? {}).toEqual({});
  });
});
