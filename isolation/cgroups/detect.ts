/**
 * Which cgroup layout the host has. A unified (v2) hierarchy shows `cgroup.controllers` at the mount
 * root; a v1 (or hybrid) host shows one mount per controller under it. Hybrid hosts whose v2 mount
 * (`/sys/fs/cgroup/unified`) carries no controllers are used as v1.
 */
import * as path from 'node:path';
import type { CgroupFs } from './cgroup-fs';
import { kernelCgroupFs } from './cgroup-fs';
import type { TaskCgroup } from './task-cgroup';
import { CgroupV1, V1_CONTROLLERS, type V1Mounts } from './v1/cgroup-v1';
import { CgroupV2, V2_CONTROLLERS } from './v2/cgroup-v2';

export type CgroupHost =
  | { ok: true; version: 1; mounts: V1Mounts; fs: CgroupFs }
  | { ok: true; version: 2; mount: string; fs: CgroupFs; delegated: Set<string> }
  | { ok: false; reason: string };

export function detectCgroups(mountRoot = '/sys/fs/cgroup', fs: CgroupFs = kernelCgroupFs): CgroupHost {
  const controllers = fs.read(path.join(mountRoot, 'cgroup.controllers'));
  if (controllers !== undefined) {
    const have = new Set(controllers.trim().split(/\s+/));
    const missing = V2_CONTROLLERS.filter((c) => !have.has(c));
    if (missing.length > 0)
      return { ok: false, reason: `cgroup v2 at ${mountRoot} lacks controllers: ${missing.join(', ')}` };
    return { ok: true, version: 2, mount: mountRoot, fs, delegated: new Set() };
  }
  const missing = V1_CONTROLLERS.filter((c) => !fs.exists(path.join(mountRoot, c, 'cgroup.procs')));
  if (missing.length > 0) {
    return {
      ok: false,
      reason: `no cgroup v2 at ${mountRoot} and cgroup v1 hierarchies missing: ${missing.join(', ')}`,
    };
  }
  const mounts = Object.fromEntries(V1_CONTROLLERS.map((c) => [c, path.join(mountRoot, c)])) as V1Mounts;
  return { ok: true, version: 1, mounts, fs };
}

/** The task cgroup at `relPath` below the host's hierarchy root(s). Nothing is created until `create`. */
export function openCgroup(host: Extract<CgroupHost, { ok: true }>, relPath: string): TaskCgroup {
  return host.version === 1
    ? new CgroupV1(host.fs, host.mounts, relPath)
    : new CgroupV2(host.fs, host.mount, relPath, host.delegated);
}
