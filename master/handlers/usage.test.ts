/** USAGE: a framework reads the agents' latest usage reports of its own live tasks, and nobody else's. */
import { Resources, type AgentId, type TaskUsageReply } from '../../sdk';
import { handleAgentCall } from '../agent-calls';
import { testMaster, type TestMaster } from '../test-support';

const A = 'a1' as AgentId;
const usage = (cpu: number) => ({
  cpuUserSeconds: cpu,
  cpuSystemSeconds: 0,
  memBytes: 1024,
  memPeakBytes: 2048,
  timestamp: 1000,
});

describe('USAGE', () => {
  let h: TestMaster;
  afterEach(() => h.close());

  it('answers the latest report of each live task of the caller only', async () => {
    h = testMaster();
    await h.registerAgent(A, 'cpus:4;mem:1024');
    const launch = async (fid: string, taskIds: string[]) => {
      await h.subscribe(fid);
      const offers = h.offerCycle(fid);
      await h.call(fid, {
        type: 'ACCEPT',
        offerIds: offers.map((o) => o.id),
        filters: { refuseSeconds: 0 },
        operations: [
          {
            type: 'LAUNCH',
            tasks: taskIds.map((taskId) => ({
              taskId,
              name: taskId,
              agentId: A,
              command: { value: 'sleep 100' },
              resources: Resources.parse('cpus:0.1;mem:16').toWire(),
            })),
          },
        ],
      });
    };
    await launch('f1', ['t1', 't2']);
    await launch('f2', ['t3']);
    expect(await h.call('f1', { type: 'USAGE' })).toEqual({ usage: [] }); // nothing reported yet
    await handleAgentCall(h.m, A, {
      type: 'USAGE',
      usage: [
        { taskId: 't1', frameworkId: 'f1', usage: usage(1) },
        { taskId: 't3', frameworkId: 'f2', usage: usage(3) },
      ],
    } as never);
    const all = (await h.call('f1', { type: 'USAGE' })) as TaskUsageReply;
    expect(all.usage).toEqual([{ taskId: 't1', agentId: A, usage: usage(1) }]);
    expect(await h.call('f1', { type: 'USAGE', taskIds: ['t3'] })).toEqual({ usage: [] }); // another framework's task
    expect(
      ((await h.call('f2', { type: 'USAGE', taskIds: ['t3'] })) as TaskUsageReply).usage.map(
        (u) => u.usage.cpuUserSeconds,
      ),
    ).toEqual([3]);
  });
});
