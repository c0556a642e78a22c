/**
 * ACCEPT is exception-safe: it validates every operation, then changes state at once, then carries out its
 * effects; an effect that fails (the stream append of a TASK_ERROR, the agent refusing a LAUNCH) never
 * leaves resources held by nobody — they are offered again.
 */
import { Resources, type AgentId } from '../../sdk';
import { testMaster, type TestMaster } from '../test-support';

const A = 'a1' as AgentId;
const task = (taskId: string, resources: string) => ({
  taskId,
  name: taskId,
  agentId: A,
  resources: Resources.parse(resources).toWire(),
  command: { value: 'sleep 60' },
});
const offered = (h: TestMaster, fid: string) =>
  h
    .offerCycle(fid)
    .reduce((acc, o) => acc.add(o.resources), Resources.EMPTY)
    .format();

/** Lets the handler's unawaited effects (the LAUNCH request and what follows it) run to their end. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

describe('ACCEPT when an effect fails', () => {
  let h: TestMaster;
  beforeEach(async () => {
    h = testMaster();
    await h.registerAgent(A, 'cpus:4;mem:1024');
    await h.subscribe('f1');
  });
  afterEach(() => h.close());

  it('the stream append of a refused task fails: the call still completes and the unused rest is offered again', async () => {
    const offers = h.offerCycle('f1');
    h.stream.failNext = 1;
    const r = (await h.call('f1', {
      type: 'ACCEPT',
      offerIds: offers.map((o) => o.id),
      filters: { refuseSeconds: 0 },
      operations: [{ type: 'LAUNCH', tasks: [task('too-big', 'cpus:1;mem:4096'), task('ok', 'cpus:1;mem:128')] }],
    })) as { launched: string[]; errors: string[] };
    expect(r.launched).toEqual(['ok']);
    expect(r.errors).toEqual([
      expect.stringMatching(/^operations\[0\]\.tasks\[0\]\.resources: mem 4096 > 1024 offered/),
    ]);
    expect(h.stream.appended).toEqual([]); // the one append failed (and was logged)
    expect(h.m.state.tasks.has('f1/ok')).toBe(true);
    await settle();
    expect(h.nats.requests.map((q) => q.data.type)).toEqual(['LAUNCH']);
    expect(offered(h, 'f1')).toBe('cpus:3;mem:896');
    // The TASK_ERROR is not lost: it is appended again after a backoff.
    h.clock.advance(500);
    await settle();
    expect(h.stream.appended.map((s) => [s.taskId, s.state])).toEqual([['too-big', 'TASK_ERROR']]);
  });

  it('a refused offer id while the stream is down: the call fails with the offer error, the offers stay outstanding', async () => {
    const offers = h.offerCycle('f1');
    h.stream.failNext = 5;
    await expect(
      h.call('f1', {
        type: 'ACCEPT',
        offerIds: [offers[0].id, 'nope'],
        operations: [{ type: 'LAUNCH', tasks: [task('t', 'cpus:1;mem:128')] }],
      }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND', field: 'offerIds[1]' });
    expect(h.m.offers.get(offers[0].id)).toBeDefined();
    expect(h.m.state.tasks.size).toBe(0);
  });

  it('the agent refuses the LAUNCH and the TASK_ERROR append fails: the task ends and its resources are offered again', async () => {
    h.nats.agentReply = () => ({ ok: false, error: { code: 'INVALID', message: 'command.user: no such user' } });
    const offers = h.offerCycle('f1');
    h.stream.failNext = 1;
    const r = (await h.call('f1', {
      type: 'ACCEPT',
      offerIds: offers.map((o) => o.id),
      filters: { refuseSeconds: 0 },
      operations: [{ type: 'LAUNCH', tasks: [task('t', 'cpus:1;mem:128')] }],
    })) as { launched: string[] };
    expect(r.launched).toEqual(['t']);
    await settle();
    expect(h.m.state.tasks.has('f1/t')).toBe(false);
    expect(h.m.state.findTask('t', 'f1')?.state).toBe('TASK_ERROR');
    expect(offered(h, 'f1')).toBe('cpus:4;mem:1024');
  });

  it('the agent cannot be reached for the LAUNCH: TASK_DROPPED, resources offered again', async () => {
    h.nats.agentReply = () => new Error('503 no responders');
    const offers = h.offerCycle('f1');
    await h.call('f1', {
      type: 'ACCEPT',
      offerIds: offers.map((o) => o.id),
      filters: { refuseSeconds: 0 },
      operations: [{ type: 'LAUNCH', tasks: [task('t', 'cpus:1;mem:128')] }],
    });
    await settle();
    expect(h.stream.appended.map((s) => [s.taskId, s.state, s.reason])).toEqual([
      ['t', 'TASK_DROPPED', 'AGENT_UNREACHABLE'],
    ]);
    expect(offered(h, 'f1')).toBe('cpus:4;mem:1024');
  });

  it('a task id used twice in one call launches once; the second is refused naming the field', async () => {
    const offers = h.offerCycle('f1');
    const r = (await h.call('f1', {
      type: 'ACCEPT',
      offerIds: offers.map((o) => o.id),
      filters: { refuseSeconds: 0 },
      operations: [
        { type: 'LAUNCH', tasks: [task('t', 'cpus:1;mem:128')] },
        { type: 'LAUNCH', tasks: [task('t', 'cpus:1;mem:128')] },
      ],
    })) as { launched: string[]; errors: string[] };
    expect(r.launched).toEqual(['t']);
    expect(r.errors).toEqual(["operations[1].tasks[0].taskId: 't' is launched twice in this call"]);
    expect(offered(h, 'f1')).toBe('cpus:3;mem:896');
  });
});
