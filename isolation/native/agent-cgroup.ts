/**
 * The agent's own cgroup, `agora/<agentId>` in every hierarchy its tasks use (cpu, cpuacct, memory, pids,
 * freezer on v1; one directory on v2): the parent of one cgroup per task. Made with the first task, removed
 * when the agent stops with no task left, so that stopped agents leave nothing in /sys/fs/cgroup.
 */
import type { Logger } from '../../sdk/log';
import type { TaskCgroup } from '../cgroups/task-cgroup';
import { describeError } from '../errors';

export interface AgentCgroupCleanup {
  /** Task cgroups that still hold processes: the agent's cgroup stays for them. */
  kept: string[];
  /** Task cgroups with no process left that were removed (a failed removal, an earlier agent's leftovers). */
  removedLeftovers: string[];
  removed: boolean;
}

export interface AgentCgroupOptions {
  /** Opens the task cgroup `name` below the agent's. */
  taskCgroup: (name: string) => TaskCgroup;
  /** Tasks the containerizer still runs (their cgroups stay, even while empty, e.g. mid-launch). */
  running: ReadonlySet<string>;
  /** Remove the agent's cgroup itself (false: an operator-chosen root, which only loses empty task cgroups). */
  removeParent: boolean;
  log: Logger;
}

/**
 * Removes the agent's cgroup unless a task in it still runs. Task cgroups with no process left go first:
 * nothing can run in them, and recovering a task that ended while the agent was away does not need its
 * cgroup (an absent cgroup reads as an empty one).
 */
export async function removeAgentCgroup(parent: TaskCgroup, o: AgentCgroupOptions): Promise<AgentCgroupCleanup> {
  const { log } = o;
  const out: AgentCgroupCleanup = { kept: [], removedLeftovers: [], removed: false };
  if (!parent.exists()) return out;
  for (const name of parent.children()) {
    const child = o.taskCgroup(name);
    if (o.running.has(name) || child.pids().length > 0) {
      out.kept.push(name);
      continue;
    }
    try {
      await child.destroy();
      out.removedLeftovers.push(name);
    } catch (err) {
      log.warn({ cgroup: child.path, err: describeError(err) }, 'cannot remove an empty task cgroup');
      out.kept.push(name);
    }
  }
  if (out.kept.length > 0) {
    log.info({ cgroup: parent.path, tasks: out.kept }, 'agent cgroup kept: tasks still run in it');
    return out;
  }
  if (!o.removeParent) return out;
  await parent.destroy();
  out.removed = true;
  log.info({ cgroup: parent.path, leftovers: out.removedLeftovers }, 'agent cgroup removed');
  return out;
}
