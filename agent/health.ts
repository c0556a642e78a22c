/**
 * Health checks of running tasks, run by the agent for both containerizers (isolation's HealthChecker with
 * the COMMAND/HTTP/TCP probe the task asks for). Transitions travel in the task's status updates
 * (`healthy: true/false`) so frameworks can act on them.
 */
import { systemClock, type Clock, type Logger } from '../sdk';
import { HealthChecker, probeFor } from '../isolation';
import type { TaskRunner } from './task-runner';

export interface HealthMonitor {
  /** Starts the task's health check, if it has one. */
  watch(runner: TaskRunner): void;
  unwatch(runner: TaskRunner): void;
  stopAll(): void;
}

export class AgentHealthMonitor implements HealthMonitor {
  private readonly checkers = new Map<TaskRunner, HealthChecker>();
  constructor(
    private readonly log: Logger,
    private readonly clock: Clock = systemClock,
  ) {}

  watch(runner: TaskRunner): void {
    const check = runner.info.healthCheck;
    if (!check || !runner.container || this.checkers.has(runner)) return;
    let probe;
    try {
      probe = probeFor(check, { container: runner.container, hostPorts: runner.ports });
    } catch (e) {
      runner.setHealth(false, `health check cannot run: ${(e as Error).message}`);
      return;
    }
    const checker = new HealthChecker({
      check,
      probe,
      clock: this.clock,
      startedAt: runner.startedAt,
      onChange: (healthy, snap) => {
        this.log.info({ taskId: runner.taskId, healthy, message: snap.lastMessage }, 'task health changed');
        runner.setHealth(healthy, snap.lastMessage);
      },
      onError: (err) =>
        this.log.error(
          { taskId: runner.taskId, err: (err as Error).message },
          'health check stopped: reporting a change failed',
        ),
    });
    this.checkers.set(runner, checker);
    checker.start();
  }

  unwatch(runner: TaskRunner): void {
    this.checkers.get(runner)?.stop();
    this.checkers.delete(runner);
  }

  stopAll(): void {
    for (const c of this.checkers.values()) c.stop();
    this.checkers.clear();
  }
}
