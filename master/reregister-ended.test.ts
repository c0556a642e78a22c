/**
 * An agent re-registers (after a NATS outage, say) reporting a task that ended while the master was not looking;
 * the task's final update is still on its way through the stream. Found by the nats-server restart fault test:
 * the re-registered agent was re-added to the allocator with only its live tasks as used, and then the final
 * update gave the ended task's resources back a second time — the allocator refused ("more than allocated"),
 * the update was redelivered forever and never reached the framework.
 */
import { FrameworkIdSchema, Resources, type AgentId, type TaskStatus } from '../sdk';
import { launchOne, testMaster, type TestMaster } from './test-support';

const F1 = FrameworkIdSchema.parse('f1');

const A = 'a1' as AgentId;
const TOTAL = 'cpus:4;mem:1024';
const offered = (h: TestMaster, fid: string) =>
  h
    .offerCycle(fid)
    .reduce((acc, o) => acc.add(o.resources), Resources.EMPTY)
    .format();

describe('re-registration reporting a task that ended meanwhile', () => {
  let h: TestMaster;
  beforeEach(async () => {
    h = testMaster();
    await h.registerAgent(A, TOTAL);
    await h.subscribe('f1');
    await launchOne(h, 'f1', 't1', A, 'cpus:1;mem:128');
  });
  afterEach(() => h.close());

  it('frees the resources once, and the late final update reaches the framework', async () => {
    const t1 = h.m.state.tasks.get('f1/t1')!;
    expect(t1.holdsResources).toBe(true);
    expect(offered(h, 'f1')).toBe('cpus:3;mem:896');
    for (const o of h.m.offers.forFramework(F1))
      await h.call('f1', { type: 'DECLINE', offerIds: [o.id], filters: { refuseSeconds: 0 } });

    await h.registerAgent(A, TOTAL, [{ task: t1.info, frameworkId: F1, state: 'TASK_FINISHED', role: '*' }]);
    expect(offered(h, 'f1')).toBe(TOTAL); // the ended task's share is free again at once
    for (const o of h.m.offers.forFramework(F1))
      await h.call('f1', { type: 'DECLINE', offerIds: [o.id], filters: { refuseSeconds: 0 } });

    const final: TaskStatus = {
      taskId: t1.info.taskId,
      frameworkId: F1,
      agentId: A,
      state: 'TASK_FINISHED',
      source: 'AGENT',
      timestamp: h.clock.now(),
      uuid: 'u-final',
    };
    expect(() => h.m.run(h.m.core.statusUpdate(final, h.clock.now()))).not.toThrow();
    expect(h.m.state.tasks.has('f1/t1')).toBe(false);
    expect(offered(h, 'f1')).toBe(TOTAL); // not more than the agent has: nothing was given back twice
  });
});
