/**
 * Kills that wait for their agent. A framework may KILL a task whose agent is unreachable (or not yet
 * re-registered after a master restart); the kill is kept here until the agent confirms it, and sent when
 * the agent is ACTIVE again — at its re-registration and on every liveness check after that, so a send that
 * fails (the agent answers nothing, NATS is down) is retried instead of lost. A kill is forgotten once its
 * task is no longer live (it ended, was reported lost, or its framework was removed), or when the agent
 * answers with a refusal.
 */
import { ApiError, type FrameworkId, type TaskId } from '../sdk';
import type { Master } from './master';

interface PendingKill { frameworkId: FrameworkId; taskId: TaskId; gracePeriodMs?: number; attempts: number; inFlight: boolean }

export class PendingKills {
  private readonly kills = new Map<string, PendingKill>();

  constructor(private readonly m: Master) {}

  /** Keeps a kill for the task with this key until its agent confirms it. */
  add(key: string, kill: { frameworkId: FrameworkId; taskId: TaskId; gracePeriodMs?: number }): void {
    const prev = this.kills.get(key);
    this.kills.set(key, { ...kill, attempts: prev?.attempts ?? 0, inFlight: prev?.inFlight ?? false });
  }

  has(key: string): boolean { return this.kills.has(key); }
  get size(): number { return this.kills.size; }

  /** Sends every pending kill whose task is on an ACTIVE agent and not already being sent; drops kills of tasks no longer live. */
  sendDue(): void {
    for (const [key, kill] of this.kills) {
      const task = this.m.state.tasks.get(key);
      if (!task) { this.kills.delete(key); continue; }
      if (kill.inFlight || this.m.state.agents.get(task.agentId)?.state !== 'ACTIVE') continue;
      this.send(key, kill, task.agentId);
    }
  }

  private send(key: string, kill: PendingKill, agentId: Parameters<Master['sendToAgent']>[0]): void {
    kill.inFlight = true;
    kill.attempts++;
    this.m.sendToAgent(agentId, { type: 'KILL', frameworkId: kill.frameworkId, taskId: kill.taskId, gracePeriodMs: kill.gracePeriodMs })
      .then(() => {
        if (this.kills.get(key) === kill) this.kills.delete(key);
        this.m.log.info({ agentId, taskId: kill.taskId, frameworkId: kill.frameworkId, attempts: kill.attempts }, 'pending kill delivered');
      }, (e: Error) => {
        kill.inFlight = false;
        if (e instanceof ApiError && e.code !== 'UNAVAILABLE') {
          // The agent answered and refused (e.g. it no longer has the task): sending again would not change that.
          if (this.kills.get(key) === kill) this.kills.delete(key);
          this.m.log.warn({ agentId, taskId: kill.taskId, frameworkId: kill.frameworkId, code: e.code, err: e.message }, 'agent refused a pending kill');
          return;
        }
        this.m.log.warn({ agentId, taskId: kill.taskId, frameworkId: kill.frameworkId, attempts: kill.attempts, err: e.message }, 'pending kill not delivered; retrying at the next liveness check');
      });
  }
}
