/**
 * Enforces each task's `disk` on its sandbox and its persistent volumes, as Mesos's posix/disk isolator does:
 * every `intervalMs` the sandbox (and volumes) of each running task is measured (a du-style walk), the figure kept for the usage reports
 * (`diskUsedMb`), and a task over its limit is killed at once and ends TASK_FAILED with reason DISK_LIMIT.
 * The decision is `diskVerdict` (pure); this is the timer and the IO around it. One round at a time: a
 * slow walk never overlaps the next.
 */
import type { Logger } from '../sdk';
import { every, systemClock, type Clock } from '../sdk/clock';
import { diskVerdict, measureDiskBytes } from '../isolation';
import type { TaskRunner } from './task-runner';

export interface DiskWatchOptions {
  intervalMs: number;
  runners: () => Iterable<TaskRunner>;
  log: Logger;
  measure?: (dir: string) => Promise<number>;
  /** Default: the system clock. */
  clock?: Clock;
  /** More directories counted against a task's `disk` beside its sandbox: its persistent volumes. */
  extraDirs?: (r: TaskRunner) => string[];
}

export class DiskWatch {
  private timer?: { stop(): void };
  private round?: Promise<void>;

  constructor(private readonly o: DiskWatchOptions) {}

  start(): void {
    if (this.o.intervalMs <= 0 || this.timer) return;
    this.timer = every(this.o.clock ?? systemClock, this.o.intervalMs, () => {
      this.round ??= this.check().finally(() => {
        this.round = undefined;
      });
    });
  }

  async stop(): Promise<void> {
    this.timer?.stop();
    this.timer = undefined;
    await this.round;
  }

  /** One round over the running tasks; never rejects (each task's failure is logged). */
  async check(): Promise<void> {
    const measure = this.o.measure ?? measureDiskBytes;
    for (const r of [...this.o.runners()]) {
      if (r.endedAt !== undefined || !r.container) continue;
      try {
        let used = await measure(r.sandboxDir);
        for (const dir of this.o.extraDirs?.(r) ?? []) used += await measure(dir);
        r.diskUsedBytes = used;
      } catch (err) {
        this.o.log.warn({ err, taskId: r.taskId, sandbox: r.sandboxDir }, 'cannot measure the sandbox');
        continue;
      }
      const verdict = diskVerdict(r.diskUsedBytes, r.diskLimitMb);
      if (!verdict.over) continue;
      this.o.log.warn(
        { taskId: r.taskId, frameworkId: r.frameworkId, usedBytes: r.diskUsedBytes, limitMb: r.diskLimitMb },
        'task over its disk limit; killing it',
      );
      await r
        .failForDisk(verdict.message)
        .catch((err: unknown) => this.o.log.error({ err, taskId: r.taskId }, 'cannot kill a task over its disk limit'));
    }
  }
}
