/**
 * Structured logging for every Agora process: pino, pretty on a TTY, JSON lines otherwise.
 * Level from `AGORA_LOG_LEVEL` (default `info`; tests run with `silent` unless a test sets it).
 */
import pino, { type Logger } from 'pino';

export type { Logger };

export function createLogger(name: string, opts: { level?: string; pretty?: boolean } = {}): Logger {
  const level = opts.level ?? process.env.AGORA_LOG_LEVEL ?? (process.env.JEST_WORKER_ID ? 'silent' : 'info');
  const pretty = opts.pretty ?? (process.stdout.isTTY === true && process.env.AGORA_LOG_FORMAT !== 'json');
  if (pretty) {
    return pino({
      name,
      level,
      transport: {
        target: 'pino-pretty',
        options: { colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' },
      },
    });
  }
  return pino({ name, level, base: { component: name } });
}

/**
 * Wraps a logger so that one kind of event (a key) is logged at most `perWindow` times per window;
 * the rest are counted and summarised once the window rolls over. A flood of bad messages cannot fill the disk.
 */
export class RateLimitedLog {
  private counts = new Map<string, { n: number; windowStart: number; suppressed: number }>();
  constructor(
    private readonly log: Logger,
    private readonly perWindow = 5,
    private readonly windowMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  warn(key: string, obj: Record<string, unknown>, msg: string): void {
    const t = this.now();
    let c = this.counts.get(key);
    if (!c || t - c.windowStart >= this.windowMs) {
      if (c && c.suppressed > 0) this.log.warn({ key, suppressed: c.suppressed }, 'similar warnings suppressed');
      c = { n: 0, windowStart: t, suppressed: 0 };
      this.counts.set(key, c);
      if (this.counts.size > 1000) this.counts.clear();
    }
    if (c.n < this.perWindow) {
      c.n++;
      this.log.warn(obj, msg);
    } else c.suppressed++;
  }
}
