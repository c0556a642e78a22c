/** Builds the containerizers this agent can offer, saying at start which are available and why not. */
import type { Logger } from '../sdk';
import { DockerContainerizer, NativeContainerizer, type Containerizer, type ContainerizerKind } from '../isolation';
import type { AgentConfig } from './config';

export async function buildContainerizers(
  config: AgentConfig,
  agentId: string,
  log: Logger,
): Promise<Partial<Record<ContainerizerKind, Containerizer>>> {
  const out: Partial<Record<ContainerizerKind, Containerizer>> = {};
  const candidates: Containerizer[] = [];
  if (config.containerizers.includes('native')) {
    candidates.push(
      new NativeContainerizer({
        agentId,
        taskUser: config.taskUser,
        cgroupRoot: config.cgroupRoot,
        log: log.child({ containerizer: 'native' }),
      }),
    );
  }
  if (config.containerizers.includes('docker')) {
    candidates.push(
      new DockerContainerizer({ agentId, dockerHost: config.dockerHost, log: log.child({ containerizer: 'docker' }) }),
    );
  }
  for (const c of candidates) {
    const a = await c.available();
    if (a.ok) {
      out[c.kind] = c;
      log.info({ containerizer: c.kind }, 'containerizer available');
    } else
      log.warn(
        { containerizer: c.kind, reason: a.reason },
        'containerizer unavailable: not offered, and its tasks are refused',
      );
  }
  return out;
}
