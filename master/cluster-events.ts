/**
 * Cluster events for operators (the page's live stream, `agora events`): agent added/removed/unreachable,
 * framework added/removed, task state changes, offers. In-process fan-out; the HTTP layer serves them as SSE.
 */
import { EventEmitter } from 'node:events';

export type ClusterEvent =
  | { type: 'AGENT_ADDED' | 'AGENT_REACTIVATED'; agent: { id: string; hostname: string } }
  | {
      type: 'AGENT_UNREACHABLE' | 'AGENT_REMOVED' | 'AGENT_DRAINING' | 'AGENT_DRAINED' | 'AGENT_UNDRAINED';
      agent: { id: string; hostname: string };
    }
  | {
      type: 'FRAMEWORK_ADDED' | 'FRAMEWORK_REMOVED' | 'FRAMEWORK_DISCONNECTED' | 'FRAMEWORK_RECONNECTED';
      framework: { id: string; name: string };
    }
  | {
      type: 'TASK_UPDATED';
      task: { id: string; frameworkId: string; agentId: string; state: string; healthy?: boolean; reason?: string };
    }
  | { type: 'OFFERS_MADE'; frameworkId: string; count: number }
  | { type: 'OFFER_RESCINDED'; frameworkId: string; offerId: string }
  | { type: 'ROLE_UPDATED'; role: string }
  | { type: 'ALLOCATION_CYCLE'; durationMs: number; offers: number };

export class ClusterEvents {
  private readonly emitter = new EventEmitter();
  private seq = 0;
  constructor() {
    this.emitter.setMaxListeners(1000);
  }
  emit(event: ClusterEvent): void {
    this.emitter.emit('event', { ...event, seq: ++this.seq, timestamp: Date.now() });
  }
  subscribe(fn: (event: ClusterEvent & { seq: number; timestamp: number }) => void): () => void {
    this.emitter.on('event', fn);
    return () => this.emitter.off('event', fn);
  }
}
