/**
 * One process per data dir: `agora up`, `agora master` and `agora agent` take `<dir>/agora.lock` before they
 * touch anything there, so a second one refuses at once, naming the first, instead of two writing one registry.
 *
 *   const lock = lockDataDir(dataDir, 'agora up');   // throws DataDirInUseError naming the holder's pid
 *   …
 *   lock.release();                                   // also done on process exit
 *
 * The lock file holds the holder's pid and its start time (clock ticks since boot, /proc/<pid>/stat). A lock
 * whose process is gone — or whose pid now belongs to a process started later — is stale and is taken over,
 * so a SIGKILLed holder never blocks the next start. The file is written whole under a temporary name and
 * linked into place (link fails if the lock exists), so a reader never sees half a lock.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const LOCK_FILE = 'agora.lock';

export interface LockHolder {
  pid: number;
  startTicks?: number;
  owner: string;
  since: string;
  token: string;
}

export class DataDirInUseError extends Error {
  constructor(
    readonly dir: string,
    readonly holder: LockHolder,
  ) {
    super(
      `the data dir ${dir} is in use by ${holder.owner} (pid ${holder.pid}, since ${holder.since}); stop it first, or use another data dir`,
    );
    this.name = 'DataDirInUseError';
  }
}

export interface DataDirLock {
  readonly file: string;
  readonly holder: LockHolder;
  /** Removes the lock if it is still ours. Idempotent. */
  release(): void;
}

/** What is known of a pid now: gone, or alive with its start time (undefined where /proc does not say). */
export type ProcessProbe = (pid: number) => { alive: false } | { alive: true; startTicks?: number };

/** Pure: whether a lock file's holder still holds it. Unreadable content is stale (no live holder wrote it whole). */
export function holderIsLive(holder: LockHolder | undefined, probe: ProcessProbe): holder is LockHolder {
  if (!holder) return false;
  const p = probe(holder.pid);
  if (!p.alive) return false;
  // The same pid with another start time is a later process that reused the number.
  return holder.startTicks === undefined || p.startTicks === undefined || p.startTicks === holder.startTicks;
}

export function parseLockHolder(text: string | undefined): LockHolder | undefined {
  if (text === undefined) return undefined;
  try {
    const h = JSON.parse(text) as Partial<LockHolder>;
    if (
      !Number.isInteger(h.pid) ||
      (h.pid as number) <= 0 ||
      typeof h.owner !== 'string' ||
      typeof h.token !== 'string'
    )
      return undefined;
    return {
      pid: h.pid as number,
      startTicks: typeof h.startTicks === 'number' ? h.startTicks : undefined,
      owner: h.owner,
      since: String(h.since ?? '?'),
      token: h.token,
    };
  } catch {
    return undefined;
  }
}

/** Start time of a process in clock ticks since boot (field 22 of /proc/<pid>/stat), if readable. */
export function processStartTicks(pid: number): number | undefined {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Fields after the command name, which is in parentheses and may itself contain spaces or ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[19]);
  return Number.isFinite(ticks) ? ticks : undefined;
}

export const systemProcessProbe: ProcessProbe = (pid) => {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists but belongs to someone else — alive.
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return { alive: false };
  }
  return { alive: true, startTicks: processStartTicks(pid) };
};

function readIfExists(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Atomically creates `file` with `text`; false if it already exists. */
function createWhole(file: string, text: string): boolean {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  fs.writeFileSync(tmp, text, { mode: 0o644 });
  try {
    fs.linkSync(tmp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/**
 * Moves a stale lock out of the way — unless another process replaced it since it was judged stale (then it
 * is put back, and the next attempt sees the new holder).
 */
function removeStale(file: string, judged: string): void {
  const aside = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.stale`;
  try {
    fs.renameSync(file, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // someone else removed it
    throw err;
  }
  try {
    if (fs.readFileSync(aside, 'utf8') !== judged) {
      try {
        fs.linkSync(aside, file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
  } finally {
    fs.rmSync(aside, { force: true });
  }
}

/** Takes the lock of `dir` (created if missing) for this process, or throws DataDirInUseError. */
export function lockDataDir(dir: string, owner: string, probe: ProcessProbe = systemProcessProbe): DataDirLock {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, LOCK_FILE);
  const holder: LockHolder = {
    pid: process.pid,
    startTicks: processStartTicks(process.pid),
    owner,
    since: new Date().toISOString(),
    token: randomBytes(8).toString('hex'),
  };
  const text = `${JSON.stringify(holder)}\n`;
  for (let attempt = 0; attempt < 10; attempt++) {
    if (createWhole(file, text)) return heldLock(file, holder);
    const current = readIfExists(file);
    if (current === undefined) continue;
    const other = parseLockHolder(current);
    if (holderIsLive(other, probe)) throw new DataDirInUseError(dir, other);
    removeStale(file, current);
  }
  throw new Error(`cannot take the lock ${file}: it keeps changing (another process is starting on ${dir}?)`);
}

function heldLock(file: string, holder: LockHolder): DataDirLock {
  const release = () => {
    process.removeListener('exit', release);
    try {
      const current = parseLockHolder(readIfExists(file));
      if (current?.token === holder.token) fs.rmSync(file, { force: true });
    } catch (err) {
      // Harmless: a lock left behind is stale once this process is gone. Said, since it may also run at exit.
      process.stderr.write(`agora: cannot remove the lock ${file}: ${(err as Error).message}\n`);
    }
  };
  process.on('exit', release);
  return { file, holder, release };
}
