/**
 * The master core on its own: no NATS, no SQLite, no timers. Time is a number, effects are data; each test
 * runs in milliseconds.
 */
import { AgentIdSchema, Resources, type AgentTask } from '../../sdk';
import { CoreHarness, T0, fid, task } from './test-support';
import { MasterCore } from './core';
import { MAX_OFFERS_PER_EVENT } from './timers';
import { HierarchicalDrfAllocator } from '../allocator/drf-allocator';
import { DEFAULT_MASTER_CONFIG } from '../config';

const A = AgentIdSchema.parse('a1');
const CFG = {
  agentPingTimeoutMs: 1000,
  maxAgentPingTimeouts: 3,
  agentRemovalTimeoutMs: 10_000,
  frameworkHeartbeatIntervalMs: 1000,
  maxMissedFrameworkHeartbeats: 3,
};

/** A framework f1 with task t (cpus:1;mem:128) running on a1 (cpus:4;mem:1024). */
function running(h: CoreHarness, opts: { failoverTimeoutMs?: number } = {}): void {
  h.register(A, 'cpus:4;mem:1024');
  h.subscribe('f1', opts);
  expect(h.launch('f1', task('t', A, 'cpus:1;mem:128')).launched).toEqual(['t']);
  h.status('f1', 't', A, 'TASK_RUNNING');
}
const runningReport = (h: CoreHarness): AgentTask[] => [
  { task: h.core.state.tasks.get('f1/t')!.info, frameworkId: fid('f1'), state: 'TASK_RUNNING', role: '*' },
];
/** Moves time by `ms` in steps, the agent pinging and f1 heartbeating on each, unless told otherwise. */
function pass(h: CoreHarness, ms: number, opts: { agent?: boolean; framework?: boolean } = {}): void {
  for (let t = 0; t < ms; t += 100) {
    if (opts.agent !== false && h.core.state.agents.get(A)?.state === 'ACTIVE') h.take(h.core.agentPing(A, h.now));
    if (opts.framework !== false && h.core.state.frameworks.get(fid('f1'))?.connected)
      h.take(h.core.heartbeat('f1', fid('f1'), h.now));
    h.advance(100);
  }
}

describe('framework failover', () => {
  it('within its timeout: the framework comes back, keeps its task, gets offers again', () => {
    const h = new CoreHarness(CFG);
    running(h, { failoverTimeoutMs: 5000 });
    pass(h, 3100, { framework: false });
    expect(h.core.state.frameworks.get(fid('f1'))?.connected).toBe(false);
    expect(h.core.offers.forFramework(fid('f1'))).toEqual([]);
    pass(h, 4000, { framework: false });
    expect(h.subscribe('f1', { failoverTimeoutMs: 5000 }).reregistered).toBe(true);
    expect(h.core.state.tasks.get('f1/t')?.state).toBe('TASK_RUNNING');
    expect(h.offered('f1')).toBe('cpus:3;mem:896');
  });

  it('past its timeout: removed, its task killed on the agent, its id refused ever after', () => {
    const h = new CoreHarness(CFG);
    running(h, { failoverTimeoutMs: 5000 });
    pass(h, 3100, { framework: false });
    h.clear();
    pass(h, 5000, { framework: false });
    expect(h.core.state.frameworks.has(fid('f1'))).toBe(false);
    expect(h.core.counters.frameworksFailoverExpired).toBe(1);
    expect(h.core.state.findTask('t', 'f1')?.state).toBe('TASK_KILLED');
    expect(h.commands('SHUTDOWN_FRAMEWORK')).toHaveLength(1);
    expect(h.of('PERSIST').map((e) => e.change.type)).toContain('REMOVE_FRAMEWORK');
    expect(h.of('DELETE_UPDATES')).toHaveLength(1);
    expect(() => h.subscribe('f1')).toThrow(/was removed/);
    expect(h.core.allocator.available(A)?.format()).toBe('cpus:4;mem:1024');
  });
});

