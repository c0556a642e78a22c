/**
 * The allocator port: who is offered what. A pure core — no timers, no NATS; the master shell calls it
 * on events and on the batch interval and turns the returned allocations into OFFERS.
 *
 * Accounting model (as Mesos's): resources an allocator hands out count as allocated to that framework from
 * that moment (offered or used by tasks) until the master gives them back with `recoverResources`
 * (declined, rescinded, offer expired, task ended). So per agent: available + allocated = total, and the
 * master's offer book splits allocated into offered and used.
 */
import type { Resources } from '../../sdk/resources';
import type { AgentId, Attribute, FrameworkId } from '../../sdk/protocol/common';

export interface AllocatorAgent {
  id: AgentId;
  hostname: string;
  total: Resources;
  attributes: Attribute[];
}

export interface AllocatorFramework {
  id: FrameworkId;
  roles: string[];
}

export interface Allocation {
  frameworkId: FrameworkId;
  agentId: AgentId;
  /** The role these resources are allocated to (one of the framework's roles). */
  role: string;
  resources: Resources;
}

export interface Quota {
  /** Offered before fair sharing and held back from other roles (headroom). */
  guarantee?: Resources;
  /** Never allocated beyond. */
  limit?: Resources;
}

export interface RoleInfo {
  role: string;
  weight: number;
  quota: Quota;
  allocated: Resources;
  /** Dominant share of the cluster, divided by weight. */
  share: number;
  frameworks: FrameworkId[];
}

/** A call the allocator cannot apply (unknown agent, giving back more than was allocated, …); names what is wrong. */
export class AllocatorError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AllocatorError';
  }
}

export interface AllocatorOptions {
  /** An offer must carry at least this many cpus or this much memory (Mesos's MIN_CPUS 0.01 / MIN_MEM 32 MB). */
  minAllocatable?: { cpus: number; memMb: number };
}

export interface Allocator {
  /** `used`: what tasks already hold on this agent, per framework and role (agent re-registration). */
  addAgent(
    agent: AllocatorAgent,
    used?: ReadonlyArray<{ frameworkId: FrameworkId; role: string; resources: Resources }>,
  ): void;
  removeAgent(agentId: AgentId): void;
  /** Unreachable or draining agents are kept but not offered. */
  activateAgent(agentId: AgentId): void;
  deactivateAgent(agentId: AgentId): void;

  addFramework(framework: AllocatorFramework): void;
  removeFramework(frameworkId: FrameworkId): void;
  /** A disconnected framework (failing over) keeps its allocation but gets no offers. */
  activateFramework(frameworkId: FrameworkId): void;
  deactivateFramework(frameworkId: FrameworkId): void;

  /** Resources allocated to (frameworkId, role) on agentId return to the pool; with refuseSeconds > 0 they are not re-offered to that framework until now + refuseSeconds. */
  recoverResources(
    frameworkId: FrameworkId,
    agentId: AgentId,
    role: string,
    resources: Resources,
    filter?: { refuseSeconds: number; now: number },
  ): void;
  /** Records resources that became used without an offer (e.g. recovered tasks): they count as allocated. */
  addAllocated(frameworkId: FrameworkId, agentId: AgentId, role: string, resources: Resources): void;
  /**
   * A RESERVE/UNRESERVE accepted on an offer: the agent's total changes from `from` to `to` (same amounts,
   * other role) and the framework's allocation with it.
   */
  convertAllocated(frameworkId: FrameworkId, agentId: AgentId, role: string, from: Resources, to: Resources): void;

  suppress(frameworkId: FrameworkId, roles?: string[]): void;
  /** Clears the framework's decline filters and un-suppresses (the roles given, or all). */
  revive(frameworkId: FrameworkId, roles?: string[]): void;

  setWeight(role: string, weight: number): void;
  setQuota(role: string, quota: Quota): void;

  /** One full allocation cycle at time `now`: what to offer to whom. Each agent's free resources go to at most one framework per cycle. */
  allocate(now: number): Allocation[];

  /** Read-only views for the operator API. */
  roles(): RoleInfo[];
  available(agentId: AgentId): Resources | undefined;
  /** What each (framework, role) holds on an agent (offered or used). */
  allocatedOn(agentId: AgentId): Array<{ frameworkId: FrameworkId; role: string; resources: Resources }>;
}
