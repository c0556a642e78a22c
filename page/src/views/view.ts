/** A page view: its element, how to reload its data, and which live events should make it reload. */
import type { ClusterEvent } from '../types';

export interface View {
  el: HTMLElement;
  title: string;
  refresh(): Promise<void>;
  /** Whether an event should refresh this view (default: any event but offers). */
  wants?(e: ClusterEvent): boolean;
  dispose?(): void;
}
