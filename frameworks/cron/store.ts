/**
 * The cron framework's durable state in SQLite (better-sqlite3, WAL): jobs, runs, and the fire ledger.
 *
 * The ledger holds one row per (job, trigger, slot). A slot is decided — claimed (a QUEUED run) or missed
 * (a MISSED run) — in the same transaction that writes the ledger row, before anything is launched, and the
 * primary key makes a second decision of the same slot a no-op. That is what keeps a restarted framework from
 * running a slot twice. Retries are further runs of the same slot and write no ledger row.
 *
 * synchronous=FULL: the ledger row must be on disk before the run it claims is launched, or a power cut after the
 * launch would forget the claim and the restarted framework would run the slot again (NORMAL, in WAL mode, keeps
 * commits across a process crash but not across power loss). Writes are per run, not per second: cheap.
 */
import Database from 'better-sqlite3';
import type { ActiveRun } from './dispatcher';
import type {
  DeliveryAttempt,
  JobNotificationBody,
  JobSpec,
  NotificationView,
  NotifyEvent,
  RunReason,
  RunState,
  RunTrigger,
  RunView,
} from 'agora/sdk/cron';
import type { NewNotification, NotificationRecord, NotificationTarget } from './notify-core';

export interface StoredJob {
  spec: JobSpec;
  createdAt: number;
  updatedAt: number;
  cursorMs: number;
  depWatermarkMs: number;
}
export interface RunRow extends RunView {
  killReason?: RunReason;
}
export interface RunStats {
  succeeded: number;
  finished: number;
  lastSuccessMs: number | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
  name TEXT PRIMARY KEY, spec TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
  cursor_ms INTEGER NOT NULL, dep_watermark_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS ledger (
  job TEXT NOT NULL, trigger TEXT NOT NULL, slot_ms INTEGER NOT NULL, decision TEXT NOT NULL, decided_at INTEGER NOT NULL,
  PRIMARY KEY (job, trigger, slot_ms));
CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT, job TEXT NOT NULL, scheduled_at INTEGER NOT NULL, trigger TEXT NOT NULL,
  attempt INTEGER NOT NULL, state TEXT NOT NULL, due_at INTEGER NOT NULL, started_at INTEGER, ended_at INTEGER,
  exit_code INTEGER, reason TEXT, message TEXT, agent_id TEXT, task_id TEXT, kill_reason TEXT, created_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS runs_by_job ON runs (job, id);
CREATE INDEX IF NOT EXISTS runs_active ON runs (state) WHERE state IN ('QUEUED', 'RUNNING');
CREATE TABLE IF NOT EXISTS notifications (
  id INTEGER PRIMARY KEY AUTOINCREMENT, run_id INTEGER NOT NULL, job TEXT NOT NULL, event TEXT NOT NULL, target TEXT NOT NULL,
  body TEXT NOT NULL, state TEXT NOT NULL, next_at INTEGER, attempts TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS notifications_by_run ON notifications (run_id);
CREATE INDEX IF NOT EXISTS notifications_pending ON notifications (next_at) WHERE state = 'PENDING';
`;

interface RunRecord {
  id: number;
  job: string;
  scheduled_at: number;
  trigger: RunTrigger;
  attempt: number;
  state: RunState;
  due_at: number;
  started_at: number | null;
  ended_at: number | null;
  exit_code: number | null;
  reason: RunReason | null;
  message: string | null;
  agent_id: string | null;
  task_id: string | null;
  kill_reason: RunReason | null;
  params: string | null;
}

const toRun = (r: RunRecord): RunRow => {
  const out: RunRow = {
    id: r.id,
    job: r.job,
    scheduledAt: r.scheduled_at,
    trigger: r.trigger,
    attempt: r.attempt,
    state: r.state,
    dueAt: r.due_at,
  };
  if (r.started_at !== null) out.startedAt = r.started_at;
  if (r.ended_at !== null) out.endedAt = r.ended_at;
  if (r.exit_code !== null) out.exitCode = r.exit_code;
  if (r.reason !== null) out.reason = r.reason;
  if (r.message !== null) out.message = r.message;
  if (r.agent_id !== null) out.agentId = r.agent_id;
  if (r.task_id !== null) out.taskId = r.task_id;
  if (r.kill_reason !== null) out.killReason = r.kill_reason;
  if (r.params !== null) out.parameters = JSON.parse(r.params) as Record<string, string>;
  return out;
};

export const toActive = (r: RunRow): ActiveRun => ({
  id: r.id,
  job: r.job,
  state: r.state as 'QUEUED' | 'RUNNING',
  scheduledAt: r.scheduledAt,
  dueAt: r.dueAt,
  startedAt: r.startedAt ?? null,
  attempt: r.attempt,
  killReason: r.killReason ?? null,
});

/** Notifications to store in the same transaction as a run's end, computed from the ended run. */
export type NotifyOnEnd = (run: RunRow) => NewNotification[];

interface NotificationRow {
  id: number;
  run_id: number;
  job: string;
  event: NotifyEvent;
  target: string;
  body: string;
  state: NotificationRecord['state'];
  next_at: number | null;
  attempts: string;
}
const toNotification = (r: NotificationRow): NotificationRecord => ({
  id: r.id,
  runId: r.run_id,
  event: r.event,
  target: JSON.parse(r.target) as NotificationTarget,
  body: JSON.parse(r.body) as JobNotificationBody,
  state: r.state,
  nextAt: r.next_at,
  attempts: JSON.parse(r.attempts) as DeliveryAttempt[],
});
export const toNotificationView = (n: NotificationRecord): NotificationView => ({
  id: n.id,
  event: n.event,
  target: n.target,
  state: n.state,
  ...(n.nextAt !== null && n.state === 'PENDING' ? { nextAt: n.nextAt } : {}),
  attempts: n.attempts,
});

export type SlotDecision =
  { decision: 'claimed'; dueAt: number } | { decision: 'missed'; reason: RunReason; message: string };

export class CronStore {
  private readonly db: Database.Database;

  /** `path` is a file (WAL journal) or `:memory:` for tests. */
  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL'); // the fire ledger's exactly-once promise (above)
    this.db.exec(SCHEMA);
    // Databases made before run parameters existed get the column.
    const columns = this.db.prepare('PRAGMA table_info(runs)').all() as { name: string }[];
    if (!columns.some((c) => c.name === 'params')) this.db.exec('ALTER TABLE runs ADD COLUMN params TEXT');
  }

  close(): void {
    this.db.close();
  }

  getMeta(key: string): string | undefined {
    return (this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  }
  setMeta(key: string, value: string): void {
    this.db
      .prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value')
      .run(key, value);
  }

  // ---- jobs -------------------------------------------------------------------------------------------

  /**
   * Creates or replaces a job. A new job, or a changed schedule or zone, starts from `now`: slots before it are
   * never run. An update that keeps the schedule keeps the cursor, so no slot falls between old and new.
   */
  putJob(spec: JobSpec, now: number): { created: boolean } {
    const existing = this.getJob(spec.name);
    if (existing) {
      const rescheduled = existing.spec.schedule !== spec.schedule || existing.spec.timezone !== spec.timezone;
      const cursor = rescheduled ? Math.max(existing.cursorMs, now) : existing.cursorMs;
      this.db
        .prepare('UPDATE jobs SET spec = ?, updated_at = ?, cursor_ms = ? WHERE name = ?')
        .run(JSON.stringify(spec), now, cursor, spec.name);
      return { created: false };
    }
    this.db
      .prepare(
        'INSERT INTO jobs (name, spec, created_at, updated_at, cursor_ms, dep_watermark_ms) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(spec.name, JSON.stringify(spec), now, now, now, now);
    return { created: true };
  }

  getJob(name: string): StoredJob | undefined {
    const row = this.db.prepare('SELECT * FROM jobs WHERE name = ?').get(name) as JobRecord | undefined;
    return row && toJob(row);
  }

  listJobs(): StoredJob[] {
    return (this.db.prepare('SELECT * FROM jobs ORDER BY name').all() as JobRecord[]).map(toJob);
  }

  /** Enables or disables; enabling moves the cursor to `now`, so slots that fell while disabled are not run. */
  setDisabled(name: string, disabled: boolean, now: number): void {
    const job = this.getJob(name);
    if (!job) return;
    const cursor = disabled ? job.cursorMs : Math.max(job.cursorMs, now);
    this.db
      .prepare('UPDATE jobs SET spec = ?, updated_at = ?, cursor_ms = ? WHERE name = ?')
      .run(JSON.stringify({ ...job.spec, disabled }), now, cursor, name);
  }

  /** Deletes the job; its runs and ledger stay as history. */
  removeJob(name: string): boolean {
    return this.db.prepare('DELETE FROM jobs WHERE name = ?').run(name).changes > 0;
  }

  // ---- the ledger -------------------------------------------------------------------------------------

  /**
   * Decides a slot exactly once: writes the ledger row and the run (QUEUED or MISSED) in one transaction and
   * advances the job's cursor (schedule) or dependency watermark. Returns the run, or null when the slot was
   * already decided.
   */
  decideSlot(
    job: string,
    trigger: RunTrigger,
    slotMs: number,
    d: SlotDecision,
    now: number,
    opts: { parameters?: Record<string, string>; notify?: NotifyOnEnd } = {},
  ): RunRow | null {
    return this.db.transaction(() => {
      const inserted = this.db
        .prepare('INSERT OR IGNORE INTO ledger (job, trigger, slot_ms, decision, decided_at) VALUES (?, ?, ?, ?, ?)')
        .run(job, trigger, slotMs, d.decision, now);
      if (inserted.changes === 0) return null;
      if (trigger === 'schedule')
        this.db.prepare('UPDATE jobs SET cursor_ms = MAX(cursor_ms, ?) WHERE name = ?').run(slotMs, job);
      if (trigger === 'dependency')
        this.db.prepare('UPDATE jobs SET dep_watermark_ms = MAX(dep_watermark_ms, ?) WHERE name = ?').run(slotMs, job);
      const parameters = opts.parameters;
      const id =
        d.decision === 'claimed'
          ? this.insertRun(
              { job, scheduledAt: slotMs, trigger, attempt: 1, state: 'QUEUED', dueAt: d.dueAt, parameters },
              now,
            )
          : this.insertRun(
              {
                job,
                scheduledAt: slotMs,
                trigger,
                attempt: 1,
                state: 'MISSED',
                dueAt: slotMs,
                endedAt: now,
                reason: d.reason,
                message: d.message,
                parameters,
              },
              now,
            );
      const run = this.getRun(id)!;
      if (d.decision === 'missed' && opts.notify) this.insertNotifications(run, opts.notify(run), now);
      return run;
    })();
  }

  /** A manual run: its slot is the request time (nudged forward by a millisecond if two land together). */
  claimManual(job: string, now: number, parameters?: Record<string, string>): RunRow {
    for (let slot = now; ; slot++) {
      const run = this.decideSlot(job, 'manual', slot, { decision: 'claimed', dueAt: now }, now, { parameters });
      if (run) return run;
    }
  }

  isDecided(job: string, trigger: RunTrigger, slotMs: number): boolean {
    return (
      this.db
        .prepare('SELECT 1 FROM ledger WHERE job = ? AND trigger = ? AND slot_ms = ?')
        .get(job, trigger, slotMs) !== undefined
    );
  }

  // ---- runs -------------------------------------------------------------------------------------------

  private insertRun(r: Omit<RunView, 'id' | 'notifications'>, now: number): number {
    const { parameters, ...row } = r;
    const info = this.db
      .prepare(
        `INSERT INTO runs (job, scheduled_at, trigger, attempt, state, due_at, ended_at, reason, message, params, created_at)
      VALUES (@job, @scheduledAt, @trigger, @attempt, @state, @dueAt, @endedAt, @reason, @message, @params, @now)`,
      )
      .run({
        endedAt: null,
        reason: null,
        message: null,
        ...row,
        params: parameters ? JSON.stringify(parameters) : null,
        now,
      });
    return Number(info.lastInsertRowid);
  }

  /** A retry of `run`: the same slot and parameters, the next attempt, QUEUED until `dueAt`. */
  insertRetry(run: RunRow, attempt: number, dueAt: number, now: number): RunRow {
    return this.getRun(
      this.insertRun(
        {
          job: run.job,
          scheduledAt: run.scheduledAt,
          trigger: 'retry',
          attempt,
          state: 'QUEUED',
          dueAt,
          parameters: run.parameters,
        },
        now,
      ),
    )!;
  }

  getRun(id: number): RunRow | undefined {
    const r = this.db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RunRecord | undefined;
    return r && toRun(r);
  }

  latestRun(job: string): RunRow | undefined {
    const r = this.db.prepare('SELECT * FROM runs WHERE job = ? ORDER BY id DESC LIMIT 1').get(job) as
      RunRecord | undefined;
    return r && toRun(r);
  }

  /** Newest first. */
  history(job: string, limit: number, beforeId?: number): RunRow[] {
    return (
      this.db
        .prepare('SELECT * FROM runs WHERE job = ? AND id < ? ORDER BY id DESC LIMIT ?')
        .all(job, beforeId ?? Number.MAX_SAFE_INTEGER, limit) as RunRecord[]
    ).map(toRun);
  }

  activeRuns(job?: string): RunRow[] {
    const rows =
      job === undefined
        ? this.db.prepare("SELECT * FROM runs WHERE state IN ('QUEUED', 'RUNNING') ORDER BY id").all()
        : this.db.prepare("SELECT * FROM runs WHERE state IN ('QUEUED', 'RUNNING') AND job = ? ORDER BY id").all(job);
    return (rows as RunRecord[]).map(toRun);
  }

  /** QUEUED → RUNNING with its task, written before the launch is sent. False if the run was no longer QUEUED. */
  markLaunched(id: number, taskId: string, agentId: string, now: number): boolean {
    return (
      this.db
        .prepare(
          "UPDATE runs SET state = 'RUNNING', task_id = ?, agent_id = ?, started_at = ? WHERE id = ? AND state = 'QUEUED'",
        )
        .run(taskId, agentId, now, id).changes > 0
    );
  }

  /** Back to QUEUED after the master refused the launch outright. */
  unlaunch(id: number): void {
    this.db
      .prepare(
        "UPDATE runs SET state = 'QUEUED', task_id = NULL, agent_id = NULL, started_at = NULL WHERE id = ? AND state = 'RUNNING'",
      )
      .run(id);
  }

  setAgent(id: number, agentId: string): void {
    this.db
      .prepare('UPDATE runs SET agent_id = ? WHERE id = ? AND (agent_id IS NULL OR agent_id <> ?)')
      .run(agentId, id, agentId);
  }

  setKillReason(id: number, reason: RunReason): void {
    this.db.prepare('UPDATE runs SET kill_reason = ? WHERE id = ? AND kill_reason IS NULL').run(reason, id);
  }

  /**
   * Ends an active run and stores the notifications `notify` makes of it, in one transaction: a crash cannot
   * end a run and lose its notification. Idempotent: false when the run had already ended (a duplicate update).
   */
  finishRun(
    id: number,
    end: { state: RunState; reason: RunReason; exitCode?: number; message?: string },
    now: number,
    notify?: NotifyOnEnd,
  ): boolean {
    return this.db.transaction(() => {
      const changed =
        this.db
          .prepare(
            `UPDATE runs SET state = ?, reason = ?, exit_code = ?, message = COALESCE(?, message), ended_at = ?
        WHERE id = ? AND state IN ('QUEUED', 'RUNNING')`,
          )
          .run(end.state, end.reason, end.exitCode ?? null, end.message ?? null, now, id).changes > 0;
      if (changed && notify) {
        const run = this.getRun(id)!;
        this.insertNotifications(run, notify(run), now);
      }
      return changed;
    })();
  }

  // ---- notifications ----------------------------------------------------------------------------------

  private insertNotifications(run: RunRow, made: readonly NewNotification[], now: number): void {
    const insert = this.db
      .prepare(`INSERT INTO notifications (run_id, job, event, target, body, state, next_at, attempts, created_at)
      VALUES (?, ?, ?, ?, ?, 'PENDING', ?, '[]', ?)`);
    for (const n of made)
      insert.run(run.id, run.job, n.event, JSON.stringify(n.target), JSON.stringify(n.body), now, now);
  }

  /** Every notification still to be delivered (a restart picks them up from here). */
  pendingNotifications(): NotificationRecord[] {
    return (
      this.db
        .prepare("SELECT * FROM notifications WHERE state = 'PENDING' ORDER BY next_at, id")
        .all() as NotificationRow[]
    ).map(toNotification);
  }

  getNotification(id: number): NotificationRecord | undefined {
    const r = this.db.prepare('SELECT * FROM notifications WHERE id = ?').get(id) as NotificationRow | undefined;
    return r && toNotification(r);
  }

  /** Appends a delivery attempt and sets the notification's new state (and next try). */
  recordDelivery(
    id: number,
    attempt: DeliveryAttempt,
    state: NotificationRecord['state'],
    nextAt: number | null,
  ): void {
    this.db.transaction(() => {
      const row = this.db.prepare('SELECT attempts FROM notifications WHERE id = ?').get(id) as
        { attempts: string } | undefined;
      if (!row) return;
      const attempts = [...(JSON.parse(row.attempts) as DeliveryAttempt[]), attempt];
      this.db
        .prepare('UPDATE notifications SET attempts = ?, state = ?, next_at = ? WHERE id = ?')
        .run(JSON.stringify(attempts), state, nextAt, id);
    })();
  }

  /** The notifications of these runs, by run id. */
  notificationsOf(runIds: readonly number[]): Map<number, NotificationRecord[]> {
    const out = new Map<number, NotificationRecord[]>();
    if (runIds.length === 0) return out;
    const rows = this.db
      .prepare(`SELECT * FROM notifications WHERE run_id IN (${runIds.map(() => '?').join(',')}) ORDER BY id`)
      .all(...runIds) as NotificationRow[];
    for (const n of rows.map(toNotification)) out.set(n.runId, [...(out.get(n.runId) ?? []), n]);
    return out;
  }

  /** When the job's newest SUCCEEDED run ended. */
  lastSuccessMs(job: string): number | null {
    const r = this.db.prepare("SELECT MAX(ended_at) AS t FROM runs WHERE job = ? AND state = 'SUCCEEDED'").get(job) as {
      t: number | null;
    };
    return r.t;
  }

  stats(job: string): RunStats {
    const r = this.db
      .prepare(
        `SELECT SUM(state = 'SUCCEEDED') AS succeeded, SUM(state IN ('SUCCEEDED', 'FAILED', 'MISSED', 'KILLED')) AS finished,
      MAX(CASE WHEN state = 'SUCCEEDED' THEN ended_at END) AS lastSuccess FROM runs WHERE job = ?`,
      )
      .get(job) as { succeeded: number | null; finished: number | null; lastSuccess: number | null };
    return { succeeded: r.succeeded ?? 0, finished: r.finished ?? 0, lastSuccessMs: r.lastSuccess };
  }

  /**
   * Retention: keeps the newest `keepRunsPerJob` ended runs of each job and drops ended runs and ledger rows
   * older than `maxAgeMs`. Active runs are never dropped; a dropped ledger row is older than its job's cursor,
   * so it can never be decided again.
   */
  prune(keepRunsPerJob: number, maxAgeMs: number, now: number): { runs: number; ledger: number } {
    return this.db.transaction(() => {
      const cutoff = now - maxAgeMs;
      const runs = this.db
        .prepare(
          `DELETE FROM runs WHERE state NOT IN ('QUEUED', 'RUNNING') AND (ended_at < ? OR id IN (
        SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY job ORDER BY id DESC) AS n FROM runs WHERE state NOT IN ('QUEUED', 'RUNNING')) WHERE n > ?))`,
        )
        .run(cutoff, keepRunsPerJob).changes;
      // A schedule slot at or before its job's cursor (a dependency slot at or before its watermark) is never
      // looked at again; manual slots never are. A removed job's rows go by age alone.
      const ledger = this.db
        .prepare(
          `DELETE FROM ledger WHERE decided_at < @cutoff AND slot_ms <= COALESCE((
        SELECT CASE ledger.trigger WHEN 'schedule' THEN cursor_ms WHEN 'dependency' THEN dep_watermark_ms ELSE ledger.slot_ms END
        FROM jobs WHERE jobs.name = ledger.job), ledger.slot_ms)`,
        )
        .run({ cutoff }).changes;
      // A pruned run's delivered or failed notifications go with it; pending ones are still owed.
      this.db
        .prepare("DELETE FROM notifications WHERE state <> 'PENDING' AND run_id NOT IN (SELECT id FROM runs)")
        .run();
      return { runs, ledger };
    })();
  }
}

interface JobRecord {
  name: string;
  spec: string;
  created_at: number;
  updated_at: number;
  cursor_ms: number;
  dep_watermark_ms: number;
}
const toJob = (r: JobRecord): StoredJob => ({
  // Jobs stored before parameters and notifications existed get their defaults.
  spec: { parameters: [], notify: [], ...JSON.parse(r.spec) } as JobSpec,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  cursorMs: r.cursor_ms,
  depWatermarkMs: r.dep_watermark_ms,
});
