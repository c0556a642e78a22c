/**
 * From an app definition and a placement to the TaskInfo the SDK launches. Pure.
 * The task sees `PORT0`…`PORTn`, `PORTS` (comma-separated), `HOST`, `AGORA_APP_ID`, `AGORA_APP_VERSION` and
 * `AGORA_INSTANCE_ID` beside the app's own env; labels `agora.app`, `agora.version`, `agora.instance` mark it.
 */
import { randomBytes } from 'node:crypto';
import { type TaskInfoInput } from 'agora/sdk';
import { appTaskPrefix, type AppDefinition } from 'agora/sdk/service';
import type { PlacedInstance } from './core/offer-match';
import { taskVolumes } from './core/volumes';

/** `shop_cart.3f9a0c2b1d4e`: the app's prefix and a random suffix; an instance's id is its task's id. */
export const newInstanceId = (appId: string): string => `${appTaskPrefix(appId)}.${randomBytes(6).toString('hex')}`;

export function buildTask(
  def: AppDefinition,
  version: number,
  placed: PlacedInstance,
  instanceId: string,
  volumeSlot?: string,
): TaskInfoInput {
  const portEnv: Record<string, string> = {};
  placed.ports.forEach((p, k) => {
    portEnv[`PORT${k}`] = String(p);
  });
  const env = {
    ...def.env,
    ...portEnv,
    PORTS: placed.ports.join(','),
    HOST: placed.hostname,
    AGORA_APP_ID: def.id,
    AGORA_APP_VERSION: String(version),
    AGORA_INSTANCE_ID: instanceId,
  };
  const command = def.args ? { shell: false, arguments: def.args, env } : { shell: true, value: def.cmd, env };
  return {
    taskId: instanceId,
    name: def.id,
    agentId: placed.agentId,
    resources: placed.resources,
    command,
    container: def.container ?? { type: 'NATIVE' },
    ...(def.healthChecks[0] ? { healthCheck: def.healthChecks[0] } : {}),
    labels: { ...def.labels, 'agora.app': def.id, 'agora.version': String(version), 'agora.instance': instanceId },
    ...(def.killGracePeriodSeconds !== undefined
      ? { killGracePeriodMs: Math.round(def.killGracePeriodSeconds * 1000) }
      : {}),
    ...(volumeSlot ? { persistentVolumes: taskVolumes(def, volumeSlot) } : {}),
    // Names only: the master puts the values into the LAUNCH when the service framework's principal is granted.
    ...(def.secrets && Object.keys(def.secrets).length > 0 ? { secrets: def.secrets } : {}),
    ...(def.secretFiles && Object.keys(def.secretFiles).length > 0 ? { secretFiles: def.secretFiles } : {}),
  } as TaskInfoInput;
}
