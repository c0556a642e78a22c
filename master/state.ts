/**
 * The records the master core (core/core.ts) owns: agents, frameworks, tasks (live and a bounded history of
 * completed ones). Only the core's transitions change them — the agents' and frameworks' task sets only through
 * ClusterState's methods; the HTTP API and metrics read them. Offers live in the OfferBook, also owned by the core.
 */
import type { AgentId, AgentInfo, FrameworkId, FrameworkInfo, TaskInfo, TaskState, TaskStatus, Usage } from '../sdk';
import { Resources, isTerminal } from '../sdk';

export type AgentState = 'ACTIVE' | 'UNREACHABLE' | 'REMOVED';

export interface AgentRecord {
  info: AgentInfo;
  /** What the agent declared at registration (its --resources, static reservations included). */
  declared: Resources;
  /** Dynamic reservations (RESERVE operations): the one owner of this fact; the registry stores a copy. */
  reservations: Resources;
  /** declared with the dynamic reservations applied: derived, never stored. */
  readonly total: Resources;
  state: AgentState;
  registeredAt: number;
  lastPingAt: number;
  unreachableSince?: number;
  removedAt?: number;
  /** Maintenance: `draining` stops offers; `drained` once its tasks are gone. The one drained flag. */
  drain?: { deadline: number; drained: boolean };
  /** Keys of live tasks on this agent. */
  tasks: Set<string>;
}

export interface FrameworkRecord {
  info: FrameworkInfo;
  connected: boolean;
  registeredAt: number;
  lastSeenAt: number;
  disconnectedAt?: number;
  /** Keys of live tasks. */
  tasks: Set<string>;
}

export interface TaskRecord {
  key: string;
  info: TaskInfo;
  frameworkId: FrameworkId;
  agentId: AgentId;
  role: string;
  resources: Resources;
  state: TaskState;
  /** The id of the LAUNCH this master sent for it (absent for a task adopted from an agent's registration). */
  launchId?: string;
  /** Whether the resources still count as allocated (false once terminal). */
  holdsResources: boolean;
  createdAt: number;
  updatedAt: number;
  statuses: Pick<TaskStatus, 'state' | 'timestamp' | 'reason' | 'message' | 'healthy' | 'exitCode'>[];
  last?: TaskStatus;
  usage?: Usage;
}

export const taskKey = (frameworkId: string, taskId: string) => `${frameworkId}/${taskId}`;

/** An agent's total: its declared resources with the dynamic reservations moved from '*' to their roles. */
export function withReservations(declared: Resources, dynamic: Resources): Resources {
  const base = dynamic.withRole('*');
  return declared.contains(base) ? declared.subtract(base).add(dynamic) : declared;
}

/** A new agent record; `total` is derived from `declared` and `reservations` on every read. */
export function newAgentRecord(fields: Omit<AgentRecord, 'total'>): AgentRecord {
  return Object.defineProperty({ ...fields }, 'total', {
    get(this: AgentRecord) {
      return withReservations(this.declared, this.reservations);
    },
    enumerable: true,
  }) as AgentRecord;
}

export class ClusterState {
  readonly agents = new Map<AgentId, AgentRecord>();
  readonly frameworks = new Map<FrameworkId, FrameworkRecord>();
  readonly tasks = new Map<string, TaskRecord>();
  /** Completed tasks, oldest first, bounded. */
  readonly completed: TaskRecord[] = [];

  constructor(private readonly historyLimit: number) {}

  addTask(t: TaskRecord): void {
    this.tasks.set(t.key, t);
    this.link(t);
  }

  /** Puts a live task in its agent's and framework's sets (again, after either record was made anew). */
  link(t: TaskRecord): void {
    this.agents.get(t.agentId)?.tasks.add(t.key);
    this.frameworks.get(t.frameworkId)?.tasks.add(t.key);
  }

  /** A live task its agent `agentId` reports: moved out of another agent's set if the master had it elsewhere. */
  moveTask(t: TaskRecord, agentId: AgentId): void {
    if (t.agentId !== agentId) this.agents.get(t.agentId)?.tasks.delete(t.key);
    t.agentId = agentId;
    this.link(t);
  }

  /** Records a status on a task; moves it to history when terminal. Returns whether the state changed. */
  applyStatus(t: TaskRecord, status: TaskStatus, now: number): boolean {
    const changed = t.state !== status.state || (status.healthy !== undefined && status.healthy !== t.last?.healthy);
    t.state = status.state;
    t.updatedAt = now;
    t.last = status;
    if (changed) {
      t.statuses.push({
        state: status.state,
        timestamp: status.timestamp,
        reason: status.reason,
        message: status.message,
        healthy: status.healthy,
        exitCode: status.exitCode,
      });
      if (t.statuses.length > 50) t.statuses.splice(0, t.statuses.length - 50);
    }
    if (isTerminal(status.state)) this.complete(t);
    return changed;
  }

  complete(t: TaskRecord): void {
    if (!this.tasks.delete(t.key)) return;
    this.agents.get(t.agentId)?.tasks.delete(t.key);
    this.frameworks.get(t.frameworkId)?.tasks.delete(t.key);
    this.completed.push(t);
    if (this.completed.length > this.historyLimit) this.completed.splice(0, this.completed.length - this.historyLimit);
  }

  /** Resources used by live tasks on an agent. */
  usedOn(agentId: AgentId): Resources {
    let used = Resources.EMPTY;
    for (const k of this.agents.get(agentId)?.tasks ?? []) {
      const t = this.tasks.get(k);
      if (t?.holdsResources) used = used.add(t.resources);
    }
    return used;
  }

  findTask(taskId: string, frameworkId?: string): TaskRecord | undefined {
    if (frameworkId)
      return (
        this.tasks.get(taskKey(frameworkId, taskId)) ??
        this.completed.find((t) => t.frameworkId === frameworkId && t.info.taskId === taskId)
      );
    for (const t of this.tasks.values()) if (t.info.taskId === taskId) return t;
    for (let i = this.completed.length - 1; i >= 0; i--)
      if (this.completed[i].info.taskId === taskId) return this.completed[i];
    return undefined;
  }
}
