/** Locating the programs the native containerizer drives: perl for the launch server; util-linux setpriv and nsenter for exec into a task. */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Absolute path of an executable `name` on `searchPath`, or undefined. */
export function findExecutable(name: string, searchPath = process.env.PATH ?? SYSTEM_PATH): string | undefined {
  if (name.includes('/')) return isExecutable(name) ? name : undefined;
  for (const dir of `${searchPath}:${SYSTEM_PATH}`.split(':')) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function isExecutable(file: string): boolean {
  try {
    const st = fs.statSync(file);
    return st.isFile() && (st.mode & 0o111) !== 0;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EACCES') return false;
    throw err;
  }
}

export interface NativeTools {
  setprivBin: string;
  nsenterBin: string;
  perlBin: string;
}

/** The tools, or the names of the missing ones. */
export function findNativeTools(): NativeTools | { missing: string[] } {
  const found = {
    setprivBin: findExecutable('setpriv'),
    nsenterBin: findExecutable('nsenter'),
    perlBin: findExecutable('perl'),
  };
  const missing = Object.entries(found)
    .filter(([, v]) => !v)
    .map(([k]) => k.replace(/Bin$/, ''));
  if (missing.length > 0) return { missing };
  return found as NativeTools;
}
