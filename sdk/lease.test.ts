import { leaseConformance } from '../test/harness/lease-conformance';
import { FakeClock } from './clock';
import { LeaseCampaign, decodeLease } from './lease-campaign';
import { MemoryKv } from './lease-kv';
import { LeaseState } from './lease';

describe('lease on the in-memory store', () => {
  leaseConformance(() => Promise.resolve(new MemoryKv()));
});

const flush = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

describe('lease shell details', () => {
  test('start() campaigns at once and renews every third of the lease on the clock', async () => {
    const clock = new FakeClock();
    const kv = new MemoryKv();
    const elected: number[] = [];
    const a = new LeaseCampaign({
      id: 'a',
      leaseMs: 3000,
      key: 'leader',
      kv,
      clock,
      events: { elected: (e) => elected.push(e) },
    });
    a.start();
    clock.advance(0);
    await flush();
    expect(a.isLeader()).toBe(true);
    expect(elected).toEqual([1]);
    const rev = a.state.lastRevision();
    clock.advance(1000);
    await flush();
    expect(a.state.lastRevision()).toBeGreaterThan(rev);
    // Ten leases later it still leads: renewals keep the term valid.
    for (let i = 0; i < 30; i++) {
      clock.advance(1000);
      await flush();
    }
    expect(a.isLeader()).toBe(true);
    await a.stop();
    expect(a.isLeader()).toBe(false);
  });

  test('a renewal that fails without a conflict (timeout) keeps the term only until it lapses', async () => {
    const clock = new FakeClock();
    const kv = new MemoryKv();
    const errors: string[] = [];
    const a = new LeaseCampaign({
      id: 'a',
      leaseMs: 3000,
      key: 'leader',
      kv,
      clock,
      events: { error: (e) => errors.push(e.message) },
    });
    await a.tick();
    kv.failNext(5);
    for (let i = 0; i < 2; i++) {
      clock.advance(1000);
      await a.tick();
    }
    expect(a.isLeader()).toBe(true);
    clock.advance(1000);
    expect(a.isLeader()).toBe(false); // 3000 ms since the last successful write: lapsed
    expect(errors.length).toBeGreaterThan(0);
  });

  test('a write whose acknowledgement was lost is adopted on the next read (same holder, same epoch)', async () => {
    const clock = new FakeClock();
    const kv = new MemoryKv();
    const a = new LeaseCampaign({
      id: 'a',
      leaseMs: 3000,
      key: 'leader',
      kv,
      clock,
      events: { error: () => undefined },
    });
    await a.tick();
    const rev = a.state.lastRevision();
    kv.loseNextAck();
    clock.advance(1000);
    await a.tick(); // lands, but a hears a timeout: still leader until its previous renewal lapses
    expect(a.isLeader()).toBe(true);
    clock.advance(1000);
    await a.tick(); // reads first, finds its own record, adopts the revision and renews from it
    expect(a.isLeader()).toBe(true);
    expect(a.currentEpoch()).toBe(1);
    expect(a.state.lastRevision()).toBeGreaterThan(rev + 1);
    clock.advance(1000);
    await a.tick();
    expect(a.isLeader()).toBe(true);
  });

  test('a renewal that meets a foreign write steps down even when the record names the same holder', async () => {
    const clock = new FakeClock();
    const kv = new MemoryKv();
    const a = new LeaseCampaign({ id: 'a', leaseMs: 3000, key: 'leader', kv, clock });
    await a.tick();
    const e = await kv.get('leader');
    const rec = decodeLease('leader', e!.value);
    await kv.update(
      'leader',
      new TextEncoder().encode(JSON.stringify({ ...rec, renewedAt: clock.now() })),
      e!.revision,
    );
    clock.advance(1000);
    await a.tick();
    expect(a.isLeader()).toBe(false);
    expect(a.currentEpoch()).toBe(0);
  });

  test('bad input: a value that is not a lease record names the key; bad options are refused', () => {
    expect(() => decodeLease('leader', new TextEncoder().encode('{"holder":1}'))).toThrow(
      /lease key 'leader' does not hold a lease record: holder/,
    );
    expect(() => decodeLease('leader', new TextEncoder().encode('nope'))).toThrow(/does not hold JSON/);
    expect(() => new LeaseState({ id: 'a', leaseMs: 0 })).toThrow(/leaseMs/);
    expect(() => new LeaseState({ id: '', leaseMs: 10 })).toThrow(/id/);
  });
});
