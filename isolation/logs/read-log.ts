/**
 * Reads a rotated stream (`stdout`, `stderr`) of a sandbox by logical offset (see log-state.ts). A writer
 * may rotate between our reads: every file opened is checked against the inode the state names, and on
 * a mismatch (a rotation in flight) the read starts over with the new state. Every file is opened confined to
 * the sandbox (confined-open.ts): a state file or a stream the task replaced by a symlink is never followed.
 */
import { closeSync, fstatSync, readFileSync, readSync } from 'node:fs';
import { ConfinedOpenError, openConfined } from './confined-open';
import { LogStateSchema, logStateFile, planLogRead, rotatedName, type LogState } from './log-state';

export interface LogRead {
  offset: number;
  /** Logical size of the stream (every byte written so far). */
  size: number;
  data: string;
  eof: boolean;
  /** Logical offset of the oldest byte kept; data before it was rotated away. */
  first: number;
  rotated: true;
}

class Moved extends Error {}

const ATTEMPTS = 50;

/** undefined when the stream has no rotation state (a plain file, or no rotation configured). */
export async function readRotatedLog(
  dir: string,
  stream: string,
  offset: number,
  length: number,
): Promise<LogRead | undefined> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const state = readState(dir, stream);
    if (!state) return undefined;
    try {
      return readWith(dir, stream, state, offset, length);
    } catch (err) {
      if (!(err instanceof Moved)) throw err;
      await new Promise((r) => setTimeout(r, Math.min(attempt + 1, 10)));
    }
  }
  throw new Error(
    `${stream}: the log kept rotating under ${ATTEMPTS} reads (is its state file ${logStateFile(stream)} stale?)`,
  );
}

function readState(dir: string, stream: string): LogState | undefined {
  let text: string;
  try {
    const fd = openConfined(dir, logStateFile(stream));
    try {
      text = readFileSync(fd, 'utf8');
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    // None, or one the task replaced by a link or a FIFO: no rotation state (the stream is then read as a plain file).
    if (err instanceof ConfinedOpenError) return undefined;
    throw err;
  }
  const parsed = LogStateSchema.safeParse(safeJson(text));
  // Written by tmp + rename, so a torn state is not expected; one the task user garbled reads as no rotation.
  return parsed.success ? parsed.data : undefined;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  } // invalid JSON is reported by the schema check as "no state"
}

function openChecked(dir: string, stream: string, state: LogState, index: number): { fd: number; size: number } {
  let fd: number;
  try {
    fd = openConfined(dir, rotatedName(stream, index));
  } catch (err) {
    if (err instanceof ConfinedOpenError && err.kind === 'missing') throw new Moved();
    throw err;
  }
  const st = fstatSync(fd);
  if (st.ino !== state.files[index]!.ino) {
    closeSync(fd);
    throw new Moved();
  }
  return { fd, size: st.size };
}

function readWith(dir: string, stream: string, state: LogState, offset: number, length: number): LogRead {
  const current = openChecked(dir, stream, state, 0);
  const fds = new Map<number, number>([[0, current.fd]]);
  try {
    const plan = planLogRead(state, current.size, offset, length);
    const chunks: Buffer[] = [];
    for (const p of plan.pieces) {
      const fd = fds.get(p.index) ?? openChecked(dir, stream, state, p.index).fd;
      fds.set(p.index, fd);
      const buf = Buffer.alloc(p.length);
      const n = readSync(fd, buf, 0, p.length, p.position);
      chunks.push(buf.subarray(0, n));
      if (n < p.length) break; // a rotated file shorter than the state says: return what is there
    }
    const data = Buffer.concat(chunks);
    return {
      offset: plan.offset,
      size: plan.end,
      data: data.toString('utf8'),
      eof: plan.offset + data.length >= plan.end,
      first: plan.first,
      rotated: true,
    };
  } finally {
    for (const fd of fds.values()) closeSync(fd);
  }
}
