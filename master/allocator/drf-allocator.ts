/**
 * Hierarchical DRF allocator to Mesos's semantics (roles as paths, weights, quota guarantee + limit,
 * reservations, decline filters, suppress/revive, inactive agents and frameworks). Pure and synchronous: the
 * master shell calls it on events and on its batch interval and turns the returned allocations into offers.
 *
 *   const allocator = new HierarchicalDrfAllocator();
 *   allocator.addAgent({ id, hostname, total: Resources.parse('cpus:4;mem:8192'), attributes: [] });
 *   allocator.addFramework({ id: fw, roles: ['eng'] });
 *   for (const a of allocator.allocate(clock.now())) sendOffer(a);          // a.resources now count as allocated
 *   allocator.recoverResources(fw, id, 'eng', declined, { refuseSeconds: 5, now: clock.now() });
 *
 * The cycle itself is in allocation-cycle.ts; ordering in drf-sorter.ts; quota in quota.ts; filters in filters.ts.
 */
import { Resources, isValidRole } from '../../sdk/resources';
import type { AgentId, FrameworkId } from '../../sdk/protocol/common';
import {
  AllocatorError,
  type Allocation,
  type Allocator,
  type AllocatorAgent,
  type AllocatorFramework,
  type AllocatorOptions,
  type Quota,
  type RoleInfo,
} from './allocator';
import { runAllocationCycle, type MinAllocatableMilli } from './allocation-cycle';
import { DrfSorter } from './drf-sorter';
import { addDeclineFilter, clearFilters, dropFilter } from './filters';
import { roleInfos } from './role-views';
import { ScalarKinds } from './scalar-kinds';
import { AgentState, ClientNode, FrameworkState, addHeld } from './state';

type Held = { frameworkId: FrameworkId; role: string; resources: Resources };

export class HierarchicalDrfAllocator implements Allocator {
  private readonly kinds = new ScalarKinds();
  private readonly sorter = new DrfSorter();
  private readonly agents = new Map<AgentId, AgentState>();
  /** Agents by slot (dense numbers for bitsets); freed slots are reused. */
  private readonly agentsBySlot: Array<AgentState | undefined> = [];
  private readonly freeSlots: number[] = [];
  private readonly frameworks = new Map<FrameworkId, FrameworkState>();
  private readonly quotas = new Map<string, Quota>();
  private readonly minimum: MinAllocatableMilli;
  private cycles = 0;
  /** Reused for each hold's delta vector (the hot path allocates nothing for it). */
  private readonly deltaScratch: number[] = [];
  private sharesStale = false;

  constructor(options: AllocatorOptions = {}) {
    const min = options.minAllocatable ?? { cpus: 0.01, memMb: 32 };
    this.minimum = { cpus: Math.round(min.cpus * 1000), mem: Math.round(min.memMb * 1000) };
  }

  addAgent(info: AllocatorAgent, used: ReadonlyArray<Held> = []): void {
    if (this.agents.has(info.id)) throw new AllocatorError(`agent ${info.id} is already added`);
    const usedTotal = used.reduce((sum, u) => sum.add(u.resources), Resources.EMPTY);
    const short = info.total.missing(usedTotal);
    if (short) throw new AllocatorError(`agent ${info.id}: used resources exceed its total: ${short}`);
    const agent = new AgentState(
      this.freeSlots.pop() ?? this.agentsBySlot.length,
      info.id,
      info.hostname,
      info.total,
      info.attributes,
    );
    this.agents.set(info.id, agent);
    this.agentsBySlot[agent.slot] = agent;
    this.changeClusterTotal(info.total, 1);
    agent.setAvailable(info.total.subtract(usedTotal));
    for (const u of used) this.hold(this.client(u.frameworkId, u.role), agent, u.resources, 1);
  }

  removeAgent(agentId: AgentId): void {
    const agent = this.agents.get(agentId);
    if (!agent) return;
    for (const [client, held] of [...agent.held]) this.hold(client, agent, held, -1);
    for (const client of [...agent.filteredBy]) dropFilter(client, agent);
    this.changeClusterTotal(agent.total, -1);
    this.agents.delete(agentId);
    this.agentsBySlot[agent.slot] = undefined;
    this.freeSlots.push(agent.slot);
  }

