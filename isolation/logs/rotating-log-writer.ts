/**
 * Writes one stream (`stdout` or `stderr`) of a sandbox, in this process, with rotation by size or (rotation
 * undefined) as one growing file with no state file. The Docker log pump is its only user; native tasks have
 * their own per-task rotator process, native/log-rotator.ts, with the same file layout and state. `written`
 * is the stream's logical size, kept across agent restarts by the state file (or the file's own size without
 * rotation), so the pump can skip what an earlier agent already wrote.
 *
 * The agent runs this as root in a directory the task writes to: every file is opened O_NOFOLLOW (a link the
 * task planted as `stdout` is refused, never written through) and rotated files with O_EXCL.
 */
import { closeSync, fstatSync, openSync, readFileSync, renameSync, unlinkSync, writeSync, constants } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { ConfinedOpenError, openConfined } from './confined-open';
import { LogStateSchema, logStateFile, rotatedName, rotatedState, type LogRotation, type LogState } from './log-state';

const OPEN_FLAGS = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW;

export class RotatingLogWriter {
  private fd: number;
  private size: number;
  private state: LogState;

  constructor(
    private readonly dir: string,
    private readonly stream: string,
    private readonly rotation: LogRotation | undefined,
  ) {
    this.fd = openSync(join(dir, stream), OPEN_FLAGS, 0o644);
    const st = fstatSync(this.fd);
    this.size = st.size;
    if (!st.isFile()) {
      closeSync(this.fd);
      throw new Error(`${join(dir, stream)} is not a regular file`);
    }
    if (!rotation) {
      this.state = { files: [{ ino: st.ino, start: 0 }] };
      return;
    }
    const kept = this.readState();
    // Continue an earlier writer's stream when the state still describes this file; else start one here.
    this.state = kept && kept.files[0]!.ino === st.ino ? kept : { files: [{ ino: st.ino, start: 0 }] };
    this.saveState();
  }

  /** Logical size: every byte written to the stream, rotated away or not. */
  get written(): number {
    return this.state.files[0]!.start + this.size;
  }

  write(data: Buffer): void {
    let rest = data;
    while (rest.length > 0) {
      const room = (this.rotation?.maxBytes ?? Infinity) - this.size;
      if (room <= 0) {
        this.rotate();
        continue;
      }
      const part = rest.subarray(0, room);
      let done = 0;
      while (done < part.length) done += writeSync(this.fd, part, done, part.length - done);
      this.size += part.length;
      rest = rest.subarray(part.length);
    }
  }

  close(): void {
    closeSync(this.fd);
  }

  private rotate(): void {
    if (!this.rotation) return;
    closeSync(this.fd);
    const kept = this.rotation.maxFiles - 1;
    const path = (i: number) => join(this.dir, rotatedName(this.stream, i));
    if (kept > 0) {
      unlinkIfPresent(path(kept));
      for (let i = kept - 1; i >= 0; i--) renameIfPresent(path(i), path(i + 1));
    }
    const start = this.written;
    unlinkIfPresent(path(0)); // kept === 0: the full file goes; else anything put there since the rename
    this.fd = openSync(path(0), OPEN_FLAGS | constants.O_EXCL, 0o644);
    this.size = 0;
    this.state = rotatedState(this.state, fstatSync(this.fd).ino, start, this.rotation.maxFiles);
    this.saveState();
  }

  private readState(): LogState | undefined {
    try {
      const fd = openConfined(this.dir, logStateFile(this.stream));
      let text: string;
      try {
        text = readFileSync(fd, 'utf8');
      } finally {
        closeSync(fd);
      }
      const parsed = LogStateSchema.safeParse(JSON.parse(text));
      return parsed.success ? parsed.data : undefined;
    } catch (err) {
      if (err instanceof ConfinedOpenError || err instanceof SyntaxError) return undefined; // none yet, a link, or unreadable: start over
      throw err;
    }
  }

  private saveState(): void {
    const file = join(this.dir, logStateFile(this.stream));
    // The sandbox is the task's: never follow a link it planted (the agent writes as root).
    const fd = openSync(
      `${file}.tmp`,
      constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW,
      0o644,
    );
    try {
      writeSync(fd, JSON.stringify(this.state));
    } finally {
      closeSync(fd);
    }
    renameSync(`${file}.tmp`, file);
  }
}

/** A Writable over a RotatingLogWriter that drops the first `skip` bytes (already written by an earlier agent). */
export class SkippingRotatingStream extends Writable {
  constructor(
    private readonly writer: RotatingLogWriter,
    private skip: number,
  ) {
    super();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    let data = chunk;
    if (this.skip > 0) {
      const n = Math.min(this.skip, data.length);
      this.skip -= n;
      data = data.subarray(n);
    }
    try {
      if (data.length > 0) this.writer.write(data);
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }

  override _final(cb: (err?: Error | null) => void): void {
    try {
      this.writer.close();
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }
}

function unlinkIfPresent(file: string): void {
  try {
    unlinkSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

function renameIfPresent(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
