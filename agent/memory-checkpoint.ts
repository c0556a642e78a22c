/**
 * The agent's checkpoint in memory (see checkpoint.ts for the interface and the SQLite store): what `agora sim`
 * gives each simulated agent. A `MemoryCheckpointBacking` plays the disk: a second `MemoryCheckpoint` on the
 * same backing sees what the first wrote (a simulated agent restart), and several agents may share nothing but
 * the process. Tasks are kept as JSON text, as the SQLite store keeps them, so no caller can change one in place.
 */
import type { TaskState } from '../sdk';
import type { ContainerCheckpoint } from '../isolation';
import type { CheckpointedTask, CheckpointStore, OutboxRow, OutboxStore } from './checkpoint';

interface StoredTask {
  json: string;
  state: TaskState;
  container?: string;
  endedAt?: number;
}

export class MemoryCheckpointBacking {
  readonly meta = new Map<string, string>();
  readonly tasks = new Map<string, StoredTask>();
  /** seq → row, in insertion (= seq) order. */
  readonly outbox = new Map<number, OutboxRow>();
  readonly outboxUuids = new Set<string>();
  nextSeq = 1;
}

export class MemoryCheckpoint implements CheckpointStore {
  readonly outbox: OutboxStore;
  private closed = false;

  constructor(private readonly b: MemoryCheckpointBacking = new MemoryCheckpointBacking()) {
    this.outbox = {
      append: (uuid, payload) => {
        this.open();
        if (b.outboxUuids.has(uuid)) return;
        const seq = b.nextSeq++;
        b.outbox.set(seq, { seq, uuid, payload: Uint8Array.from(payload) });
        b.outboxUuids.add(uuid);
      },
      first: () => {
        this.open();
        for (const row of b.outbox.values()) return { ...row };
        return undefined;
      },
      remove: (seq) => {
        this.open();
        const row = b.outbox.get(seq);
        if (!row) return;
        b.outbox.delete(seq);
        b.outboxUuids.delete(row.uuid);
      },
      count: () => {
        this.open();
        return b.outbox.size;
      },
    };
  }

  private open(): void {
    if (this.closed) throw new Error('the checkpoint is closed');
  }

  get(key: string): string | undefined {
    this.open();
    return this.b.meta.get(key);
  }
  set(key: string, value: string): void {
    this.open();
    this.b.meta.set(key, value);
  }

  putTask(t: CheckpointedTask): void {
    this.open();
    const { state, container, endedAt, ...rest } = t;
    this.b.tasks.set(taskKey(t.frameworkId, t.taskId), {
      json: JSON.stringify(rest),
      state,
      container: container ? JSON.stringify(container) : undefined,
      endedAt,
    });
  }
  setState(frameworkId: string, taskId: string, state: TaskState, endedAt?: number): void {
    this.open();
    const t = this.b.tasks.get(taskKey(frameworkId, taskId));
    if (!t) return;
    t.state = state;
    if (endedAt !== undefined) t.endedAt = endedAt;
  }
  setContainer(frameworkId: string, taskId: string, container: ContainerCheckpoint): void {
    this.open();
    const t = this.b.tasks.get(taskKey(frameworkId, taskId));
    if (t) t.container = JSON.stringify(container);
  }
  deleteTask(frameworkId: string, taskId: string): void {
    this.open();
    this.b.tasks.delete(taskKey(frameworkId, taskId));
  }
  tasks(): CheckpointedTask[] {
    this.open();
    return [...this.b.tasks.values()].map((t) => ({
      ...(JSON.parse(t.json) as Omit<CheckpointedTask, 'state' | 'container' | 'endedAt'>),
      state: t.state,
      container: t.container ? (JSON.parse(t.container) as ContainerCheckpoint) : undefined,
      endedAt: t.endedAt,
    }));
  }
  close(): void {
    this.closed = true;
  }
}

const taskKey = (frameworkId: string, taskId: string) => `${frameworkId}\u0000${taskId}`;
