/**
 * The agent's checkpoint (better-sqlite3, WAL): its id, and every task it launched with its container
 * checkpoint, so an agent killed with SIGKILL re-attaches to its tasks when it starts again. The update outbox
 * (outbox.ts) lives in the same file. synchronous=FULL: each commit is fsynced before it returns, because the
 * outbox promises that an update written is delivered — with NORMAL the last commits of a WAL database can be
 * lost to a power cut, and a task's terminal status with them. (One connection, one setting: the task rows get
 * FULL too; an fsync per status update is a few ms at most, off the launch path's critical section.)
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { FrameworkIdSchema, TaskIdSchema, type FrameworkId, type FrameworkInfo, type TaskId, type TaskInfo, type TaskState } from '../sdk';
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

export class Checkpoint {
  readonly db: Database.Database;

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
    `);
  }

  get(key: string): string | undefined {
    return (this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  }
  set(key: string, value: string): void {
    this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  putTask(t: CheckpointedTask): void {
    this.db.prepare(`INSERT INTO tasks (framework_id, task_id, info, framework, role, state, container, sandbox, created_at, ended_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(framework_id, task_id) DO UPDATE SET info = excluded.info, framework = excluded.framework,
      role = excluded.role, state = excluded.state, container = excluded.container, sandbox = excluded.sandbox, created_at = excluded.created_at, ended_at = excluded.ended_at`)
      .run(t.frameworkId, t.taskId, JSON.stringify(t.info), JSON.stringify(t.framework), t.role, t.state, t.container ? JSON.stringify(t.container) : null, t.sandboxDir, t.createdAt, t.endedAt ?? null);
  }
  setState(frameworkId: string, taskId: string, state: TaskState, endedAt?: number): void {
    this.db.prepare('UPDATE tasks SET state = ?, ended_at = COALESCE(?, ended_at) WHERE framework_id = ? AND task_id = ?').run(state, endedAt ?? null, frameworkId, taskId);
  }
  setContainer(frameworkId: string, taskId: string, container: ContainerCheckpoint): void {
    this.db.prepare('UPDATE tasks SET container = ? WHERE framework_id = ? AND task_id = ?').run(JSON.stringify(container), frameworkId, taskId);
  }
  deleteTask(frameworkId: string, taskId: string): void {
    this.db.prepare('DELETE FROM tasks WHERE framework_id = ? AND task_id = ?').run(frameworkId, taskId);
  }
  tasks(): CheckpointedTask[] {
    return (this.db.prepare('SELECT * FROM tasks').all() as Record<string, string | number | null>[]).map((r) => ({
      frameworkId: FrameworkIdSchema.parse(r.framework_id), taskId: TaskIdSchema.parse(r.task_id), info: JSON.parse(r.info as string), framework: JSON.parse(r.framework as string),
      role: r.role as string, state: r.state as TaskState, container: r.container ? JSON.parse(r.container as string) : undefined,
      sandboxDir: r.sandbox as string, createdAt: r.created_at as number, endedAt: (r.ended_at as number | null) ?? undefined,
    }));
  }
  close(): void { this.db.close(); }
}
