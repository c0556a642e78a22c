/**
 * Garbage collection of finished sandboxes: each is deleted `sandboxGcDelayMs` after its task ended, and the
 * oldest go first whenever the work dir's disk is fuller than `sandboxGcDiskFraction`.
 */
import { rmSync, statfsSync } from 'node:fs';
import type { Logger } from '../sdk';
import { every, systemClock, type Clock } from '../sdk/clock';
import type { CheckpointStore } from './checkpoint';
import type { AgentConfig } from './config';

export class SandboxGc {
  private timer?: { stop(): void };
  removed = 0;

  constructor(
    private readonly config: AgentConfig,
    private readonly checkpoint: CheckpointStore,
    private readonly log: Logger,
    private readonly clock: Clock = systemClock,
    private readonly diskUsedFraction: () => number = () => usedFraction(config.workDir),
  ) {}

  start(): void {
    const period = Math.max(1000, Math.min(60_000, this.config.sandboxGcDelayMs / 10));
    this.timer = every(this.clock, period, () => this.collect());
  }
  stop(): void {
    this.timer?.stop();
  }
  /** A task just ended; run a pass soon if disk is already tight. */
  noteFinished(): void {
    if (this.diskUsedFraction() > this.config.sandboxGcDiskFraction) this.collect();
  }

  /** One pass: removes expired sandboxes, then the oldest finished ones while the disk is too full. */
  collect(): number {
    const finished = this.checkpoint
      .tasks()
      .filter((t) => t.endedAt !== undefined)
      .sort((a, b) => a.endedAt! - b.endedAt!);
    let n = 0;
    for (const t of finished) {
      const expired = this.clock.now() - t.endedAt! >= this.config.sandboxGcDelayMs;
      if (!expired && this.diskUsedFraction() <= this.config.sandboxGcDiskFraction) break;
      rmSync(t.sandboxDir, { recursive: true, force: true });
      this.checkpoint.deleteTask(t.frameworkId, t.taskId);
      n++;
    }
    if (n > 0) {
      this.removed += n;
      this.log.info({ removed: n }, 'garbage-collected finished sandboxes');
    }
    return n;
  }
}

function usedFraction(dir: string): number {
  try {
    const s = statfsSync(dir);
    return s.blocks === 0 ? 0 : 1 - s.bavail / s.blocks;
  } catch {
    return 0;
  }
}
