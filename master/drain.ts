/**
 * Maintenance for the HTTP API: drain and undrain through the core (core/drain.ts), the core's NOT_FOUND as a
 * DrainError the routes turn into 404. The drain itself is stored on the AgentRecord (`drain: { deadline, drained }`)
 * and in the registry; its deadline is acted on by the core's tick.
 */
import { AgentIdSchema, ApiError, parseDurationMs, type AgentId } from '../sdk';
import type { Master } from './master';
import type { AgentRecord } from './state';

export class DrainError extends Error {
  constructor(
    readonly code: 'NOT_FOUND' | 'INVALID',
    message: string,
  ) {
    super(message);
    this.name = 'DrainError';
  }
}

export class DrainController {
  constructor(private readonly m: Master) {}

  /** Starts (or re-times) draining: no more offers now, tasks killed once `deadlineMs` from now has passed. */
  drain(agentId: string, deadlineMs: number): AgentRecord {
    return this.guarded(agentId, (id) => this.m.run(this.m.core.drain('operator', id, deadlineMs, this.m.clock.now())));
  }

  /** Ends maintenance: the agent's resources are offered again. */
  undrain(agentId: string): AgentRecord {
    return this.guarded(agentId, (id) => this.m.run(this.m.core.undrain('operator', id, this.m.clock.now())));
  }

  private guarded(agentId: string, fn: (id: AgentId) => unknown): AgentRecord {
    const id = AgentIdSchema.safeParse(agentId);
    const a = id.success ? this.m.core.state.agents.get(id.data) : undefined;
    if (!a) throw new DrainError('NOT_FOUND', `no agent '${agentId}'`);
    try {
      fn(a.info.id);
    } catch (e) {
      if (e instanceof ApiError) throw new DrainError(e.code === 'NOT_FOUND' ? 'NOT_FOUND' : 'INVALID', e.message);
      throw e;
    }
    return a;
  }
}

/** `10m`, `30s`, `1h`, `500ms`, `0` or a number of milliseconds → milliseconds; undefined when not a duration. */
export function parseDeadline(value: unknown): number | undefined {
  if (typeof value === 'number')
    return Number.isInteger(value) && value >= 0 && value <= 30 * 86_400_000 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  // A string needs its unit (`10m`), except a plain `0`.
  const ms = /[a-z]$/.test(text) || text === '0' ? parseDurationMs(text, 'ms') : undefined;
  return ms !== undefined && ms <= 30 * 86_400_000 ? ms : undefined;
}