describe('agent liveness', () => {
  it('silent → UNREACHABLE (tasks TASK_UNREACHABLE) → REMOVED (tasks TASK_GONE, frameworks told)', () => {
    const h = new CoreHarness(CFG);
    running(h);
    h.clear();
    pass(h, 3000, { agent: false });
    expect(h.core.state.agents.get(A)?.state).toBe('ACTIVE');
    pass(h, 200, { agent: false });
    expect(h.core.state.agents.get(A)?.state).toBe('UNREACHABLE');
    expect(h.appended()).toEqual([['t', 'TASK_UNREACHABLE', 'AGENT_UNREACHABLE']]);
    expect(h.offers('f1')).toEqual([]);
    pass(h, 10_100, { agent: false });
    expect(h.core.state.agents.get(A)?.state).toBe('REMOVED');
    expect(h.appended().at(-1)).toEqual(['t', 'TASK_GONE', 'AGENT_REMOVED']);
    expect(h.events('f1').filter((e) => e.type === 'FAILURE')).toHaveLength(1);
    expect(h.of('PERSIST').map((e) => e.change.type)).toContain('REMOVE_AGENT');
    // It comes back: a new agent for the master; the GONE task it still runs must be killed.
    const reply = h.register(A, 'cpus:4;mem:1024', [
      { task: h.core.state.findTask('t', 'f1')!.info, frameworkId: fid('f1'), state: 'TASK_RUNNING', role: '*' },
    ]);
    expect(reply.killTasks).toEqual([{ frameworkId: 'f1', taskId: 't' }]);
    expect(h.offered('f1')).toBe('cpus:4;mem:1024');
    // The reply was lost (a busy machine): it registers again, still running the task. Still GONE, still killed,
    // and its later KILLED is not news to the framework.
    h.clear();
    const again = h.register(A, 'cpus:4;mem:1024', [
      { task: h.core.state.findTask('t', 'f1')!.info, frameworkId: fid('f1'), state: 'TASK_RUNNING', role: '*' },
    ]);
    expect(again.killTasks).toEqual([{ frameworkId: 'f1', taskId: 't' }]);
    expect(h.core.state.tasks.has('f1/t')).toBe(false);
    h.status('f1', 't', A, 'TASK_KILLED');
    expect(h.appended()).toEqual([]);
    expect(h.offered('f1')).toBe('cpus:4;mem:1024');
  });
});

describe("the master's own NATS outage", () => {
  it("is not counted as anyone's silence: no agent UNREACHABLE, no framework disconnected, however long", () => {
    const h = new CoreHarness(CFG);
    running(h, { failoverTimeoutMs: 5000 });
    pass(h, 1000);
    h.clear();
    h.take(h.core.busDown(h.now));
    pass(h, 60_000, { agent: false, framework: false }); // far past ping, removal and failover timeouts
    expect(h.core.state.agents.get(A)?.state).toBe('ACTIVE');
    expect(h.core.state.frameworks.get(fid('f1'))?.connected).toBe(true);
    expect(h.appended()).toEqual([]);
    h.take(h.core.busUp(h.now));
    // Back: the silence before the outage (none) plus what follows counts, so a ping right away keeps it ACTIVE…
    pass(h, 2900, { agent: false, framework: false });
    expect(h.core.state.agents.get(A)?.state).toBe('ACTIVE');
    expect(h.core.state.frameworks.get(fid('f1'))?.connected).toBe(true);
    // …and an agent that stays silent once the master hears again is UNREACHABLE as usual.
    pass(h, 300, { agent: false, framework: false });
    expect(h.core.state.agents.get(A)?.state).toBe('UNREACHABLE');
    expect(h.core.state.frameworks.get(fid('f1'))?.connected).toBe(false);
  });

  it("pauses a removal and a failover already under way, by the outage's length", () => {
    const h = new CoreHarness(CFG);
    running(h, { failoverTimeoutMs: 5000 });
    pass(h, 3200, { agent: false, framework: false });
    expect(h.core.state.agents.get(A)?.state).toBe('UNREACHABLE');
    expect(h.core.state.frameworks.get(fid('f1'))?.connected).toBe(false);
    pass(h, 4000, { agent: false, framework: false }); // 4 s of the 10 s removal and ~4 s of the 5 s failover used
    h.take(h.core.busDown(h.now));
    pass(h, 30_000, { agent: false, framework: false });
    h.take(h.core.busUp(h.now));
    expect(h.core.state.agents.get(A)?.state).toBe('UNREACHABLE');
    expect(h.core.state.frameworks.has(fid('f1'))).toBe(true);
    pass(h, 6500, { agent: false, framework: false });
    expect(h.core.state.frameworks.has(fid('f1'))).toBe(false); // failover ran out: ~5 s heard in all
    expect(h.core.state.agents.get(A)?.state).toBe('REMOVED');
  });
});

