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
    stop().then(() => process.exit(0), (err: unknown) => { log.error({ err }, 'error while stopping'); process.exit(1); });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
}
