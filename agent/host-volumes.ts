/**
 * Which host directories a framework's tasks may mount (`TaskInfo.volumes`). None unless granted: the agent's
 * `--host-volume-acl` maps a principal (or `*`, every framework) to host paths, `/data/*` meaning /data and
 * everything below it, `/srv/cache` that directory only:
 *
 *   --host-volume-acl 'ci=/data/*,/srv/cache;*=/tmp/shared'
 *
 * A volume not granted is refused with FORBIDDEN naming the field (the master reports it as TASK_ERROR).
 * The shapes (relative containerPath without `..`, absolute hostPath) are checked by the sdk schema.
 *
 * Symlinks are resolved before the check, on both sides: a link inside a granted directory (which a task with
 * that directory mounted rw may plant) pointing to /etc resolves to /etc, which is not granted. The task is
 * then mounted from the resolved path, so what was checked is what is mounted.
 */
import { realpathSync } from 'node:fs';
import { posix } from 'node:path';
import { ApiError, type TaskInfo, type Volume } from '../sdk';

export type HostVolumeAcl = ReadonlyMap<string, readonly string[]>;

export function parseHostVolumeAcl(text: string | undefined): HostVolumeAcl {
  const acl = new Map<string, string[]>();
  for (const part of (text ?? '')
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^([^=\s]+)\s*=\s*(.+)$/.exec(part);
    const paths = m ? m[2].split(',').map((p) => p.trim()) : [];
    if (
      !m ||
      paths.some(
        (p) => !p.startsWith('/') || p.split('/').includes('..') || (p.includes('*') && !/^\/[^*]*\/\*$/.test(p)),
      )
    ) {
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

export type Realpath = (path: string) => string;

/**
 * The path with every symlink resolved: the longest existing prefix through `realpath`, the missing rest
 * appended as written (a missing host path fails the launch later, as before).
 */
export function resolveHostPath(path: string, realpath: Realpath = realpathSync.native): string {
  const parts = posix.normalize(path).split('/').filter(Boolean);
  for (let n = parts.length; n >= 0; n--) {
    try {
      return posix.join(realpath(`/${parts.slice(0, n).join('/')}`), ...parts.slice(n));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && (err as NodeJS.ErrnoException).code !== 'ENOTDIR')
        throw err;
    }
  }
  return posix.normalize(path);
}

/** A grant pattern with its directory resolved the same way (`/data/*` where /data links to /mnt/d: `/mnt/d/*`). */
function resolvePattern(pattern: string, realpath: Realpath): string {
  return pattern.endsWith('/*')
    ? `${resolveHostPath(pattern.slice(0, -2) || '/', realpath).replace(/\/$/, '')}/*`
    : resolveHostPath(pattern, realpath);
}

/**
 * Throws FORBIDDEN naming the first of the task's volumes its framework's principal was not granted; returns
 * the volumes with their host paths resolved (what the containerizer mounts).
 */
export function checkHostVolumes(
  task: Pick<TaskInfo, 'volumes'>,
  framework: { principal?: string },
  acl: HostVolumeAcl,
  realpath: Realpath = realpathSync.native,
): Volume[] | undefined {
  const principal = framework.principal ?? '*';
  const allowed = [...(acl.get(principal) ?? []), ...(principal === '*' ? [] : (acl.get('*') ?? []))];
  return task.volumes?.map((v, i) => {
    const resolved = resolveHostPath(v.hostPath, realpath);
    if (allowed.some((p) => grants(p, v.hostPath) && grants(resolvePattern(p, realpath), resolved)))
      return { ...v, hostPath: resolved };
    const field = `task.volumes[${i}].hostPath`;
    const via =
      resolved === posix.normalize(v.hostPath).replace(/\/+$/, '') ? '' : ` (a symbolic link to '${resolved}')`;
    throw new ApiError(
      'FORBIDDEN',
      `${field}: principal '${principal}' may not mount '${v.hostPath}'${via} on this agent (grant it with --host-volume-acl '${principal}=${v.hostPath}')`,
      field,
    );
  });
}

/** The volumes as the containerizer takes them (normalized paths). */
export function volumeSpecs(
  volumes: readonly Volume[] | undefined,
): { hostPath: string; containerPath: string; readOnly: boolean }[] | undefined {
  if (!volumes?.length) return undefined;
  return volumes.map((v) => ({
    hostPath: posix.normalize(v.hostPath),
    containerPath: posix.normalize(v.containerPath).replace(/\/+$/, ''),
    readOnly: v.mode === 'ro',
  }));
}
