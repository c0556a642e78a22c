/**
 * Puts N task records straight into a running master's state, as if launched (every tenth one STAGING, the rest
 * RUNNING), so the API and the status page can be exercised at scale without N processes. Used by the page test
 * and by `npm run bench:page`; `removeBulkTasks` takes them out again before the cluster stops.
 */
import { Resources, type AgentId, type FrameworkId, type TaskId, type TaskState } from 'agora/sdk';
import type { Master } from '../../master/master';
import { taskKey, type TaskRecord } from '../../master/state';

export const BULK_FRAMEWORK = 'bulk-framework' as FrameworkId;

export function addBulkTasks(m: Master, n: number): void {
  const agentId = [...m.state.agents.keys()][0] as AgentId;
  const resources = Resources.parse('cpus:0.01;mem:1');
  const now = Date.now();
  const width = String(n).length;
  for (let i = 0; i < n; i++) {
    const state: TaskState = i % 10 === 0 ? 'TASK_STAGING' : 'TASK_RUNNING';
    const taskId = `bulk-${String(i).padStart(width, '0')}`;
    const t: TaskRecord = {
      key: taskKey(BULK_FRAMEWORK, taskId),
      frameworkId: BULK_FRAMEWORK,
      agentId,
      role: '*',
      resources,
      state,
      holdsResources: false,
      info: {
        taskId: taskId as TaskId,
        name: `worker-${i % 250}`,
        agentId,
        resources: resources.toWire(),
        command: { value: 'sleep 1000', shell: true, env: {} },
        container: { type: 'NATIVE' },
        labels: {},
      },
      createdAt: now - (n - i) * 1000,
      updatedAt: now - (n - i) * 500,
      statuses: [{ state, timestamp: now - (n - i) * 500 }],
    };
    m.state.addTask(t);
  }
}

export function removeBulkTasks(m: Master | undefined): void {
  for (const t of [...(m?.state.tasks.values() ?? [])]) if (t.frameworkId === BULK_FRAMEWORK) m!.state.complete(t);
}
