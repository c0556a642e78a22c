import { Resources, type AgentId, type FrameworkId } from '../sdk';
import { OfferBook } from './offer-book';

describe('offer book', () => {
  const r = Resources.parse('cpus:1');
  it('indexes offers by agent and framework and lets each be taken once', () => {
    const b = new OfferBook();
    const o1 = b.create('f1' as FrameworkId, 'a1' as AgentId, '*', r, 0);
    const o2 = b.create('f1' as FrameworkId, 'a2' as AgentId, '*', r, 0);
    const o3 = b.create('f2' as FrameworkId, 'a1' as AgentId, '*', r, 0);
    expect(new Set([o1.id, o2.id, o3.id]).size).toBe(3);
    expect(
      b
        .forAgent('a1' as AgentId)
        .map((o) => o.id)
        .sort(),
    ).toEqual([o1.id, o3.id].sort());
    expect(
      b
        .forFramework('f1' as FrameworkId)
        .map((o) => o.id)
        .sort(),
    ).toEqual([o1.id, o2.id].sort());
    expect(b.take(o1.id)).toBe(o1);
    expect(b.take(o1.id)).toBeUndefined();
    expect(b.forAgent('a1' as AgentId).map((o) => o.id)).toEqual([o3.id]);
    expect(b.forFramework('f1' as FrameworkId).map((o) => o.id)).toEqual([o2.id]);
    expect(b.size).toBe(2);
    expect(b.made).toBe(3);
  });
});
