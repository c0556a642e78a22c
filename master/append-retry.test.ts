/**
 * A master-made update whose append failed is retried beside the in-order forwarding of agents' updates. Found by
 * the nats-server restart fault test under load: a TASK_UNREACHABLE made during the outage was appended on a retry
 * after the task's TASK_FINISHED had been forwarded, and the framework was left believing the task unreachable.
 */
import { FrameworkIdSchema, type AgentId, type TaskStatus } from '../sdk';
import { launchOne, settle, testMaster, type TestMaster } from './test-support';

const F1 = FrameworkIdSchema.parse('f1');
const A = 'a1' as AgentId;

describe("a master-made update's append retried after newer news", () => {
  let h: TestMaster;
  beforeEach(async () => {
    h = testMaster({ agentPingTimeoutMs: 1000, maxAgentPingTimeouts: 2 });
    await h.registerAgent(A, 'cpus:4;mem:1024');
    await h.subscribe('f1');
    await launchOne(h, 'f1', 't1', A, 'cpus:1;mem:128');
  });
  afterEach(() => h.close());

  const agentUpdate = (state: TaskStatus['state'], uuid: string): TaskStatus => ({
    taskId: h.m.state.tasks.get('f1/t1')?.info.taskId ?? h.m.state.findTask('t1', 'f1')!.info.taskId,
    frameworkId: F1,
    agentId: A,
    state,
    source: 'AGENT',
    timestamp: h.clock.now(),
    uuid,
  });

  it('is dropped, not appended behind the newer update', async () => {
    await h.m.runAwaiting(h.m.core.statusUpdate(agentUpdate('TASK_RUNNING', 'u-run'), h.clock.now()));
    h.stream.failNext = 1; // the UNREACHABLE's first append fails (NATS is away)
    h.clock.advance(2500); // the agent is silent past its ping timeouts
    h.m.tick();
    await settle();
    expect(h.m.state.findTask('t1', 'f1')?.state).toBe('TASK_UNREACHABLE');
    // The agent's final update is forwarded before the retry comes round.
    await h.m.runAwaiting(h.m.core.statusUpdate(agentUpdate('TASK_FINISHED', 'u-fin'), h.clock.now()));
    h.clock.advance(1000); // the retry's time
    await settle();
    expect(h.stream.appended.map((s) => s.state)).toEqual(['TASK_RUNNING', 'TASK_FINISHED']);
  });

  it('is appended on a retry while it is still the latest news', async () => {
    await h.m.runAwaiting(h.m.core.statusUpdate(agentUpdate('TASK_RUNNING', 'u-run'), h.clock.now()));
    h.stream.failNext = 1;
    h.clock.advance(2500);
    h.m.tick();
    await settle();
    h.clock.advance(1000);
    await settle();
    expect(h.stream.appended.map((s) => s.state)).toEqual(['TASK_RUNNING', 'TASK_UNREACHABLE']);
  });
});
