/**
 * The health of one task as a pure state machine: probe results in, healthy/unhealthy transitions out.
 *
 *   unknown ──success──▶ healthy ──N consecutive failures──▶ unhealthy ──success──▶ healthy …
 *      │ failures inside the grace period (before the first success) are not counted
 *      └──N consecutive failures after the grace period──▶ unhealthy
 *
 * As in Mesos, the grace period ends early at the first success. What to do with an unhealthy task
 * (kill it, replace it) is the agent's and the framework's business, not this machine's.
 */
import type { HealthCheck } from '../../sdk/protocol/common';

export interface HealthPolicy {
  gracePeriodMs: number;
  intervalMs: number;
  timeoutMs: number;
  consecutiveFailures: number;
  delayMs: number;
}

/** A check from the protocol (seconds, defaults applied by its schema) as milliseconds. */
export function policyOf(check: HealthCheck): HealthPolicy {
  return {
    gracePeriodMs: check.gracePeriodSeconds * 1000,
    intervalMs: check.intervalSeconds * 1000,
    timeoutMs: check.timeoutSeconds * 1000,
    consecutiveFailures: check.consecutiveFailures,
    delayMs: check.delaySeconds * 1000,
  };
}

export interface HealthSnapshot {
  /** undefined until the first success or the first counted run of failures. */
  healthy: boolean | undefined;
  consecutiveFailures: number;
  lastMessage: string;
}

export class HealthMachine {
  private healthy: boolean | undefined;
  private failures = 0;
  private succeededOnce = false;
  private lastMessage = '';

  constructor(
    private readonly policy: HealthPolicy,
    private readonly startedAt: number,
  ) {}

  /** Records one probe result; returns the new health when it changed, else undefined. */
  record(ok: boolean, now: number, message = ''): boolean | undefined {
    this.lastMessage = message;
    if (ok) {
      this.succeededOnce = true;
      this.failures = 0;
      return this.become(true);
    }
    const inGrace = !this.succeededOnce && now - this.startedAt < this.policy.gracePeriodMs;
    if (inGrace) return undefined;
    this.failures++;
    return this.failures >= this.policy.consecutiveFailures ? this.become(false) : undefined;
  }

  private become(healthy: boolean): boolean | undefined {
    if (this.healthy === healthy) return undefined;
    this.healthy = healthy;
    return healthy;
  }

  snapshot(): HealthSnapshot {
    return { healthy: this.healthy, consecutiveFailures: this.failures, lastMessage: this.lastMessage };
  }
}