describe('re-registration', () => {
  it('adopts running tasks, frees ended ones once, and reports tasks the agent lost', () => {
    const h = new CoreHarness(CFG);
    h.register(A, 'cpus:4;mem:1024');
    h.subscribe('f1');
    h.launch(
      'f1',
      task('run', A, 'cpus:1;mem:128'),
      task('ended', A, 'cpus:1;mem:128'),
      task('lost', A, 'cpus:1;mem:128'),
    );
    for (const t of ['run', 'ended', 'lost']) h.status('f1', t, A, 'TASK_RUNNING');
    for (const o of h.core.offers.forFramework(fid('f1')))
      h.call('f1', { type: 'DECLINE', offerIds: [o.id], filters: { refuseSeconds: 0 } });
    h.clear();
    const info = (id: string) => h.core.state.tasks.get(`f1/${id}`)!.info;
    h.register(A, 'cpus:4;mem:1024', [
      { task: info('run'), frameworkId: fid('f1'), state: 'TASK_RUNNING', role: '*' },
      { task: info('ended'), frameworkId: fid('f1'), state: 'TASK_FINISHED', role: '*' },
    ]);
    expect(h.appended()).toEqual([['lost', 'TASK_LOST', 'AGENT_RESTART']]);
    expect(h.offered('f1')).toBe('cpus:3;mem:896');
    // The ended task's own final update arrives later: not given back twice.
    h.status('f1', 'ended', A, 'TASK_FINISHED');
    expect(h.core.state.tasks.has('f1/ended')).toBe(false);
    for (const o of h.core.offers.forFramework(fid('f1')))
      h.call('f1', { type: 'DECLINE', offerIds: [o.id], filters: { refuseSeconds: 0 } });
    expect(h.offered('f1')).toBe('cpus:3;mem:896');
  });
});

describe('task sets', () => {
  it("a task another agent reports leaves the first agent's set (an agent's tasks are one fact)", () => {
    const h = new CoreHarness(CFG);
    running(h);
    const B = AgentIdSchema.parse('b1');
    h.register(B, 'cpus:4;mem:1024', runningReport(h));
    expect(h.core.state.tasks.get('f1/t')?.agentId).toBe(B);
    expect([...h.core.state.agents.get(B)!.tasks]).toEqual(['f1/t']);
    expect([...h.core.state.agents.get(A)!.tasks]).toEqual([]);
  });
});

describe('re-registration with less than its tasks use', () => {
  it('is refused naming agent.resources, and changes nothing', () => {
    const h = new CoreHarness(CFG);
    running(h);
    const offered = h.offered('f1');
    const before = h.core.snapshot();
    h.clear();
    expect(() => h.register(A, 'cpus:0.5;mem:1024', runningReport(h))).toThrow(
      expect.objectContaining({
        code: 'INVALID',
        field: 'agent.resources',
        message: expect.stringMatching(/cpus 1 > 0.5/),
      }),
    );
    expect(h.effects).toEqual([]);
    expect(h.core.snapshot()).toEqual(before);
    expect(h.core.allocator.available(A)).toBeDefined();
    expect(h.offered('f1')).toBe(offered);
    // With enough resources it is taken back, its task adopted.
    h.register(A, 'cpus:2;mem:1024', runningReport(h));
    expect(h.core.state.agents.get(A)?.tasks.has('f1/t')).toBe(true);
    expect(h.offered('f1')).toBe('cpus:1;mem:896');
  });
});

