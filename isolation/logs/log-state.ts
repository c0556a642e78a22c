/**
 * Rotated logs as one continuous byte stream. A rotating writer (the native log rotator, the Docker log
 * pump) keeps `stdout`, `stdout.1` … `stdout.<maxFiles-1>` (newest first) and, beside them, a small state
 * file `.agora-log-stdout.json` listing each file's inode and the *logical offset* of its first byte (bytes
 * the task wrote before it). Readers address the stream by logical offset, so an offset a follower got
 * before a rotation still means the same byte after it: `agora logs -f` and the page keep following
 * without knowing about rotation, and an offset older than what is kept is answered from the oldest byte
 * still on disk (the reply's offset says where the data really starts).
 *
 * Pure: the state's shape, and which byte ranges of which files a read needs.
 */
import { z } from 'zod';

export const LogStateSchema = z.object({
  /** Newest first: files[0] is `<stream>`, files[i] is `<stream>.<i>`. */
  files: z
    .array(z.object({ ino: z.number().int().nonnegative(), start: z.number().int().nonnegative() }))
    .min(1)
    .max(1000),
});
export type LogState = z.infer<typeof LogStateSchema>;

export interface LogRotation {
  /** A file is rotated once it holds this many bytes. */
  maxBytes: number;
  /** Files kept per stream, the current one included (so at most maxBytes × maxFiles on disk). */
  maxFiles: number;
}

/** Streams that may be rotated; any other path in the sandbox is read as a plain file. */
export const ROTATED_STREAMS: readonly string[] = ['stdout', 'stderr'];

export const logStateFile = (stream: string): string => `.agora-log-${stream}.json`;

/** Name of the i-th file of a stream, newest first. */
export const rotatedName = (stream: string, i: number): string => (i === 0 ? stream : `${stream}.${i}`);

export interface ReadPiece {
  index: number;
  position: number;
  length: number;
}
export interface ReadPlan {
  /** Logical offset the returned data starts at (the requested one, clamped to what is kept). */
  offset: number;
  /** Logical end of the stream: every byte the task wrote so far. */
  end: number;
  /** Logical offset of the oldest byte still on disk. */
  first: number;
  pieces: ReadPiece[];
}

/**
 * The pieces of files to read for `length` bytes from logical `offset` (-1: the last `length` bytes),
 * given the state and the current file's size.
 */
export function planLogRead(state: LogState, currentSize: number, offset: number, length: number): ReadPlan {
  const files = state.files;
  const end = files[0]!.start + currentSize;
  const first = files[files.length - 1]!.start;
  const from = offset < 0 ? Math.max(first, end - length) : Math.min(Math.max(offset, first), end);
  const to = Math.min(end, from + length);
  const pieces: ReadPiece[] = [];
  for (let i = files.length - 1; i >= 0; i--) {
    const fileStart = files[i]!.start;
    const fileEnd = i === 0 ? end : files[i - 1]!.start;
    const a = Math.max(from, fileStart);
    const b = Math.min(to, fileEnd);
    if (b > a) pieces.push({ index: i, position: a - fileStart, length: b - a });
  }
  return { offset: from, end, first, pieces };
}

/** The state after the current file (`ino` the new one) took over at logical offset `start`, keeping `maxFiles`. */
export function rotatedState(state: LogState, ino: number, start: number, maxFiles: number): LogState {
  return { files: [{ ino, start }, ...state.files].slice(0, Math.max(1, maxFiles)) };
}

/** Parses `10MB`, `512KB`, `1GiB`, `2048` (bytes) into bytes; undefined for anything else. */
export function parseByteSize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|k|kb|kib|m|mb|mib|g|gb|gib)?\s*$/i.exec(text);
  if (!m) return undefined;
  const unit = (m[2] ?? 'b').toLowerCase()[0]!;
  const mult = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[unit as 'b' | 'k' | 'm' | 'g'];
  const n = Math.round(Number(m[1]) * mult);
  return Number.isSafeInteger(n) ? n : undefined;
}
