/** Test cleanup: removes an agent's (empty) cgroup parent under every hierarchy, so the suite leaves nothing behind. */
import { existsSync, readdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';

const MOUNT = '/sys/fs/cgroup';

export function removeAgentCgroups(agentId: string): void {
  const dirs = existsSync(join(MOUNT, 'cgroup.controllers')) ? [MOUNT] : readdirSync(MOUNT).map((c) => join(MOUNT, c));
  for (const d of dirs) {
    const p = join(d, 'agora', agentId);
    if (!existsSync(p)) continue;
    try {
      rmdirSync(p);
    } catch (e) {
      throw new Error(`cgroup ${p} still in use after the test: ${(e as Error).message}`);
    }
  }
}