  activateAgent(agentId: AgentId): void {
    this.agent(agentId).active = true;
  }
  deactivateAgent(agentId: AgentId): void {
    this.agent(agentId).active = false;
  }

  addFramework(info: AllocatorFramework): void {
    for (const role of info.roles)
      if (!isValidRole(role)) throw new AllocatorError(`framework ${info.id}: bad role '${role}'`);
    const fw = this.frameworkState(info.id);
    fw.registered = true;
    fw.active = true;
    fw.subscribedRoles.clear();
    for (const role of info.roles) {
      fw.subscribedRoles.add(role);
      this.client(info.id, role);
    }
  }

  removeFramework(frameworkId: FrameworkId): void {
    const fw = this.frameworks.get(frameworkId);
    if (!fw) return;
    for (const client of fw.clients.values()) {
      for (const [agent, held] of [...client.held]) {
        this.hold(client, agent, held, -1);
        agent.setAvailable(agent.available.add(held));
      }
      clearFilters(client);
      client.roleNode.ownClients.clients.delete(client);
    }
    this.frameworks.delete(frameworkId);
  }

  activateFramework(frameworkId: FrameworkId): void {
    this.framework(frameworkId).active = true;
  }
  deactivateFramework(frameworkId: FrameworkId): void {
    this.framework(frameworkId).active = false;
  }

  recoverResources(
    frameworkId: FrameworkId,
    agentId: AgentId,
    role: string,
    resources: Resources,
    filter?: { refuseSeconds: number; now: number },
  ): void {
    const agent = this.agents.get(agentId);
    const client = this.frameworks.get(frameworkId)?.clients.get(role);
    if (!agent || !client || resources.isEmpty()) return; // agent or framework already removed: nothing left to give back
    const short = (agent.held.get(client) ?? Resources.EMPTY).missing(resources);
    if (short)
      throw new AllocatorError(`recover ${frameworkId} (${role}) on ${agentId}: more than allocated: ${short}`);
    this.hold(client, agent, resources, -1);
    agent.setAvailable(agent.available.add(resources));
    if (filter && filter.refuseSeconds > 0)
      addDeclineFilter(client, agent, resources, filter.now + filter.refuseSeconds * 1000, filter.now);
  }

  addAllocated(frameworkId: FrameworkId, agentId: AgentId, role: string, resources: Resources): void {
    const agent = this.agent(agentId);
    const short = agent.available.missing(resources);
    if (short)
      throw new AllocatorError(`add allocated ${frameworkId} (${role}) on ${agentId}: not available: ${short}`);
    agent.setAvailable(agent.available.subtract(resources));
    this.hold(this.client(frameworkId, role), agent, resources, 1);
  }

  convertAllocated(frameworkId: FrameworkId, agentId: AgentId, role: string, from: Resources, to: Resources): void {
    const agent = this.agent(agentId);
    const client = this.client(frameworkId, role);
    const short = (agent.held.get(client) ?? Resources.EMPTY).missing(from);
    if (short) throw new AllocatorError(`convert ${frameworkId} (${role}) on ${agentId}: not allocated: ${short}`);
    this.hold(client, agent, from, -1);
    this.hold(client, agent, to, 1);
    this.changeClusterTotal(agent.total, -1);
    agent.total = agent.total.subtract(from).add(to);
    this.changeClusterTotal(agent.total, 1);
  }

  suppress(frameworkId: FrameworkId, roles?: string[]): void {
    for (const client of this.clientsOf(frameworkId, roles)) client.suppressed = true;
  }

  revive(frameworkId: FrameworkId, roles?: string[]): void {
    for (const client of this.clientsOf(frameworkId, roles)) {
      client.suppressed = false;
      clearFilters(client);
    }
  }

