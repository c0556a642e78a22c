/**
 * The end of a daemon's life, the same for the master, agents and frameworks: on SIGINT, SIGTERM or SIGHUP
 * (its terminal closed) run `stop` once (a second signal while stopping is ignored), log it, and exit 0 — or
 * 1 if stopping failed. Under `agora up`, a daemon also gets SIGTERM when its supervisor dies.
 *
 *   stopOnSignals(log, () => driver.stop({ failover: true }), 'running tasks keep running');
 */
import type { Logger } from './log';

export function stopOnSignals(log: Logger, stop: () => Promise<void>, note?: string): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, note ? `stopping (${note})` : 'stopping');
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
}

/**
 * What a daemon (master, agent) does with a failure nothing else caught — one stated policy, documented in
 * master/README.md:
 * - `unhandledRejection`: a promise rejected with no handler is a bug (every known one has a handler). It is
 *   logged at error with its reason and stack, counted, and the process keeps running: handlers change state
 *   synchronously before their effects, so a lost rejection cannot leave state half-changed, and crashing
 *   would turn one missed log line into a failover for the whole cluster.
 * - `uncaughtException`: a synchronous throw escaped to the event loop, possibly in the middle of a state
 *   change. It is logged at fatal with its stack, then the process exits 1 so a supervisor restarts it and it
 *   recovers (`recovery` says how, e.g. the registry and re-registering agents).
 * Returns a count of unhandled rejections seen so far.
 */
export function handleProcessFailures(log: Logger, recovery: string): { unhandledRejections: () => number } {
  let rejections = 0;
  process.on('unhandledRejection', (reason: unknown) => {
    rejections++;
    const err =
      reason instanceof Error ? { message: reason.message, stack: reason.stack } : { message: String(reason) };
    log.error(
      { err, unhandledRejections: rejections },
      'unhandled promise rejection (a bug: a handler is missing); continuing',
    );
  });
  process.on('uncaughtException', (err: Error, origin: string) => {
    log.fatal(
      { err: { message: err.message, stack: err.stack }, origin, recovery },
      'uncaught exception; exiting so a restart recovers',
    );
    log.flush?.();
    process.exit(1);
  });
  return { unhandledRejections: () => rejections };
}