describe('status updates', () => {
  it('a redelivered older update is dropped (not forwarded, acked): the framework never sees RUNNING after FINISHED', () => {
    const h = new CoreHarness(CFG);
    running(h);
    const runningAt = h.now;
    h.advance(50);
    h.status('f1', 't', A, 'TASK_FINISHED');
    h.clear();
    // The RUNNING update's ack was lost across a nats-server restart: JetStream delivers it again.
    h.status('f1', 't', A, 'TASK_RUNNING', runningAt);
    expect(h.appended()).toEqual([]);
    expect(h.core.counters.staleUpdates).toBe(1);
    expect(h.core.state.findTask('t', 'f1')?.state).toBe('TASK_FINISHED');
    // The terminal update itself redelivered is forwarded again (at least once), and a task id launched again
    // later on the same agent is new news, not stale.
    h.status('f1', 't', A, 'TASK_FINISHED', runningAt + 50);
    h.advance(100);
    expect(h.launch('f1', task('t', A, 'cpus:1;mem:128')).launched).toEqual(['t']);
    h.status('f1', 't', A, 'TASK_RUNNING');
    expect(h.appended()).toEqual([
      ['t', 'TASK_FINISHED', undefined],
      ['t', 'TASK_RUNNING', undefined],
    ]);
    expect(h.core.state.tasks.get('f1/t')?.state).toBe('TASK_RUNNING');
  });

  it('a non-terminal update made in the same millisecond as a terminal one is older news', () => {
    const h = new CoreHarness(CFG);
    running(h);
    h.status('f1', 't', A, 'TASK_FAILED');
    h.clear();
    h.status('f1', 't', A, 'TASK_RUNNING');
    expect(h.appended()).toEqual([]);
  });
});

describe('drain', () => {
  it('stops offers, kills what is left at the deadline, and is DRAINED when the last task ends', () => {
    const h = new CoreHarness(CFG);
    running(h);
    h.clear();
    h.take(h.core.drain('op', A, 2000, h.now));
    expect(h.core.offers.forAgent(A)).toEqual([]);
    expect(h.offers('f1')).toEqual([]);
    pass(h, 1000);
    expect(h.commands('KILL')).toEqual([]);
    pass(h, 1100);
    expect(h.commands('KILL').map((e) => e.command)).toEqual([
      { type: 'KILL', frameworkId: 'f1', taskId: 't', reason: 'AGENT_DRAINED' },
    ]);
    // The send times out: kept and sent again at the next tick; once delivered, not again.
    h.take(
      h.core.commandSettled(
        A,
        { kind: 'KILL', taskKey: 'f1/t' },
        { ok: false, failure: 'TIMEOUT', message: 'no reply' },
        h.now,
      ),
    );
    pass(h, 100);
    expect(h.commands('KILL')).toHaveLength(2);
    h.take(h.core.commandSettled(A, { kind: 'KILL', taskKey: 'f1/t' }, { ok: true }, h.now));
    pass(h, 500);
    expect(h.commands('KILL')).toHaveLength(2);
    expect(h.core.state.agents.get(A)?.drain?.drained).toBe(false);
    h.status('f1', 't', A, 'TASK_KILLED');
    expect(h.core.state.agents.get(A)?.drain?.drained).toBe(true);
    expect(h.of('CLUSTER_EVENT').map((e) => e.event.type)).toContain('AGENT_DRAINED');
    h.take(h.core.undrain('op', A, h.now));
    expect(h.offered('f1')).toBe('cpus:4;mem:1024');
  });
});

