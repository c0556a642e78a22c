/**
 * The agent's own `/metrics` (Prometheus text, prom-client), served when `httpPort` is set (`--http-port`):
 * containers by containerizer, launches and launch failures, a histogram of launch durations, and each running
 * task's cpu time, memory and limits from its latest usage sample. Names follow Prometheus's conventions (base
 * units in the name, `_total` only on counters) and pass `promtool check metrics`.
 * Its address is advertised in the agent's registration (`AgentInfo.httpUrl`), so the master's page links it.
 */
import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Agent } from './agent';

export interface AgentHttp {
  url: string;
  server: Server;
  close(): Promise<void>;
}

export function agentMetrics(agent: Agent): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ agent: agent.id });
  const runners = () => [...agent.runners.values()].filter((r) => r.endedAt === undefined);
  new Gauge({
    name: 'agora_agent_containers',
    help: 'Running containers by containerizer',
    labelNames: ['containerizer'],
    registers: [registry],
    collect() {
      const counts = new Map<string, number>([
        ['native', 0],
        ['docker', 0],
      ]);
      for (const r of runners()) {
        const k = r.info.container.type === 'DOCKER' ? 'docker' : 'native';
        counts.set(k, (counts.get(k) ?? 0) + 1);
      }
      for (const [containerizer, n] of counts) this.set({ containerizer }, n);
    },
  });
  new Counter({
    name: 'agora_agent_launches_total',
    help: 'Task launches started',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(agent.metrics.launches);
    },
  });
  new Counter({
    name: 'agora_agent_launch_failures_total',
    help: 'Task launches that failed',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(agent.metrics.launchFailures);
    },
  });
  const launchDuration = new Histogram({
    name: 'agora_agent_launch_duration_seconds',
    help: 'From accepting a launch to the task running (containerizer launch)',
    registers: [registry],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  });
  agent.metrics.onLaunched = (ms) => launchDuration.observe(ms / 1000);
  type Sample = NonNullable<ReturnType<typeof runners>[number]['lastUsage']>;
  const eachTask = (
    pick: (u: Sample) => number | undefined,
    put: (labels: { framework: string; task: string }, v: number) => void,
  ) => {
    for (const r of runners()) {
      const v = r.lastUsage ? pick(r.lastUsage) : undefined;
      if (v !== undefined) put({ framework: r.frameworkId, task: r.taskId }, v);
    }
  };
  const perTask = (name: string, help: string, pick: (u: Sample) => number | undefined) =>
    new Gauge({
      name,
      help,
      labelNames: ['framework', 'task'],
      registers: [registry],
      collect() {
        this.reset();
        eachTask(pick, (l, v) => this.set(l, v));
      },
    });
  // Cumulative CPU time is a counter (it only grows while the task lives); a new task starts a new series.
  new Counter({
    name: 'agora_agent_task_cpu_seconds_total',
    help: 'CPU time (user + system) used by the task',
    labelNames: ['framework', 'task'],
    registers: [registry],
    collect() {
      this.reset();
      eachTask(
        (u) => u.cpuUserSeconds + u.cpuSystemSeconds,
        (l, v) => this.inc(l, v),
      );
    },
  });
  perTask('agora_agent_task_memory_bytes', 'Memory used by the task', (u) => u.memBytes);
  perTask('agora_agent_task_memory_peak_bytes', 'Peak memory of the task', (u) => u.memPeakBytes);
  perTask('agora_agent_task_memory_limit_bytes', 'Memory limit of the task', (u) => u.memLimitBytes);
  perTask('agora_agent_task_limit_cpus', 'CPU limit of the task, in cpus', (u) => u.cpusLimit);
  return registry;
}

/**
 * Starts the metrics server (port 0 = any free port) and advertises it; call before `agent.start()` so the
 * registration carries the URL. The server closes when the agent stops.
 */
export async function startAgentHttp(agent: Agent, port: number, host = '0.0.0.0'): Promise<AgentHttp> {
  const registry = agentMetrics(agent);
  const server = createServer((req, res) => {
    if (req.method === 'GET' && (req.url === '/metrics' || req.url?.startsWith('/metrics?'))) {
      registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': registry.contentType });
          res.end(text);
        },
        (err: Error) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(err.message);
        },
      );
    } else if (req.method === 'GET' && req.url === '/health') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'ok', agentId: agent.id }));
    } else {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'not found', message: `no route ${req.method} ${req.url}` }));
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address();
  const actual = typeof addr === 'object' && addr ? addr.port : port;
  const url = `http://${host === '0.0.0.0' ? agent.info.hostname : host}:${actual}`;
  agent.info.httpUrl = url;
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  // The agent's stop also ends this server (the agent knows nothing of HTTP; this wraps its stop once).
  const stopAgent = agent.stop.bind(agent);
  agent.stop = async (opts) => {
    await close();
    return stopAgent(opts);
  };
  return { url, server, close };
}
