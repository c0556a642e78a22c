/**
 * Which host directories a framework's tasks may mount (`TaskInfo.volumes`). None unless granted: the agent's
 * `--host-volume-acl` maps a principal (or `*`, every framework) to host paths, `/data/*` meaning /data and
 * everything below it, `/srv/cache` that directory only:
 *
 *   --host-volume-acl 'ci=/data/*,/srv/cache;*=/tmp/shared'
 *
 * A volume not granted is refused with FORBIDDEN naming the field (the master reports it as TASK_ERROR).
 * The shapes (relative containerPath without `..`, absolute hostPath) are checked by the sdk schema.
 */
import { posix } from 'node:path';
import { ApiError, type TaskInfo, type Volume } from '../sdk';

export type HostVolumeAcl = ReadonlyMap<string, readonly string[]>;

export function parseHostVolumeAcl(text: string | undefined): HostVolumeAcl {
  const acl = new Map<string, string[]>();
  for (const part of (text ?? '').split(';').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([^=\s]+)\s*=\s*(.+)$/.exec(part);
    const paths = m ? m[2].split(',').map((p) => p.trim()) : [];
    if (!m || paths.some((p) => !p.startsWith('/') || p.split('/').includes('..') || (p.includes('*') && !/^\/[^*]*\/\*$/.test(p)))) {
      throw new Error(`host volume ACL '${part}': expected principal=/abs/path[,/abs/dir/*…], e.g. ci=/data/*`);
    }
    acl.set(m[1], [...(acl.get(m[1]) ?? []), ...paths]);
  }
  return acl;
}

/** Pure: whether `pattern` (`/data/*` or an exact path) covers `hostPath`. */
export function grants(pattern: string, hostPath: string): boolean {
  const path = posix.normalize(hostPath).replace(/\/+$/, '') || '/';
  if (pattern.endsWith('/*')) {
    const dir = pattern.slice(0, -2) || '/';
    return path === dir || path.startsWith(dir === '/' ? '/' : `${dir}/`);
  }
  return path === (posix.normalize(pattern).replace(/\/+$/, '') || '/');
}

/** Throws FORBIDDEN naming the first of the task's volumes its framework's principal was not granted. */
export function checkHostVolumes(task: Pick<TaskInfo, 'volumes'>, framework: { principal?: string }, acl: HostVolumeAcl): void {
  const principal = framework.principal ?? '*';
  const allowed = [...(acl.get(principal) ?? []), ...(principal === '*' ? [] : acl.get('*') ?? [])];
  (task.volumes ?? []).forEach((v, i) => {
    if (allowed.some((p) => grants(p, v.hostPath))) return;
    const field = `task.volumes[${i}].hostPath`;
    throw new ApiError('FORBIDDEN', `${field}: principal '${principal}' may not mount '${v.hostPath}' on this agent (grant it with --host-volume-acl '${principal}=${v.hostPath}')`, field);
  });
}

/** The volumes as the containerizer takes them (normalized paths). */
export function volumeSpecs(volumes: readonly Volume[] | undefined): { hostPath: string; containerPath: string; readOnly: boolean }[] | undefined {
  if (!volumes?.length) return undefined;
  return volumes.map((v) => ({ hostPath: posix.normalize(v.hostPath), containerPath: posix.normalize(v.containerPath).replace(/\/+$/, ''), readOnly: v.mode === 'ro' }));
}
