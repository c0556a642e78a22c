/**
 * Conformance cases for the leader lease and its compare-and-set store, run by sdk/lease.test.ts against the
 * in-memory fake and by test/multihost/lease.it.test.ts against a real (clustered) nats-server bucket: the fake
 * may not drift from the server's semantics unnoticed. Time is a FakeClock in both; rounds are awaited directly.
 */
import { FakeClock } from '../../sdk/clock';
import { LeaseCampaign } from '../../sdk/lease-campaign';
import { KvConflictError, type CasKv } from '../../sdk/lease-kv';

const LEASE_MS = 3000;
const enc = (s: string) => new TextEncoder().encode(s);

export function leaseConformance(kvFor: (name: string) => Promise<CasKv>): void {
  let n = 0;
  const fresh = async () => ({ kv: await kvFor(`t${++n}`), clock: new FakeClock(), key: 'leader' });
  const campaigner = (id: string, kv: CasKv, clock: FakeClock, key = 'leader') =>
    new LeaseCampaign({ id, leaseMs: LEASE_MS, key, kv, clock });

  test('the store: create only if absent, update only against the current revision, revisions increase', async () => {
    const { kv } = await fresh();
    expect(await kv.get('k')).toBeUndefined();
    const r1 = await kv.create('k', enc('a'));
    await expect(kv.create('k', enc('b'))).rejects.toBeInstanceOf(KvConflictError);
    const r2 = await kv.update('k', enc('c'), r1);
    expect(r2).toBeGreaterThan(r1);
    await expect(kv.update('k', enc('d'), r1)).rejects.toBeInstanceOf(KvConflictError);
    const got = await kv.get('k');
    expect(got?.revision).toBe(r2);
    expect(new TextDecoder().decode(got!.value)).toBe('c');
  });

  test('two campaigners: exactly one leads (epoch 1); the other stays standby while the holder renews', async () => {
    const { kv, clock } = await fresh();
    const a = campaigner('a', kv, clock);
    const b = campaigner('b', kv, clock);
    await a.tick();
    await b.tick();
    expect([a.isLeader(), b.isLeader()]).toEqual([true, false]);
    expect(a.currentEpoch()).toBe(1);
    expect(b.currentEpoch()).toBe(0);
    for (let i = 0; i < 10; i++) {
      clock.advance(LEASE_MS / 3);
      await a.tick();
      await b.tick();
      expect([a.isLeader(), b.isLeader()]).toEqual([true, false]);
    }
    expect(a.currentEpoch()).toBe(1);
  });

  test('a paused holder (clock jump): its isLeader is false before it learns anything; the standby leads with epoch+1; resumed, the old holder steps down', async () => {
    const { kv, clock } = await fresh();
    const a = campaigner('a', kv, clock);
    const b = campaigner('b', kv, clock);
    await a.tick();
    await b.tick();
    expect(a.currentEpoch()).toBe(1);
    // a is SIGSTOPped: it no longer ticks; b keeps polling.
    let rounds = 0;
    while (!b.isLeader()) {
      clock.advance(LEASE_MS / 3);
      await b.tick();
      // Never two leaders at one instant, by either's own judgement.
      expect(a.isLeader() && b.isLeader()).toBe(false);
      if (++rounds > 20) throw new Error('the standby never took over');
    }
    expect(b.currentEpoch()).toBe(2);
    // a resumes: before its first round it already knows it may not act.
    expect(a.isLeader()).toBe(false);
    await a.tick();
    expect(a.isLeader()).toBe(false);
    expect(a.currentEpoch()).toBe(0);
    await a.tick();
    expect(a.isLeader()).toBe(false);
    expect(b.isLeader()).toBe(true);
  });

  test("a standby does not take over before the lease has lapsed on both the holder's timestamp and its own watch", async () => {
    const { kv, clock } = await fresh();
    const a = campaigner('a', kv, clock);
    await a.tick();
    // b starts long after a's last renewal: a's timestamp says lapsed, but b has not yet watched a whole lease.
    clock.advance(LEASE_MS * 10);
    const b = campaigner('b', kv, clock);
    await b.tick();
    expect(b.isLeader()).toBe(false);
    clock.advance(LEASE_MS - 1);
    await b.tick();
    expect(b.isLeader()).toBe(false);
    clock.advance(1);
    await b.tick();
    expect(b.isLeader()).toBe(true);
    expect(b.currentEpoch()).toBe(2);
  });

  test('a clean stop releases the lease: the standby leads on its next round; epochs keep increasing across terms', async () => {
    const { kv, clock } = await fresh();
    const a = campaigner('a', kv, clock);
    const b = campaigner('b', kv, clock);
    await a.tick();
    await b.tick();
    await a.stop();
    expect(a.isLeader()).toBe(false);
    await b.tick();
    expect(b.currentEpoch()).toBe(2);
    const a2 = campaigner('a', kv, clock);
    await a2.tick();
    await b.stop();
    await a2.tick();
    expect(a2.currentEpoch()).toBe(3);
  });

  test('a holder whose renewal meets a newer revision steps down at once and never renews its old term', async () => {
    const { kv, clock, key } = await fresh();
    const a = campaigner('a', kv, clock, key);
    await a.tick();
    // Someone else's write lands (e.g. a successor after a partition): the revision moves on.
    const cur = await kv.get(key);
    const foreign = { holder: 'z', epoch: 7, renewedAt: clock.now(), leaseMs: LEASE_MS };
    await kv.update(key, new TextEncoder().encode(JSON.stringify(foreign)), cur!.revision);
    clock.advance(LEASE_MS / 3);
    expect(a.isLeader()).toBe(true); // it cannot know yet, and its term has not lapsed
    await a.tick();
    expect(a.isLeader()).toBe(false);
    expect(a.currentEpoch()).toBe(0);
    const after = await kv.get(key);
    expect(JSON.parse(new TextDecoder().decode(after!.value))).toMatchObject({ holder: 'z', epoch: 7 });
  });
}