describe('offers', () => {
  it('to one framework from many agents go in several OFFERS events of at most MAX_OFFERS_PER_EVENT, none lost', () => {
    const h = new CoreHarness(CFG);
    const n = MAX_OFFERS_PER_EVENT * 2 + 7;
    for (let i = 0; i < n; i++) h.register(AgentIdSchema.parse(`a${i}`), 'cpus:1;mem:64');
    h.subscribe('f1');
    h.clear();
    expect(h.offers('f1')).toHaveLength(n);
    const sizes = h.events('f1').flatMap((e) => (e.type === 'OFFERS' ? [e.offers.length] : []));
    expect(sizes).toEqual([MAX_OFFERS_PER_EVENT, MAX_OFFERS_PER_EVENT, 7]);
    const ids = h.events('f1').flatMap((e) => (e.type === 'OFFERS' ? e.offers.map((o) => o.id) : []));
    expect(new Set(ids).size).toBe(n);
  });

  it('expire at --offer-timeout (data acted on by tick), not a millisecond before, and are offered again', () => {
    const h = new CoreHarness({ ...CFG, offerTimeoutMs: 700 });
    h.register(A, 'cpus:2;mem:512');
    h.subscribe('f1');
    const [first] = h.offers('f1');
    expect(first.expiresAt).toBe(h.now + 700);
    expect(h.of('WAKE_AT').map((e) => e.at)).toEqual([h.now + 700]);
    h.advance(699);
    expect(h.core.offers.forFramework(fid('f1'))).toEqual([first]);
    h.advance(1);
    expect(h.core.offers.forFramework(fid('f1'))).toEqual([]);
    expect(h.events('f1').filter((e) => e.type === 'RESCIND')).toEqual([{ type: 'RESCIND', offerId: first.id }]);
    expect(h.offered('f1')).toBe('cpus:2;mem:512');
  });

  it('are rescinded when their agent re-registers, and a stale offer id fails ACCEPT changing nothing', () => {
    const h = new CoreHarness(CFG);
    h.register(A, 'cpus:2;mem:512');
    h.subscribe('f1');
    const [o] = h.offers('f1');
    h.register(A, 'cpus:2;mem:512');
    expect(h.events('f1').filter((e) => e.type === 'RESCIND')).toHaveLength(1);
    h.clear();
    expect(() =>
      h.call('f1', {
        type: 'ACCEPT',
        offerIds: [o.id],
        operations: [{ type: 'LAUNCH', tasks: [task('t', A, 'cpus:1;mem:128')] }],
      }),
    ).toThrow(/not outstanding/);
    expect(h.appended()).toEqual([['t', 'TASK_DROPPED', 'INVALID_OFFERS']]);
    expect(h.core.state.tasks.size).toBe(0);
    expect(h.offered('f1')).toBe('cpus:2;mem:512');
  });

  it('ACCEPT returns the unused rest before any effect runs: a failed append cannot keep it from being offered', () => {
    const h = new CoreHarness(CFG);
    h.register(A, 'cpus:4;mem:1024');
    h.subscribe('f1');
    const r = h.launch('f1', task('big', A, 'cpus:1;mem:4096'), task('ok', A, 'cpus:1;mem:128'));
    expect(r.errors).toEqual([
      expect.stringMatching(/^operations\[0\]\.tasks\[0\]\.resources: mem 4096 > 1024 offered/),
    ]);
    expect(h.of('APPEND_UPDATE').map((e) => [e.status.taskId, e.status.state, e.policy])).toEqual([
      ['big', 'TASK_ERROR', 'RETRY'],
    ]);
    // (The shell's handling of that append failing is in handlers/accept.test.ts.) The effects are not run here at all:
    expect(h.offered('f1')).toBe('cpus:3;mem:896');
  });
});