  setWeight(role: string, weight: number): void {
    if (!isValidRole(role)) throw new AllocatorError(`bad role '${role}'`);
    if (!Number.isFinite(weight) || weight <= 0)
      throw new AllocatorError(`role ${role}: weight ${weight} must be a number > 0`);
    this.sorter.setWeight(role, weight);
  }

  setQuota(role: string, quota: Quota): void {
    if (!isValidRole(role)) throw new AllocatorError(`bad role '${role}'`);
    const over = quota.guarantee && quota.limit ? quota.limit.missing(quota.guarantee) : undefined;
    if (over) throw new AllocatorError(`role ${role}: guarantee exceeds limit: ${over}`);
    this.sorter.ensureRole(role);
    if (!quota.guarantee && !quota.limit) this.quotas.delete(role);
    else this.quotas.set(role, { ...quota });
  }

  allocate(now: number): Allocation[] {
    this.refreshShares();
    return runAllocationCycle(
      {
        sorter: this.sorter,
        kinds: this.kinds,
        quotas: this.quotas,
        agents: this.agents,
        agentsBySlot: this.agentsBySlot,
        minimum: this.minimum,
        rotation: this.cycles++,
        commit: (client, agent, offer) => {
          agent.setAvailable(offer === agent.available ? Resources.EMPTY : agent.available.subtract(offer));
          this.hold(client, agent, offer, 1);
        },
      },
      now,
    );
  }

  roles(): RoleInfo[] {
    this.refreshShares();
    return roleInfos(this.sorter, this.quotas);
  }

  available(agentId: AgentId): Resources | undefined {
    return this.agents.get(agentId)?.available;
  }

  allocatedOn(agentId: AgentId): Held[] {
    const agent = this.agents.get(agentId);
    return agent
      ? [...agent.held].map(([c, resources]) => ({ frameworkId: c.framework.id, role: c.role, resources }))
      : [];
  }

  /** Moves `resources` into (sign 1) or out of (−1) what `client` holds on `agent`; the agent's free pool is the caller's. */
  private hold(client: ClientNode, agent: AgentState, resources: Resources, sign: 1 | -1): void {
    const after = addHeld(agent.held, client, resources, sign);
    if (after.isEmpty()) client.held.delete(agent);
    else client.held.set(agent, after);
    this.sorter.applyDelta(client, this.kinds.fill(this.deltaScratch, resources), sign);
  }

  private changeClusterTotal(resources: Resources, sign: 1 | -1): void {
    this.kinds.addInto(this.sorter.totalMilli, resources, sign);
    this.sharesStale = true;
  }

  private refreshShares(): void {
    if (!this.sharesStale) return;
    this.sorter.recomputeShares();
    this.sharesStale = false;
  }

  private agent(agentId: AgentId): AgentState {
    const agent = this.agents.get(agentId);
    if (!agent) throw new AllocatorError(`unknown agent ${agentId}`);
    return agent;
  }

  private framework(frameworkId: FrameworkId): FrameworkState {
    const fw = this.frameworks.get(frameworkId);
    if (!fw) throw new AllocatorError(`unknown framework ${frameworkId}`);
    return fw;
  }

  private frameworkState(frameworkId: FrameworkId): FrameworkState {
    let fw = this.frameworks.get(frameworkId);
    if (!fw) this.frameworks.set(frameworkId, (fw = new FrameworkState(frameworkId)));
    return fw;
  }

  /** The (framework, role) client, created on first use (also for frameworks known only from agents' reports). */
  private client(frameworkId: FrameworkId, role: string): ClientNode {
    const fw = this.frameworkState(frameworkId);
    let client = fw.clients.get(role);
    if (!client) {
      const roleNode = this.sorter.ensureRole(role);
      client = new ClientNode(fw, roleNode);
      roleNode.ownClients.clients.add(client);
      fw.clients.set(role, client);
    }
    return client;
  }

  private clientsOf(frameworkId: FrameworkId, roles?: string[]): ClientNode[] {
    const fw = this.framework(frameworkId);
    return (roles ?? [...fw.subscribedRoles]).map((role) => this.client(frameworkId, role));
  }
}
