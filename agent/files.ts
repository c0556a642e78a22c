/**
 * The sandbox file API: list a task's sandbox and read a file with offset/length (offset -1 reads the last
 * `length` bytes). Paths are confined to the sandbox: `..` and absolute paths are refused.
 *
 * `stdout` and `stderr` of a task whose logs rotate are read as one stream across `stdout`, `stdout.1` …:
 * offsets and `size` count every byte the task wrote, so an offset stays valid across rotations and a
 * follower (offset = previous offset + bytes read) never notices one. `first` says where the oldest byte
 * still kept starts; a read from before it starts there (the reply's `offset` says so).
 */
import { openSync, readSync, closeSync, readdirSync, statSync, existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { ApiError, type FileEntry } from '../sdk';
import { ROTATED_STREAMS, readRotatedLog } from '../isolation';

export function listSandbox(dir: string): FileEntry[] {
  if (!existsSync(dir)) throw new ApiError('NOT_FOUND', 'sandbox no longer exists (garbage-collected)');
  const out: FileEntry[] = [];
  const walk = (d: string, depth: number) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory() && depth < 4) walk(p, depth + 1);
      else if (e.isFile()) { const s = statSync(p); out.push({ path: relative(dir, p), size: s.size, mtimeMs: s.mtimeMs }); }
      if (out.length >= 1000) return;
    }
  };
  walk(dir, 0);
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

export interface SandboxRead { path: string; offset: number; size: number; data: string; eof: boolean; first?: number; rotated?: boolean }

export async function readSandboxFile(dir: string, path: string, offset: number, length: number): Promise<SandboxRead> {
  if (ROTATED_STREAMS.includes(path) && existsSync(dir)) {
    const r = await readRotatedLog(dir, path, offset, length);
    if (r) return { path, ...r };
  }
  return readPlainFile(dir, path, offset, length);
}

function readPlainFile(dir: string, path: string, offset: number, length: number): SandboxRead {
  const full = resolve(dir, path);
  if (path.startsWith('/') || relative(dir, full).startsWith('..')) throw new ApiError('INVALID', `path '${path}' is outside the sandbox`, 'path');
  if (!existsSync(full) || !statSync(full).isFile()) throw new ApiError('NOT_FOUND', `no file '${path}' in the sandbox`, 'path');
  const size = statSync(full).size;
  const start = offset < 0 ? Math.max(0, size - length) : Math.min(offset, size);
  const n = Math.min(length, size - start);
  const buf = Buffer.alloc(n);
  const fd = openSync(full, 'r');
  try { readSync(fd, buf, 0, n, start); } finally { closeSync(fd); }
  return { path, offset: start, size, data: buf.toString('utf8'), eof: start + n >= size };
}
