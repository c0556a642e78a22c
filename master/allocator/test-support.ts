/** Shared helpers for the allocator's unit tests: branded ids, agents from text, and a framework that launches tasks. */
import { Resources } from '../../sdk/resources';
import type { AgentId, FrameworkId } from '../../sdk/protocol/common';
import type { Allocation, Allocator } from './allocator';

export const fw = (id: string) => id as FrameworkId;
export const ag = (id: string) => id as AgentId;
export const res = (text: string) => Resources.parse(text);
export const T0 = 1_700_000_000_000;

export function addAgents(allocator: Allocator, count: number, text: string, prefix = 'a'): AgentId[] {
  const ids: AgentId[] = [];
  for (let i = 0; i < count; i++) {
    const id = ag(`${prefix}${i}`);
    allocator.addAgent({ id, hostname: `${prefix}${i}.local`, total: res(text), attributes: [] });
    ids.push(id);
  }
  return ids;
}

/** A framework that launches one task of `task` per offer that fits it and declines the rest with `refuseSeconds`. */
export interface TaskFramework {
  id: FrameworkId;
  task: Resources;
  refuseSeconds?: number;
}

/** Runs `cycles` allocation cycles; returns tasks launched per framework. Offers to unknown frameworks fail the test. */
export function runTaskFrameworks(
  allocator: Allocator,
  frameworks: TaskFramework[],
  cycles: number,
  nowMs = T0,
): Map<FrameworkId, number> {
  const tasks = new Map<FrameworkId, number>(frameworks.map((f) => [f.id, 0]));
  const byId = new Map(frameworks.map((f) => [f.id, f]));
  for (let c = 0; c < cycles; c++) {
    for (const offer of allocator.allocate(nowMs)) {
      const framework = byId.get(offer.frameworkId);
      if (!framework) throw new Error(`offer to unknown framework ${offer.frameworkId}`);
      respond(allocator, framework, offer, tasks, nowMs);
    }
  }
  return tasks;
}

function respond(
  allocator: Allocator,
  framework: TaskFramework,
  offer: Allocation,
  tasks: Map<FrameworkId, number>,
  nowMs: number,
): void {
  const fits = offer.resources.contains(framework.task);
  const rest = fits ? offer.resources.subtract(framework.task) : offer.resources;
  if (fits) tasks.set(framework.id, tasks.get(framework.id)! + 1);
  allocator.recoverResources(framework.id, offer.agentId, offer.role, rest, {
    refuseSeconds: framework.refuseSeconds ?? 0,
    now: nowMs,
  });
}

/** Sum of what a framework holds across the given agents. */
export function heldBy(allocator: Allocator, frameworkId: FrameworkId, agents: AgentId[]): Resources {
  let sum = Resources.EMPTY;
  for (const agent of agents)
    for (const h of allocator.allocatedOn(agent)) if (h.frameworkId === frameworkId) sum = sum.add(h.resources);
  return sum;
}