describe('kill', () => {
  it('of a task on an unreachable agent waits for the agent, is sent at re-registration, retried until confirmed', () => {
    const h = new CoreHarness(CFG);
    running(h);
    pass(h, 3200, { agent: false });
    expect(h.core.state.agents.get(A)?.state).toBe('UNREACHABLE');
    h.clear();
    expect(h.call('f1', { type: 'KILL', taskId: 't', gracePeriodMs: 2000 })).toEqual({ known: true, pending: true });
    pass(h, 500, { agent: false });
    expect(h.commands('KILL')).toEqual([]);
    h.register(A, 'cpus:4;mem:1024', runningReport(h));
    expect(h.commands('KILL').map((e) => e.command)).toEqual([
      { type: 'KILL', frameworkId: 'f1', taskId: 't', gracePeriodMs: 2000 },
    ]);
    h.take(
      h.core.commandSettled(
        A,
        { kind: 'KILL', taskKey: 'f1/t' },
        { ok: false, failure: 'TIMEOUT', message: 'no reply' },
        h.now,
      ),
    );
    pass(h, 100);
    expect(h.commands('KILL')).toHaveLength(2);
    h.take(h.core.commandSettled(A, { kind: 'KILL', taskKey: 'f1/t' }, { ok: true }, h.now));
    expect(h.core.pendingKills.size).toBe(0);
    pass(h, 300);
    expect(h.commands('KILL')).toHaveLength(2);
  });

  it('of an unknown task answers TASK_UNKNOWN', () => {
    const h = new CoreHarness(CFG);
    running(h);
    expect(h.call('f1', { type: 'KILL', taskId: 'nope' })).toEqual({ known: false });
    expect(h.events('f1').at(-1)).toMatchObject({ type: 'UPDATE', status: { taskId: 'nope', state: 'TASK_UNKNOWN' } });
  });
});

describe('reservations', () => {
  const ops = (h: CoreHarness, id: string, list: { type: 'RESERVE' | 'UNRESERVE'; text: string }[]) =>
    h.call(id, {
      type: 'ACCEPT',
      offerIds: h.offers(id).map((o) => o.id),
      filters: { refuseSeconds: 0 },
      operations: list.map((o) => ({ type: o.type, resources: Resources.parse(o.text).toWire() })),
    }) as { errors: string[] };

  it('RESERVE and UNRESERVE of a dynamic reservation change the one total and persist it', () => {
    const h = new CoreHarness(CFG);
    h.register(A, 'cpus:4;mem:1024');
    h.subscribe('f1', { roles: ['web'] });
    expect(ops(h, 'f1', [{ type: 'RESERVE', text: 'cpus(web):3' }]).errors).toEqual([]);
    expect(h.core.state.agents.get(A)!.total.format()).toBe('cpus:1;cpus(web):3;mem:1024');
    expect(h.of('PERSIST').at(-1)?.change).toEqual({
      type: 'SET_RESERVATIONS',
      agentId: A,
      reservations: 'cpus(web):3',
    });
    expect(ops(h, 'f1', [{ type: 'UNRESERVE', text: 'cpus(web):2' }]).errors).toEqual([]);
    expect(h.core.state.agents.get(A)!.total.format()).toBe('cpus:3;cpus(web):1;mem:1024');
    expect(h.core.allocator.available(A)?.format()).toBe('cpus:3;cpus(web):1;mem:1024');
  });

  it('refuses to UNRESERVE a static reservation, changing nothing', () => {
    const h = new CoreHarness(CFG);
    h.register(A, 'cpus:2;cpus(web):2;mem:1024');
    h.subscribe('f1', { roles: ['web'] });
    h.clear();
    expect(ops(h, 'f1', [{ type: 'UNRESERVE', text: 'cpus(web):2' }]).errors).toEqual([
      expect.stringMatching(/only dynamic reservations can be unreserved/),
    ]);
    expect(h.of('PERSIST')).toEqual([]);
    expect(h.core.state.agents.get(A)!.total.format()).toBe('cpus:2;cpus(web):2;mem:1024');
    expect(h.offered('f1')).toBe('cpus:2;cpus(web):2;mem:1024');
  });

  it("refuses to UNRESERVE an ancestor role's reservation offered to a sub-role", () => {
    const h = new CoreHarness(CFG);
    h.register(A, 'cpus:4;mem:1024');
    h.subscribe('eng', { roles: ['eng'] });
    expect(ops(h, 'eng', [{ type: 'RESERVE', text: 'cpus(eng):2' }]).errors).toEqual([]);
    h.call('eng', { type: 'TEARDOWN' });
    h.subscribe('backend', { roles: ['eng/backend'] });
    expect(ops(h, 'backend', [{ type: 'UNRESERVE', text: 'cpus(eng):2' }]).errors).toEqual([
      expect.stringMatching(/cannot unreserve for role 'eng'/),
    ]);
    expect(h.core.state.agents.get(A)!.reservations.format()).toBe('cpus(eng):2');
  });
});

