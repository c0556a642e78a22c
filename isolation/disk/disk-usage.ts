/**
 * Disk usage of a task's sandbox, the way Mesos's posix/disk isolator measures it: a `du`-style walk
 * (allocated blocks, each inode counted once, symlinks not followed, other file systems not entered),
 * repeated at an interval by the agent, with the decision in a pure function.
 */
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

const MiB = 1024 * 1024;

export type DiskVerdict = { over: false } | { over: true; message: string };

/** Pure: whether `usedBytes` exceeds a limit of `limitMb` (none, or 0: never). */
export function diskVerdict(usedBytes: number, limitMb: number | undefined): DiskVerdict {
  if (!limitMb || limitMb <= 0 || usedBytes <= limitMb * MiB) return { over: false };
  return { over: true, message: `disk limit: sandbox uses ${(usedBytes / MiB).toFixed(1)} MB, limit ${limitMb} MB` };
}

/** Bytes allocated under `dir`, like `du -s --block-size=1`. Entries vanishing mid-walk are skipped. */
export async function measureDiskBytes(dir: string, maxEntries = 1_000_000): Promise<number> {
  const root = await lstat(dir);
  const seen = new Set<string>();
  let total = 0;
  let entries = 0;
  const walk = async (d: string): Promise<void> => {
    let names: string[];
    try {
      names = await readdir(d);
    } catch (err) {
      if (gone(err)) return;
      throw err;
    }
    for (const name of names) {
      if (++entries > maxEntries) return;
      const p = join(d, name);
      let st;
      try {
        st = await lstat(p);
      } catch (err) {
        if (gone(err)) continue;
        throw err;
      }
      if (st.dev !== root.dev) continue;
      const id = `${st.ino}`;
      if (st.nlink > 1) {
        if (seen.has(id)) continue;
        seen.add(id);
      }
      total += st.blocks * 512;
      if (st.isDirectory()) await walk(p);
    }
  };
  total += root.blocks * 512;
  await walk(dir);
  return total;
}

function gone(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
