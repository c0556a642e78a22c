/** The effects a transition collects while it changes state; returned to the shell at the end. */
import type { FrameworkId, SchedulerEvent } from '../../sdk';
import type { ClusterEvent } from '../cluster-events';
import type { Effect, LogLevel, RegistryChange, Result } from './effects';

export class Tx {
  readonly effects: Effect[] = [];
  constructor(readonly now: number) {}
  push(e: Effect): void {
    this.effects.push(e);
  }
  persist(change: RegistryChange): void {
    this.effects.push({ type: 'PERSIST', change });
  }
  event(frameworkId: FrameworkId, event: SchedulerEvent): void {
    this.effects.push({ type: 'SEND_EVENT', frameworkId, event });
  }
  cluster(event: ClusterEvent): void {
    this.effects.push({ type: 'CLUSTER_EVENT', event });
  }
  log(level: LogLevel, ctx: Record<string, unknown>, msg: string): void {
    this.effects.push({ type: 'LOG', level, ctx, msg });
  }
  soon(): void {
    this.effects.push({ type: 'ALLOCATE_SOON' });
  }
  done<R>(reply: R): Result<R> {
    return { reply, effects: this.effects };
  }
}