describe('quota', () => {
  it('a role is never offered beyond its limit, though the agent has more', () => {
    const h = new CoreHarness(CFG);
    h.take(h.core.setRole('op', { role: 'web', limit: 'cpus:2;mem:512' }));
    h.register(A, 'cpus:8;mem:4096');
    h.subscribe('f1', { roles: ['web'] });
    expect(h.offered('f1')).toBe('cpus:2;mem:512');
    expect(() => h.take(h.core.setRole('op', { role: 'web', guarantee: 'cpus:4' }))).toThrow(
      /guarantee cpus:4 exceeds limit/,
    );
    expect(h.core.roles.get('web')).toEqual({ role: 'web', weight: 1, limit: 'cpus:2;mem:512' });
  });

  it('a bad weight or role name is refused naming the field, changing nothing', () => {
    const h = new CoreHarness(CFG);
    h.take(h.core.setRole('op', { role: 'web', weight: 2 }));
    h.clear();
    expect(() => h.take(h.core.setRole('op', { role: 'web', weight: 0 }))).toThrow(
      expect.objectContaining({ code: 'INVALID', field: 'weight' }),
    );
    expect(() => h.take(h.core.setRole('op', { role: '../x', weight: 1 }))).toThrow(
      expect.objectContaining({ code: 'INVALID', field: 'role' }),
    );
    expect(h.effects).toEqual([]);
    expect(h.core.roles.get('web')).toEqual({ role: 'web', weight: 2 });
    expect(h.core.roles.has('../x')).toBe(false);
    expect(h.core.allocator.roles().find((r) => r.role === 'web')?.weight).toBe(2);
  });
});

describe('snapshot', () => {
  it('is rebuilt from its durable facts plus the agent re-registering', () => {
    const h = new CoreHarness(CFG);
    h.take(h.core.setRole('op', { role: 'web', weight: 2 }));
    h.register(A, 'cpus:4;mem:1024');
    h.subscribe('f1', { roles: ['web'] });
    h.call('f1', {
      type: 'ACCEPT',
      offerIds: h.offers('f1').map((o) => o.id),
      filters: { refuseSeconds: 0 },
      operations: [
        { type: 'RESERVE', resources: Resources.parse('cpus(web):1').toWire() },
        { type: 'LAUNCH', tasks: [task('t', A, 'cpus(web):1;mem:128')] },
      ],
    });
    h.status('f1', 't', A, 'TASK_RUNNING');
    h.take(h.core.drain('op', A, 60_000, h.now));
    h.subscribe('gone');
    h.call('gone', { type: 'TEARDOWN' });
    const snap = h.core.snapshot();
    expect(JSON.parse(JSON.stringify(snap))).toEqual(snap); // plain data

    const later = T0 + 3_600_000;
    const rebuilt = new CoreHarness(
      CFG,
      MasterCore.fromSnapshot('m-2', { ...DEFAULT_MASTER_CONFIG, ...CFG }, new HierarchicalDrfAllocator(), snap, later),
    );
    rebuilt.now = later;
    expect(rebuilt.core.snapshot()).toEqual(snap);
    expect(rebuilt.core.state.frameworks.get(fid('f1'))).toMatchObject({ connected: false, disconnectedAt: later });
    expect(() => rebuilt.subscribe('gone')).toThrow(/was removed/);
    rebuilt.register(A, 'cpus:4;mem:1024', [
      { task: h.core.state.tasks.get('f1/t')!.info, frameworkId: fid('f1'), state: 'TASK_RUNNING', role: 'web' },
    ]);
    const agent = rebuilt.core.state.agents.get(A)!;
    expect(agent.total.format()).toBe('cpus:3;cpus(web):1;mem:1024');
    expect(agent.drain).toEqual({ deadline: T0 + 60_000, drained: false });
    expect(rebuilt.core.state.tasks.get('f1/t')?.state).toBe('TASK_RUNNING');
    expect(rebuilt.core.allocator.roles().find((r) => r.role === 'web')?.weight).toBe(2);
    expect(rebuilt.core.snapshot()).toEqual(snap);
  });
});
