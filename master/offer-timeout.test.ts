/** --offer-timeout on the injected clock: an offer is rescinded exactly when it has been outstanding that long. */
import { FrameworkIdSchema, type AgentId } from '../sdk';
import { testMaster } from './test-support';

const F1 = FrameworkIdSchema.parse('f1');

it('rescinds an offer at --offer-timeout, not a millisecond before, and offers the resources again', async () => {
  const h = testMaster({ offerTimeoutMs: 700 });
  try {
    await h.registerAgent('a1' as AgentId, 'cpus:2;mem:512');
    await h.subscribe('f1');
    const [first] = h.offerCycle('f1');
    h.clock.advance(699);
    expect(h.m.offers.forFramework(F1).map((o) => o.id)).toEqual([first.id]);
    h.clock.advance(1);
    expect(h.m.offers.forFramework(F1)).toEqual([]);
    expect(h.events('f1').filter((e) => e.type === 'RESCIND')).toHaveLength(1);
    const [again] = h.offerCycle('f1');
    expect(again.id).not.toBe(first.id);
    expect(again.resources.format()).toBe(first.resources.format());
  } finally {
    h.close();
  }
});
