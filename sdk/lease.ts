/**
 * Leader lease, the pure core: which write to attempt next, given what the key-value store holds and the clock.
 * No I/O here — the shell (sdk/lease-campaign.ts) reads the key, performs the returned write with
 * compare-and-set on the revision, and reports the outcome back.
 *
 * Vocabulary:
 * - record: what the lease key holds — holder id, epoch, the holder's own timestamp of its last write, lease length.
 * - term / epoch: each new holder writes epoch + 1; an epoch is never reused, so anything stamped with an older
 *   epoch is from a leader that no longer leads (fencing).
 * - campaign: `create` (only if the key is absent) or `update` against the revision a standby has watched lapse.
 * - renew: the holder's revision-checked `update` at ~1/3 of the lease.
 *
 * Safety without synchronised clocks: the holder counts itself leader only until `sentAt + leaseMs`, where `sentAt`
 * is its own clock just *before* its last successful write. A standby takes over only when (a) the holder's own
 * timestamp + lease has passed on the standby's clock, and (b) the standby has itself seen that same revision
 * unchanged for a whole lease on its own clock. (b) started after the write, which started after `sentAt`, so
 * when a standby takes over the old holder's `isLeader(now)` is already false — even if the old holder was
 * paused (SIGSTOP) and has not yet learnt of its successor.
 */

export interface LeaseRecord {
  holder: string;
  epoch: number;
  /** The holder's own clock when it sent this write (ms since the epoch). */
  renewedAt: number;
  leaseMs: number;
  /** The holder stepped down on purpose: a standby may take over at once. */
  released?: boolean;
}

export interface LeaseEntry {
  record: LeaseRecord;
  revision: number;
}

export type LeaseWrite =
  { kind: 'create'; record: LeaseRecord } | { kind: 'update'; revision: number; record: LeaseRecord };

export type LeaseWriteResult = { ok: true; revision: number } | { ok: false; conflict: boolean };

export type LeaseRole = 'standby' | 'leader';

export interface LeaseOptions {
  /** This campaigner's id (e.g. `master@198.18.0.2:5050#1234`). */
  id: string;
  leaseMs: number;
}

export class LeaseState {
  private role: LeaseRole = 'standby';
  private epoch = 0;
  private revision = 0;
  /** The leader's term is valid until this instant on its own clock. */
  private validUntil = 0;
  /** A standby's view of the current holder's revision, and when (own clock) it first saw it. */
  private watched?: { revision: number; since: number };
  /** The leader's last write failed without a verdict (timeout): read the key before writing again. */
  private uncertain = false;

  constructor(readonly opts: LeaseOptions) {
    if (!(opts.leaseMs > 0)) throw new Error(`leaseMs must be > 0 (got ${opts.leaseMs})`);
    if (!opts.id) throw new Error('id must be a non-empty string');
  }

  get renewIntervalMs(): number {
    return Math.max(1, Math.floor(this.opts.leaseMs / 3));
  }

  /** The epoch of this campaigner's current term; 0 when it does not lead. */
  currentEpoch(): number {
    return this.role === 'leader' ? this.epoch : 0;
  }

  /** The revision of the lease key this campaigner last wrote or saw (for tests and diagnostics). */
  lastRevision(): number {
    return this.revision;
  }

  roleNow(): LeaseRole {
    return this.role;
  }

  /** True only while this campaigner holds a term that cannot have lapsed: false once `now` passes the lease. */
  isLeader(now: number): boolean {
    return this.role === 'leader' && now < this.validUntil;
  }

  /**
   * The leader's next write, without reading the key first: a renewal against the revision it last wrote.
   * Undefined when it does not lead (a standby must read the key: `observe`).
   */
  renewal(now: number): LeaseWrite | undefined {
    if (this.role !== 'leader' || this.uncertain) return undefined;
    return { kind: 'update', revision: this.revision, record: this.record(this.epoch, now) };
  }

  /**
   * What the key holds now (undefined = absent), read at `now`: returns the write to attempt, or undefined to wait.
   * A leader that sees someone else's revision or a newer epoch steps down here, before anything else.
   */
  observe(entry: LeaseEntry | undefined, now: number): LeaseWrite | undefined {
    this.uncertain = false;
    if (!entry) {
      if (this.role === 'leader') this.stepDown();
      this.watched = undefined;
      return { kind: 'create', record: this.record(1, now) };
    }
    const { record: r, revision } = entry;
    if (this.role === 'leader') {
      if (r.holder === this.opts.id && r.epoch === this.epoch && !r.released) {
        // Our own write (perhaps one whose acknowledgement we missed): adopt its revision and renew from it.
        this.revision = revision;
        return { kind: 'update', revision, record: this.record(this.epoch, now) };
      }
      this.stepDown();
    }
    this.revision = revision;
    if (!this.watched || this.watched.revision !== revision) this.watched = { revision, since: now };
    const lapsedByHolderClock = now >= r.renewedAt + r.leaseMs;
    const lapsedByOurWatch = now - this.watched.since >= Math.max(r.leaseMs, this.opts.leaseMs);
    if (r.released || (lapsedByHolderClock && lapsedByOurWatch)) {
      return { kind: 'update', revision, record: this.record(r.epoch + 1, now) };
    }
    return undefined;
  }

  /** The outcome of `write`, whose request left at `sentAt` (own clock, read before sending). */
  written(write: LeaseWrite, result: LeaseWriteResult, sentAt: number): void {
    if (result.ok) {
      this.role = 'leader';
      this.epoch = write.record.epoch;
      this.revision = result.revision;
      this.validUntil = sentAt + this.opts.leaseMs;
      this.watched = undefined;
      return;
    }
    // A conflict: someone else wrote the key — whatever we held is gone. Another failure (timeout, no quorum):
    // the write may or may not have landed; we keep our term only until it lapses and re-read the key next.
    if (this.role !== 'leader') return;
    if (result.conflict) this.stepDown();
    else this.uncertain = true;
  }

  /** The write that hands the lease over at once (a clean stop); undefined when not leading. */
  release(now: number): LeaseWrite | undefined {
    if (this.role !== 'leader') return undefined;
    const w: LeaseWrite = {
      kind: 'update',
      revision: this.revision,
      record: { ...this.record(this.epoch, now), released: true },
    };
    this.stepDown();
    return w;
  }

  /** Leaves leadership at once (the shell calls it too when it can no longer reach the store in time). */
  stepDown(): void {
    this.role = 'standby';
    this.validUntil = 0;
  }

  private record(epoch: number, now: number): LeaseRecord {
    return { holder: this.opts.id, epoch, renewedAt: now, leaseMs: this.opts.leaseMs };
  }
}
