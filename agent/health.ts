/**
 * Health checks of running tasks, run by the agent (both containerizers). A task's health transitions travel
 * in its status updates (`healthy: true/false`), so frameworks can act on them.
 */
import type { TaskRunner } from './task-runner';

export interface HealthMonitor {
  /** Starts the task's health check, if it has one. */
  watch(runner: TaskRunner): void;
  unwatch(runner: TaskRunner): void;
  stopAll(): void;
}
