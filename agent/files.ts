/**
 * The sandbox file API: list a task's sandbox and read a file with offset/length (offset -1 reads the last
 * `length` bytes). Paths are confined to the sandbox: `..` and absolute paths are refused.
 */
import { openSync, readSync, closeSync, readdirSync, statSync, existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { ApiError, type FileEntry } from '../sdk';

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

export function readSandboxFile(dir: string, path: string, offset: number, length: number): { path: string; offset: number; size: number; data: string; eof: boolean } {
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
