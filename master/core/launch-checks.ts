/**
 * Launch reconciliation, as Mesos's master reconciles with its agents: a task stays TASK_STAGING at the master
 * until its agent reports on it, so a LAUNCH the agent never received would leave it STAGING forever. The core
 * asks the agent instead (RECONCILE_LAUNCHES) and acts only on its answer:
 *
 *   LAUNCH unconfirmed (TIMEOUT) ─┐
 *   agent re-registers without it ┤
 *   STAGING > LAUNCH_CHECK_AFTER_MS ┴─▶ check due ──tick──▶ SEND_COMMAND RECONCILE_LAUNCHES (per agent, batched)
 *      known     ──▶ left alone (its own updates follow); asked again if still STAGING after LAUNCH_CHECK_AFTER_MS
 *      not known ──▶ TASK_DROPPED (reason TASK_UNKNOWN) — the agent refuses that LAUNCH from before its answer on
 *      no answer ──▶ asked again later (backoff 1 s doubling to 30 s); nothing is declared without an answer
 *
 * Each check names the task's launch id (TaskRecord.launchId): an answer about an earlier launch of the same task
 * id changes nothing. Checks are in-memory: a master restart rebuilds its tasks from the agents' reports.
 */
import { ReconcileLaunchesReplySchema, type AgentId } from '../../sdk';
import type { TaskRecord } from '../state';
import type { MasterCore } from './core';
import type { CommandOutcome } from './effects';
import type { Tx } from './tx';

/** A task STAGING this long is checked even though its LAUNCH was confirmed (and again as long as it stays so). */
export const LAUNCH_CHECK_AFTER_MS = 30_000;
/** How long the master waits for an answer to RECONCILE_LAUNCHES. */
export const LAUNCH_CHECK_TIMEOUT_MS = 5000;
/** At most this many launches named in one RECONCILE_LAUNCHES (the schema's bound). */
export const LAUNCH_CHECK_BATCH = 1000;
/** How often the tick looks for long-STAGING tasks (a scan of every live task). */
export const STAGING_SCAN_EVERY_MS = 5000;

/** A check of one task's launch: when it is due, whether a query is on its way, how many went unanswered. */
export interface LaunchCheck {
  agentId: AgentId;
  launchId: string;
  dueAt: number;
  inFlight: boolean;
  failures: number;
}

/** The task's launch is to be checked now (if it is not already being checked). */
export function requestLaunchCheck(c: MasterCore, tx: Tx, t: TaskRecord): void {
  if (t.launchId === undefined || t.state !== 'TASK_STAGING') return;
  const prev = c.launchChecks.get(t.key);
  if (prev && prev.launchId === t.launchId) {
    if (!prev.inFlight) prev.dueAt = Math.min(prev.dueAt, tx.now);
    return;
  }
  c.launchChecks.set(t.key, { agentId: t.agentId, launchId: t.launchId, dueAt: tx.now, inFlight: false, failures: 0 });
}

/** From tick: checks for tasks STAGING too long (every STAGING_SCAN_EVERY_MS), then sends the checks due. */
export function sweepLaunchChecks(c: MasterCore, tx: Tx): void {
  if (tx.now - c.lastStagingScanAt >= STAGING_SCAN_EVERY_MS) {
    c.lastStagingScanAt = tx.now;
    for (const t of c.state.tasks.values())
      if (t.state === 'TASK_STAGING' && tx.now - t.createdAt >= LAUNCH_CHECK_AFTER_MS && !c.launchChecks.has(t.key))
        requestLaunchCheck(c, tx, t);
  }
  sendLaunchChecks(c, tx);
}

/** One RECONCILE_LAUNCHES per agent (in batches) for the checks due on ACTIVE agents; forgets settled ones. */
export function sendLaunchChecks(c: MasterCore, tx: Tx): void {
  const byAgent = new Map<AgentId, string[]>();
  for (const [key, check] of c.launchChecks) {
    const t = c.state.tasks.get(key);
    if (!t || t.state !== 'TASK_STAGING' || t.launchId !== check.launchId || t.agentId !== check.agentId) {
      c.launchChecks.delete(key);
      continue;
    }
    if (check.inFlight || check.dueAt > tx.now || c.state.agents.get(check.agentId)?.state !== 'ACTIVE') continue;
    check.inFlight = true;
    byAgent.set(check.agentId, [...(byAgent.get(check.agentId) ?? []), key]);
  }
  for (const [agentId, keys] of byAgent)
    for (let i = 0; i < keys.length; i += LAUNCH_CHECK_BATCH) {
      const batch = keys.slice(i, i + LAUNCH_CHECK_BATCH);
      tx.push({
        type: 'SEND_COMMAND',
        agentId,
        timeoutMs: LAUNCH_CHECK_TIMEOUT_MS,
        purpose: { kind: 'LAUNCH_CHECK', taskKeys: batch },
        command: {
          type: 'RECONCILE_LAUNCHES',
          launches: batch.map((k) => {
            const t = c.state.tasks.get(k)!;
            return { frameworkId: t.frameworkId, taskId: t.info.taskId, launchId: t.launchId! };
          }),
        },
      });
      tx.log('info', { agentId, tasks: batch.length }, 'asking the agent which unconfirmed launches it has');
    }
}

/** The agent's answer (or its absence) to a RECONCILE_LAUNCHES for these task keys. */
export function launchesChecked(
  c: MasterCore,
  tx: Tx,
  agentId: AgentId,
  keys: string[],
  outcome: CommandOutcome,
): void {
  const parsed = outcome.ok ? ReconcileLaunchesReplySchema.safeParse(outcome.reply ?? {}) : undefined;
  const answers = new Map(
    parsed?.success ? parsed.data.launches.map((a) => [`${a.frameworkId}/${a.taskId}#${a.launchId}`, a]) : [],
  );
  const problem = !outcome.ok
    ? `${outcome.failure}: ${outcome.message}`
    : parsed?.success
      ? undefined
      : `malformed reply: ${parsed?.error.message}`;
  let unanswered = 0;
  for (const key of keys) {
    const check = c.launchChecks.get(key);
    if (!check?.inFlight) continue;
    check.inFlight = false;
    const t = c.state.tasks.get(key);
    if (!t || t.state !== 'TASK_STAGING' || t.launchId !== check.launchId || t.agentId !== agentId) {
      c.launchChecks.delete(key);
      continue;
    }
    const a = answers.get(`${key}#${check.launchId}`);
    if (!a) {
      unanswered++;
      check.failures++;
      check.dueAt = tx.now + Math.min(30_000, 1000 * 2 ** Math.min(check.failures - 1, 5));
    } else if (a.known) {
      check.failures = 0;
      check.dueAt = tx.now + LAUNCH_CHECK_AFTER_MS;
      tx.log('debug', { agentId, taskId: t.info.taskId, state: a.state }, 'agent has the launch; its updates follow');
    } else {
      c.launchChecks.delete(key);
      c.counters.launchesLost++;
      c.masterStatusUpdate(tx, t, {
        taskId: t.info.taskId,
        frameworkId: t.frameworkId,
        agentId,
        state: 'TASK_DROPPED',
        reason: 'TASK_UNKNOWN',
        message: 'the agent never received the launch (it will refuse it if it arrives)',
      });
      tx.log('warn', { agentId, taskId: t.info.taskId, frameworkId: t.frameworkId }, 'launch lost: task dropped');
    }
  }
  if (unanswered > 0)
    tx.log(
      'warn',
      { agentId, tasks: unanswered, err: problem ?? 'the reply did not name them' },
      'launch check not answered; asking again later',
    );
}
