/**
 * The compare-and-set key-value store a lease needs, and two implementations with the same semantics:
 *
 * - `JetStreamKv`: a JetStream key-value bucket in NATS's own layout (stream `KV_<bucket>`, subjects
 *   `$KV.<bucket>.<key>`, one message kept per key), so `nats kv get <bucket> <key>` reads it. `create` publishes
 *   expecting no previous message on the key's subject, `update` expecting the given revision (the stream
 *   sequence of the key's last message); the server refuses either atomically (error 10071, wrong last sequence).
 *   Built on @nats-io/jetstream alone (no extra KV package).
 * - `MemoryKv`: the same contract in memory, for unit tests on an injected clock.
 *
 * Revisions are stream sequences: increasing across the whole bucket, never reused.
 */
import {
  DiscardPolicy,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';

export interface KvEntry {
  value: Uint8Array;
  revision: number;
}

/** A write refused because the key's revision was not the one expected (or the key already exists, for create). */
export class KvConflictError extends Error {
  constructor(
    readonly key: string,
    readonly expected: number,
  ) {
    super(`key '${key}': expected revision ${expected === 0 ? '(absent)' : expected} does not match`);
    this.name = 'KvConflictError';
  }
}

export interface CasKv {
  get(key: string): Promise<KvEntry | undefined>;
  /** Writes `value` only if `key` is absent; returns the new revision or throws KvConflictError. */
  create(key: string, value: Uint8Array): Promise<number>;
  /** Writes `value` only if `key`'s revision is `revision`; returns the new revision or throws KvConflictError. */
  update(key: string, value: Uint8Array, revision: number): Promise<number>;
}

const WRONG_LAST_SEQUENCE = 10071;
const KEY_RE = /^[-/_=.a-zA-Z0-9]+$/;

function checkKey(key: string): void {
  if (!KEY_RE.test(key) || key.startsWith('.') || key.endsWith('.'))
    throw new Error(`invalid key '${key}': letters, digits and -/_=. only, not starting or ending with '.'`);
}

export interface BucketOptions {
  /** Copies of the bucket across the NATS cluster: min(3, cluster size) for a replicated store. */
  replicas?: number;
}

export class JetStreamKv implements CasKv {
  private constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    readonly bucket: string,
  ) {}

  /** Opens the bucket, creating it (with `replicas` copies) when it does not exist yet. */
  static async open(
    js: JetStreamClient,
    jsm: JetStreamManager,
    bucket: string,
    opts: BucketOptions = {},
  ): Promise<JetStreamKv> {
    if (!/^[-\w]+$/.test(bucket)) throw new Error(`invalid bucket name '${bucket}': letters, digits, - and _ only`);
    const name = `KV_${bucket}`;
    const existing = await jsm.streams.info(name).catch((err: unknown) => {
      if (err instanceof JetStreamApiError && err.code === 10059) return undefined; // stream not found
      throw err;
    });
    if (!existing) {
      await jsm.streams.add({
        name,
        subjects: [`$KV.${bucket}.>`],
        max_msgs_per_subject: 1,
        discard: DiscardPolicy.New,
        retention: RetentionPolicy.Limits,
        storage: StorageType.File,
        num_replicas: opts.replicas ?? 1,
        allow_rollup_hdrs: true,
        deny_delete: true,
        allow_direct: true,
      });
    }
    return new JetStreamKv(js, jsm, bucket);
  }

  private subject(key: string): string {
    checkKey(key);
    return `$KV.${this.bucket}.${key}`;
  }

  async get(key: string): Promise<KvEntry | undefined> {
    const m = await this.jsm.streams.getMessage(`KV_${this.bucket}`, { last_by_subj: this.subject(key) });
    if (!m) return undefined;
    const op = m.header?.get('KV-Operation');
    if (op === 'DEL' || op === 'PURGE') return undefined;
    return { value: m.data, revision: m.seq };
  }

  create(key: string, value: Uint8Array): Promise<number> {
    return this.put(key, value, 0);
  }

  update(key: string, value: Uint8Array, revision: number): Promise<number> {
    if (!Number.isInteger(revision) || revision < 1)
      throw new Error(`revision must be a positive integer (got ${revision})`);
    return this.put(key, value, revision);
  }

  private async put(key: string, value: Uint8Array, expected: number): Promise<number> {
    try {
      const ack = await this.js.publish(this.subject(key), value, { expect: { lastSubjectSequence: expected } });
      return ack.seq;
    } catch (err) {
      if (err instanceof JetStreamApiError && err.code === WRONG_LAST_SEQUENCE)
        throw new KvConflictError(key, expected);
      throw err;
    }
  }
}

/** The same compare-and-set contract in memory (unit tests); `failNext` makes the next write fail as a timeout
 * would, `loseNextAck` makes it land but report a timeout. */
export class MemoryKv implements CasKv {
  private seq = 0;
  private readonly entries = new Map<string, KvEntry>();
  private failures = 0;

  private lostAcks = 0;

  failNext(n = 1): void {
    this.failures += n;
  }
  /** The next write lands but its caller hears a timeout (a lost acknowledgement). */
  loseNextAck(): void {
    this.lostAcks++;
  }

  get(key: string): Promise<KvEntry | undefined> {
    checkKey(key);
    return Promise.resolve(this.entries.get(key));
  }

  create(key: string, value: Uint8Array): Promise<number> {
    return this.put(key, value, 0);
  }

  update(key: string, value: Uint8Array, revision: number): Promise<number> {
    if (!Number.isInteger(revision) || revision < 1)
      return Promise.reject(new Error(`revision must be a positive integer (got ${revision})`));
    return this.put(key, value, revision);
  }

  private put(key: string, value: Uint8Array, expected: number): Promise<number> {
    checkKey(key);
    if (this.failures > 0) {
      this.failures--;
      return Promise.reject(new Error('MemoryKv: injected failure (timeout)'));
    }
    const cur = this.entries.get(key)?.revision ?? 0;
    if (cur !== expected) return Promise.reject(new KvConflictError(key, expected));
    const revision = ++this.seq;
    this.entries.set(key, { value: value.slice(), revision });
    if (this.lostAcks > 0) {
      this.lostAcks--;
      return Promise.reject(new Error('MemoryKv: injected lost acknowledgement'));
    }
    return Promise.resolve(revision);
  }
}
