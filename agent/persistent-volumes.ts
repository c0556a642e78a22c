/**
 * Local persistent volumes on the agent (Mesos's): `<workDir>/volumes/<persistenceId>/` holds the data and
 * `<persistenceId>.json` beside it says whose it is ({ frameworkId, role, sizeMb, createdAt }).
 *
 *   LAUNCH with task.persistentVolumes ─► prepare(): checked (size within the task's disk and the agent's disk,
 *       owned by this framework), created if new, owned by the task user ─► bind-mounted rw at
 *       <sandbox>/<containerPath> like a host volume (the task's own mount namespace)
 *   task ends ─► the volume stays
 *   DESTROY_VOLUMES ─► destroy(): refused while a running task uses it; else the data and its record go
 *
 * The disk watch counts a task's volumes with its sandbox against its `disk`.
 */
import {
  chownSync,
  existsSync,
  lchownSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { ApiError, Resources, systemClock, type Clock, type TaskInfo, type Volume } from '../sdk';

export interface VolumeRecord {
  frameworkId: string;
  role: string;
  sizeMb: number;
  createdAt: number;
}

export class PersistentVolumes {
  readonly root: string;

  constructor(
    workDir: string,
    private readonly agentDiskMb: number,
    private readonly clock: Pick<Clock, 'now'> = systemClock,
  ) {
    this.root = join(workDir, 'volumes');
  }

  dirOf(persistenceId: string): string {
    return join(this.root, persistenceId);
  }

  record(persistenceId: string): VolumeRecord | undefined {
    try {
      return JSON.parse(readFileSync(`${this.dirOf(persistenceId)}.json`, 'utf8')) as VolumeRecord;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  /**
   * Checks the task's persistent volumes and creates the new ones; returns them as rw host volumes for the
   * containerizer. Throws ApiError naming the field and creates nothing when any is wrong.
   */
  prepare(
    task: Pick<TaskInfo, 'persistentVolumes' | 'resources'>,
    frameworkId: string,
    role: string,
    owner?: { uid: number; gid: number },
  ): Volume[] {
    const list = task.persistentVolumes ?? [];
    if (list.length === 0) return [];
    const diskMb = Resources.fromWire(task.resources).scalar('disk');
    let total = 0;
    list.forEach((v, i) => {
      const field = `task.persistentVolumes[${i}]`;
      if (v.sizeMb > this.agentDiskMb)
        throw new ApiError(
          'INVALID',
          `${field}.sizeMb: ${v.sizeMb} MB is larger than this agent's disk (${this.agentDiskMb} MB)`,
          `${field}.sizeMb`,
        );
      total += v.sizeMb;
      const rec = this.record(v.persistenceId);
      if (rec && rec.frameworkId !== frameworkId)
        throw new ApiError(
          'FORBIDDEN',
          `${field}.persistenceId: volume '${v.persistenceId}' belongs to another framework`,
          `${field}.persistenceId`,
        );
      if (list.findIndex((w) => w.persistenceId === v.persistenceId) !== i)
        throw new ApiError(
          'INVALID',
          `${field}.persistenceId: '${v.persistenceId}' is named twice`,
          `${field}.persistenceId`,
        );
    });
    if (total > diskMb + 1e-9)
      throw new ApiError(
        'INVALID',
        `task.persistentVolumes: ${total} MB of volumes but the task's disk is ${diskMb} MB (a volume's size is part of its disk)`,
        'task.persistentVolumes',
      );
    mkdirSync(this.root, { recursive: true, mode: 0o711 });
    return list.map((v) => {
      const dir = this.dirOf(v.persistenceId);
      if (!this.record(v.persistenceId)) {
        mkdirSync(dir, { recursive: true, mode: 0o750 });
        const rec: VolumeRecord = { frameworkId, role, sizeMb: v.sizeMb, createdAt: this.clock.now() };
        writeFileSync(`${dir}.json.tmp`, JSON.stringify(rec));
        renameSync(`${dir}.json.tmp`, `${dir}.json`);
      }
      if (owner && lstatSync(dir).uid !== owner.uid) chownTree(dir, owner.uid, owner.gid);
      return { containerPath: v.containerPath, hostPath: dir, mode: 'rw' as const };
    });
  }

  /** Deletes the framework's volumes named; those missing are reported, one in use refuses the whole call. */
  destroy(
    frameworkId: string,
    ids: readonly string[],
    inUse: ReadonlySet<string>,
  ): { destroyed: string[]; missing: string[] } {
    const busy = ids.filter((id) => inUse.has(id));
    if (busy.length > 0)
      throw new ApiError(
        'CONFLICT',
        `persistenceIds: ${busy.join(', ')} in use by a running task; kill it first`,
        'persistenceIds',
      );
    const foreign = ids.filter((id) => {
      const r = this.record(id);
      return r !== undefined && r.frameworkId !== frameworkId;
    });
    if (foreign.length > 0)
      throw new ApiError(
        'FORBIDDEN',
        `persistenceIds: ${foreign.join(', ')} belong to another framework`,
        'persistenceIds',
      );
    const destroyed: string[] = [];
    const missing: string[] = [];
    for (const id of ids) {
      const dir = this.dirOf(id);
      if (!existsSync(`${dir}.json`) && !existsSync(dir)) {
        missing.push(id);
        continue;
      }
      rmSync(dir, { recursive: true, force: true });
      rmSync(`${dir}.json`, { force: true });
      destroyed.push(id);
    }
    return { destroyed, missing };
  }
}

/**
 * Hands a volume to its next task's user: every task runs as a uid of its own (task-uids.ts), so what the last
 * instance wrote would be unwritable to the next. lchown: a symlink a task left is never followed.
 */
function chownTree(dir: string, uid: number, gid: number): void {
  chownSync(dir, uid, gid);
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) chownTree(p, uid, gid);
    else lchownSync(p, uid, gid);
  }
}
