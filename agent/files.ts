/**
 * The sandbox file API: list a task's sandbox and read a file with offset/length (offset -1 reads the last
 * `length` bytes). Paths are confined to the sandbox: `..` and absolute paths are refused, and files are opened
 * by isolation's `openConfined` (O_NOFOLLOW, then the kernel's path of the open file checked against the
 * sandbox): a symlink the task planted, as the last component or as a directory on the way, is refused.
 * The agent finds the sandbox by framework and task id (agent.ts), never by task id alone.
 *
 * `stdout` and `stderr` of a task whose logs rotate are read as one stream across `stdout`, `stdout.1` …:
 * offsets and `size` count every byte the task wrote, so an offset stays valid across rotations and a
 * follower (offset = previous offset + bytes read) never notices one. `first` says where the oldest byte
 * still kept starts; a read from before it starts there (the reply's `offset` says so).
 */
import { readSync, closeSync, readdirSync, lstatSync, existsSync, fstatSync, realpathSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ApiError, type FileEntry } from '../sdk';
import { ConfinedOpenError, ROTATED_STREAMS, insideRoot, openConfined, readRotatedLog } from '../isolation';

export function listSandbox(dir: string): FileEntry[] {
  if (!existsSync(dir)) throw new ApiError('NOT_FOUND', 'sandbox no longer exists (garbage-collected)');
  const root = realpathSync(dir);
  const out: FileEntry[] = [];
  const walk = (d: string, depth: number) => {
    // A directory swapped for a link since it was listed would lead elsewhere: only walk what is still inside.
    if (depth > 0 && !insideRoot(root, realpathSync(d))) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory() && depth < 4) walk(p, depth + 1);
      else if (e.isFile()) {
        const s = lstatSync(p, { throwIfNoEntry: false }); // never follows a link planted since the listing
        if (s?.isFile()) out.push({ path: relative(root, p), size: s.size, mtimeMs: s.mtimeMs });
      }
      if (out.length >= 1000) return;
    }
  };
  walk(root, 0);
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

export interface SandboxRead {
  path: string;
  offset: number;
  size: number;
  data: string;
  eof: boolean;
  first?: number;
  rotated?: boolean;
}

export async function readSandboxFile(dir: string, path: string, offset: number, length: number): Promise<SandboxRead> {
  if (!existsSync(dir)) throw new ApiError('NOT_FOUND', 'sandbox no longer exists (garbage-collected)');
  try {
    if (ROTATED_STREAMS.includes(path)) {
      const r = await readRotatedLog(dir, path, offset, length);
      if (r) return { path, ...r };
    }
    return readPlainFile(dir, path, offset, length);
  } catch (err) {
    if (!(err instanceof ConfinedOpenError)) throw err;
    throw new ApiError(err.kind === 'outside' ? 'INVALID' : 'NOT_FOUND', err.message, 'path');
  }
}

function readPlainFile(dir: string, path: string, offset: number, length: number): SandboxRead {
  const fd = openConfined(dir, path);
  try {
    const size = fstatSync(fd).size;
    const start = offset < 0 ? Math.max(0, size - length) : Math.min(offset, size);
    const buf = Buffer.alloc(Math.min(length, size - start));
    const n = readSync(fd, buf, 0, buf.length, start);
    return { path, offset: start, size, data: buf.subarray(0, n).toString('utf8'), eof: start + n >= size };
  } finally {
    closeSync(fd);
  }
}
