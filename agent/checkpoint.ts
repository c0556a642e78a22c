/**
 * The agent's checkpoint: its id, every task it launched with its container checkpoint (so an agent killed with
 * SIGKILL re-attaches to its tasks when it starts again), and the status-update outbox. One interface, two stores
 * held to the same conformance suite (checkpoint-conformance.ts):
 *   - `Checkpoint` (here): better-sqlite3 in WAL mode, `<workDir>/agent.db` — what `agora agent` uses.
 *     synchronous=FULL: each commit is fsynced before it returns, because the outbox promises that an update
 *     written is delivered — with NORMAL the last commits of a WAL database can be lost to a power cut, and a
 *     task's terminal status with them (the task rows get FULL too: one connection, one setting);
 *   - `MemoryCheckpoint` (memory-checkpoint.ts): in-process maps — what `agora sim` uses for thousands of
 *     simulated agents in one process (a SQLite file each costs three descriptors).
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  FrameworkIdSchema,
  TaskIdSchema,
  type FrameworkId,
  type FrameworkInfo,
  type TaskId,
  type TaskInfo,
  type TaskState,
} from '../sdk';
import type { ContainerCheckpoint } from '../isolation';

export interface CheckpointedTask {
  taskId: TaskId;
  frameworkId: FrameworkId;
  info: TaskInfo;
  framework: FrameworkInfo;
  role: string;
  state: TaskState;
  container?: ContainerCheckpoint;
  sandboxDir: string;
  createdAt: number;
  endedAt?: number;
}

/** One queued status update: `seq` orders them, `uuid` deduplicates (an update with a uuid already queued is ignored). */
export interface OutboxRow {
  seq: number;
  uuid: string;
  payload: Uint8Array;
}

/** The outbox's storage: in order, at most one row per uuid among the rows held. */
export interface OutboxStore {
  /** Queues an update; ignored when a row with this uuid is already held. */
  append(uuid: string, payload: Uint8Array): void;
  /** The oldest row held, if any. */
  first(): OutboxRow | undefined;
  remove(seq: number): void;
  count(): number;
}

export interface CheckpointStore {
  readonly outbox: OutboxStore;
  get(key: string): string | undefined;
  set(key: string, value: string): void;
  /** Inserts or replaces the task (by framework id and task id). */
  putTask(t: CheckpointedTask): void;
  /** Sets the state; endedAt, when given, replaces the one held (an absent endedAt keeps it). */
  setState(frameworkId: string, taskId: string, state: TaskState, endedAt?: number): void;
  setContainer(frameworkId: string, taskId: string, container: ContainerCheckpoint): void;
  deleteTask(frameworkId: string, taskId: string): void;
  /** Every task held, as copies (changing one changes nothing in the store). */
  tasks(): CheckpointedTask[];
  /** Closes the store; any call afterwards throws. */
  close(): void;
}

export class Checkpoint implements CheckpointStore {
  readonly db: Database.Database;
  readonly outbox: OutboxStore;
  private readonly stmt: ReturnType<typeof statements>;

  constructor(workDir: string) {
    mkdirSync(workDir, { recursive: true });
    this.db = new Database(join(workDir, 'agent.db'));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS tasks (framework_id TEXT NOT NULL, task_id TEXT NOT NULL, info TEXT NOT NULL, framework TEXT NOT NULL,
        role TEXT NOT NULL, state TEXT NOT NULL, container TEXT, sandbox TEXT NOT NULL, created_at INTEGER NOT NULL, ended_at INTEGER,
        PRIMARY KEY (framework_id, task_id));
      CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, uuid TEXT NOT NULL UNIQUE, payload BLOB NOT NULL);
    `);
    // Prepared once: preparing a statement per call was most of an update's cost on the agent.
    this.stmt = statements(this.db);
    const s = this.stmt;
    this.outbox = {
      append: (uuid, payload) => {
        s.outboxAppend.run(uuid, Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength));
      },
      first: () => s.outboxFirst.get() as OutboxRow | undefined,
      remove: (seq) => {
        s.outboxRemove.run(seq);
      },
      count: () => (s.outboxCount.get() as { n: number }).n,
    };
  }

  get(key: string): string | undefined {
    return (this.stmt.getMeta.get(key) as { value: string } | undefined)?.value;
  }
  set(key: string, value: string): void {
    this.stmt.setMeta.run(key, value);
  }

  putTask(t: CheckpointedTask): void {
    this.stmt.putTask.run(
      t.frameworkId,
      t.taskId,
      JSON.stringify(t.info),
      JSON.stringify(t.framework),
      t.role,
      t.state,
      t.container ? JSON.stringify(t.container) : null,
      t.sandboxDir,
      t.createdAt,
      t.endedAt ?? null,
    );
  }
  setState(frameworkId: string, taskId: string, state: TaskState, endedAt?: number): void {
    this.stmt.setState.run(state, endedAt ?? null, frameworkId, taskId);
  }
  setContainer(frameworkId: string, taskId: string, container: ContainerCheckpoint): void {
    this.stmt.setContainer.run(JSON.stringify(container), frameworkId, taskId);
  }
  deleteTask(frameworkId: string, taskId: string): void {
    this.stmt.deleteTask.run(frameworkId, taskId);
  }
  tasks(): CheckpointedTask[] {
    return (this.stmt.tasks.all() as Record<string, string | number | null>[]).map((r) => ({
      frameworkId: FrameworkIdSchema.parse(r.framework_id),
      taskId: TaskIdSchema.parse(r.task_id),
      info: JSON.parse(r.info as string),
      framework: JSON.parse(r.framework as string),
      role: r.role as string,
      state: r.state as TaskState,
      container: r.container ? JSON.parse(r.container as string) : undefined,
      sandboxDir: r.sandbox as string,
      createdAt: r.created_at as number,
      endedAt: (r.ended_at as number | null) ?? undefined,
    }));
  }
  close(): void {
    this.db.close();
  }
}

function statements(db: Database.Database) {
  return {
    getMeta: db.prepare('SELECT value FROM meta WHERE key = ?'),
    setMeta: db.prepare(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
    ),
    putTask:
      db.prepare(`INSERT INTO tasks (framework_id, task_id, info, framework, role, state, container, sandbox, created_at, ended_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(framework_id, task_id) DO UPDATE SET info = excluded.info, framework = excluded.framework,
      role = excluded.role, state = excluded.state, container = excluded.container, sandbox = excluded.sandbox, created_at = excluded.created_at, ended_at = excluded.ended_at`),
    setState: db.prepare(
      'UPDATE tasks SET state = ?, ended_at = COALESCE(?, ended_at) WHERE framework_id = ? AND task_id = ?',
    ),
    setContainer: db.prepare('UPDATE tasks SET container = ? WHERE framework_id = ? AND task_id = ?'),
    deleteTask: db.prepare('DELETE FROM tasks WHERE framework_id = ? AND task_id = ?'),
    tasks: db.prepare('SELECT * FROM tasks'),
    outboxAppend: db.prepare('INSERT OR IGNORE INTO outbox (uuid, payload) VALUES (?, ?)'),
    outboxFirst: db.prepare('SELECT seq, uuid, payload FROM outbox ORDER BY seq LIMIT 1'),
    outboxRemove: db.prepare('DELETE FROM outbox WHERE seq = ?'),
    outboxCount: db.prepare('SELECT COUNT(*) AS n FROM outbox'),
  };
}
