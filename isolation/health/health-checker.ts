/**
 * Runs a task's health check on an injected clock and reports transitions.
 *
 *   const checker = new HealthChecker({
 *     check, clock: systemClock, probe: probeFor(check, { container, hostPorts }),
 *     onChange: (healthy, snap) => agent.sendStatus({ ...status, healthy }),
 *   });
 *   checker.start();          // first probe after delaySeconds, then every intervalSeconds
 *   checker.stop();           // when the task ends
 *
 * After an agent restart, pass the task's original `startedAt` so the grace period is not granted twice.
 */
import type { Clock, TimerHandle } from '../../sdk/clock';
import type { HealthCheck } from '../../sdk/protocol/common';
import { HealthMachine, policyOf, type HealthPolicy, type HealthSnapshot } from './health-machine';
import type { Probe, ProbeResult } from './probes';

export interface HealthCheckerOptions {
  check: HealthCheck;
  probe: Probe;
  clock: Clock;
  onChange: (healthy: boolean, snapshot: HealthSnapshot) => void;
  /** onChange threw: checking has stopped. */
  onError: (err: unknown) => void;
  /** When the task started (default: now). */
  startedAt?: number;
}

export class HealthChecker {
  private readonly policy: HealthPolicy;
  private readonly machine: HealthMachine;
  private timer?: TimerHandle;
  private running = false;
  private probes = 0;

  constructor(private readonly o: HealthCheckerOptions) {
    this.policy = policyOf(o.check);
    this.machine = new HealthMachine(this.policy, o.startedAt ?? o.clock.now());
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(this.policy.delayMs);
  }

  stop(): void {
    this.running = false;
    if (this.timer) this.o.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  snapshot(): HealthSnapshot & { probes: number } {
    return { ...this.machine.snapshot(), probes: this.probes };
  }

  private schedule(ms: number): void {
    this.timer = this.o.clock.setTimeout(() => {
      this.runOnce().catch((err: unknown) => {
        // Only onChange can throw here (a rejecting probe counts as a failed probe): checking stops, and the
        // owner hears why instead of an unhandled rejection.
        this.running = false;
        this.o.onError(err);
      });
    }, ms);
  }

  /** One probe, bounded by the check's timeout on the injected clock; then the next is scheduled. */
  private async runOnce(): Promise<void> {
    if (!this.running) return;
    const { clock } = this.o;
    let timeout: TimerHandle | undefined;
    const timedOut = new Promise<ProbeResult>((resolve) => {
      timeout = clock.setTimeout(
        () => resolve({ ok: false, message: `timed out after ${this.policy.timeoutMs} ms` }),
        this.policy.timeoutMs,
      );
    });
    const probed = this.o.probe(this.policy.timeoutMs).catch((err: unknown): ProbeResult => ({
      ok: false,
      message: `probe threw: ${(err as Error).message ?? String(err)}`,
    }));
    const result = await Promise.race([probed, timedOut]);
    if (timeout) clock.clearTimeout(timeout);
    if (!this.running) return;
    this.probes++;
    const changed = this.machine.record(result.ok, clock.now(), result.message);
    if (changed !== undefined) this.o.onChange(changed, this.machine.snapshot());
    this.schedule(this.policy.intervalMs);
  }
}
