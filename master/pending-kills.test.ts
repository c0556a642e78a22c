/**
 * A KILL for a task on an unreachable agent is kept until the agent is back and confirms it: a send that
 * fails is retried at the next liveness check, never dropped.
 */
import { FrameworkIdSchema, Resources, type AgentId, type AgentTask, type TaskInfo } from '../sdk';
import { testMaster, type TestMaster } from './test-support';

const F1 = FrameworkIdSchema.parse('f1');

const A = 'a1' as AgentId;
const RES = 'cpus:4;mem:1024';

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

describe('pending kills', () => {
  let h: TestMaster;
  let task: TaskInfo;
  afterEach(() => h.close());

  /** A running task on an agent that then stops answering. */
  async function taskOnUnreachableAgent(): Promise<void> {
    h = testMaster({ agentPingTimeoutMs: 100, maxAgentPingTimeouts: 1 });
    await h.registerAgent(A, RES);
    await h.subscribe('f1');
    const offers = h.offerCycle('f1');
    await h.call('f1', {
      type: 'ACCEPT',
      offerIds: offers.map((o) => o.id),
      operations: [
        {
          type: 'LAUNCH',
          tasks: [
            {
              taskId: 't',
              name: 't',
              agentId: A,
              resources: Resources.parse('cpus:1;mem:128').toWire(),
              command: { value: 'sleep 600' },
            },
          ],
        },
      ],
    });
    task = h.m.state.tasks.get('f1/t')!.info;
    await settle();
    h.clock.advance(101); // the agent's pings stop: UNREACHABLE at the next tick
    h.m.tick();
    expect(h.m.state.agents.get(A)!.state).toBe('UNREACHABLE');
    h.nats.requests.length = 0;
  }
  const running: () => AgentTask[] = () => [{ task, frameworkId: F1, state: 'TASK_RUNNING', role: '*' }];
  const kills = () => h.nats.requests.filter((r) => r.data.type === 'KILL').map((r) => r.data);

  it('is kept when the send at re-registration fails, and sent again at the next check', async () => {
    await taskOnUnreachableAgent();
    expect(await h.call('f1', { type: 'KILL', taskId: 't', gracePeriodMs: 2000 })).toEqual({
      known: true,
      pending: true,
    });
    expect(kills()).toEqual([]);
    h.nats.agentReply = () => new Error('timeout: no reply');
    await h.registerAgent(A, RES, running());
    await settle();
    expect(kills()).toEqual([{ type: 'KILL', frameworkId: 'f1', taskId: 't', gracePeriodMs: 2000 }]);
    expect(h.m.core.pendingKills.has('f1/t')).toBe(true);
    h.nats.agentReply = () => ({ ok: true });
    h.m.tick();
    await settle();
    expect(kills()).toHaveLength(2);
    expect(h.m.core.pendingKills.size).toBe(0);
    h.m.tick();
    await settle();
    expect(kills()).toHaveLength(2); // delivered once: not sent again
  });

  it('is forgotten when its task ends without it (the agent came back without the task)', async () => {
    await taskOnUnreachableAgent();
    await h.call('f1', { type: 'KILL', taskId: 't' });
    h.clock.advance(60_000); // past the launch-in-flight grace: a task the agent does not report is lost
    await h.registerAgent(A, RES, []);
    await settle();
    expect(h.m.state.findTask('t', 'f1')?.state).toBe('TASK_LOST');
    expect(kills()).toEqual([]);
    expect(h.m.core.pendingKills.size).toBe(0);
  });
});
