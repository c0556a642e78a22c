/**
 * Secret files in a task's sandbox (LAUNCH `secretFiles`: sandbox path → value). Written before the task starts,
 * each 0400 and owned by the task's user (parent directories 0700), never following a link, into a sandbox the
 * task has not run in yet; removed when the task ends. The sandbox file API refuses to read them
 * (`isSecretFile`), so `sandbox:read` does not reveal what only the task may read.
 */
import {
  closeSync,
  constants,
  fchownSync,
  lstatSync,
  mkdirSync,
  chownSync,
  openSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join, normalize } from 'node:path';
import type { TaskInfo } from '../sdk';

export interface FileOwner {
  uid: number;
  gid: number;
}

export function writeSecretFiles(
  sandbox: string,
  files: Readonly<Record<string, string>>,
  owner: FileOwner | undefined,
): void {
  for (const [path, value] of Object.entries(files)) {
    const parts = normalize(path).split('/');
    let dir = sandbox;
    for (const part of parts.slice(0, -1)) {
      dir = join(dir, part);
      const st = lstatSync(dir, { throwIfNoEntry: false });
      if (!st) {
        mkdirSync(dir, { mode: 0o700 });
        if (owner) chownSync(dir, owner.uid, owner.gid);
      } else if (!st.isDirectory()) throw new Error(`task.secretFiles.${path}: ${dir} exists and is not a directory`);
    }
    const fd = openSync(
      join(sandbox, path),
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      0o400,
    );
    try {
      if (owner) fchownSync(fd, owner.uid, owner.gid);
      writeSync(fd, value);
    } finally {
      closeSync(fd);
    }
  }
}

/** Removes the task's secret files (those still there); returns the paths it could not remove, with why. */
export function removeSecretFiles(sandbox: string, paths: readonly string[]): string[] {
  const failed: string[] = [];
  for (const p of paths) {
    try {
      rmSync(join(sandbox, normalize(p)), { force: true });
    } catch (e) {
      failed.push(`${p}: ${(e as Error).message}`);
    }
  }
  return failed;
}

/** Whether a sandbox read names one of the task's secret files. */
export function isSecretFile(info: Pick<TaskInfo, 'secretFiles'> | undefined, path: string): boolean {
  const wanted = normalize(path).replace(/^\.\//, '');
  return Object.keys(info?.secretFiles ?? {}).some((p) => normalize(p) === wanted);
}
