/**
 * Leader lease, the shell: runs a `LeaseState` against a compare-and-set key-value store on a clock.
 *
 *   every renewIntervalMs (~1/3 of the lease):
 *     leader  → update(key, renewed record, last revision)   conflict → step down at once, read the key next tick
 *     standby → get(key) → state.observe → create / update(revision) when absent, released or lapsed
 *
 * Polling only (no watch): NATS 2.9 watches miss some deletes and KV TTLs are unreliable on R3, so the lease rests
 * on revisions and the holder's own timestamps. `isLeader(now)` and `currentEpoch()` are the fence: act only while
 * `isLeader(clock.now())` is true, and stamp every command or write with `currentEpoch()`.
 */
import { z } from 'zod';
import type { Clock, TimerHandle } from './clock';
import { KvConflictError, type CasKv } from './lease-kv';
import { LeaseState, type LeaseEntry, type LeaseRecord, type LeaseWrite, type LeaseWriteResult } from './lease';

export const LeaseRecordSchema = z
  .object({
    holder: z.string().min(1),
    epoch: z.number().int().positive(),
    renewedAt: z.number().int().nonnegative(),
    leaseMs: z.number().int().positive(),
    released: z.boolean().optional(),
  })
  .strict();

export interface LeaseEvents {
  /** This campaigner became leader of `epoch`. */
  elected?: (epoch: number) => void;
  /** This campaigner lost (or gave up) the term of `epoch`. */
  deposed?: (epoch: number) => void;
  /** A read or write failed for a reason other than a conflict (the store is unreachable, no quorum, …). */
  error?: (err: Error) => void;
}

export interface CampaignOptions {
  id: string;
  leaseMs: number;
  key: string;
  kv: CasKv;
  clock: Clock;
  events?: LeaseEvents;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export function encodeLease(r: LeaseRecord): Uint8Array {
  return enc.encode(JSON.stringify(r));
}

/** Parses a lease key's value; a value that is not a lease record is an error naming the key. */
export function decodeLease(key: string, value: Uint8Array): LeaseRecord {
  let raw: unknown;
  try {
    raw = JSON.parse(dec.decode(value));
  } catch {
    throw new Error(`lease key '${key}' does not hold JSON`);
  }
  const r = LeaseRecordSchema.safeParse(raw);
  if (!r.success)
    throw new Error(
      `lease key '${key}' does not hold a lease record: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  return r.data;
}

export class LeaseCampaign {
  readonly state: LeaseState;
  private timer?: TimerHandle;
  private running = false;
  private stopped = false;
  private busy?: Promise<void>;
  private lastEpoch = 0;

  constructor(private readonly o: CampaignOptions) {
    this.state = new LeaseState({ id: o.id, leaseMs: o.leaseMs });
  }

  isLeader(now = this.o.clock.now()): boolean {
    return this.state.isLeader(now);
  }
  currentEpoch(): number {
    return this.state.currentEpoch();
  }

  /** Starts campaigning: a first attempt now, then one every renewIntervalMs. */
  start(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    this.schedule(0);
  }

  /** One round (the timer calls it; tests may await it directly). */
  async tick(): Promise<void> {
    const { kv, key, clock } = this.o;
    let write: LeaseWrite | undefined;
    const readAt = clock.now();
    write = this.state.renewal(readAt);
    if (!write) {
      let entry: LeaseEntry | undefined;
      try {
        const e = await kv.get(key);
        entry = e ? { record: decodeLease(key, e.value), revision: e.revision } : undefined;
      } catch (err) {
        this.o.events?.error?.(err as Error);
        this.notice();
        return;
      }
      write = this.state.observe(entry, clock.now());
      this.notice();
    }
    if (!write || this.stopped) return;
    const sentAt = clock.now();
    this.state.written(write, await this.perform(write), sentAt);
    this.notice();
  }

  /** Stops campaigning; a leader hands the lease over (released) so a standby leads without waiting a lease. */
  async stop(): Promise<void> {
    this.running = false;
    this.stopped = true;
    if (this.timer) this.o.clock.clearTimeout(this.timer);
    await this.busy;
    const w = this.state.release(this.o.clock.now());
    this.notice();
    if (w) await this.perform(w);
  }

  private async perform(write: LeaseWrite): Promise<LeaseWriteResult> {
    const { kv, key } = this.o;
    try {
      const value = encodeLease(write.record);
      const revision =
        write.kind === 'create' ? await kv.create(key, value) : await kv.update(key, value, write.revision);
      return { ok: true, revision };
    } catch (err) {
      if (err instanceof KvConflictError) return { ok: false, conflict: true };
      this.o.events?.error?.(err as Error);
      return { ok: false, conflict: false };
    }
  }

  /** Reports a change of term to the listeners. */
  private notice(): void {
    const epoch = this.state.currentEpoch();
    if (epoch === this.lastEpoch) return;
    if (this.lastEpoch !== 0) this.o.events?.deposed?.(this.lastEpoch);
    this.lastEpoch = epoch;
    if (epoch !== 0) this.o.events?.elected?.(epoch);
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    this.timer = this.o.clock.setTimeout(() => {
      this.busy = this.tick()
        .catch((err: unknown) => this.o.events?.error?.(err as Error))
        .finally(() => this.schedule(this.state.renewIntervalMs));
    }, ms);
  }
}
