/**
 * The agent's own `/metrics` (Prometheus text, prom-client), served when `httpPort` is set (`--http-port`):
 * containers by containerizer, launches and launch failures, launch latency quantiles over the recent
 * launches, and each running task's cpu time, memory and limits from its latest usage sample.
 * Its address is advertised in the agent's registration (`AgentInfo.httpUrl`), so the master's page links it.
 */
import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Registry } from 'prom-client';
import type { Agent } from './agent';

export interface AgentHttp { url: string; server: Server; close(): Promise<void> }

export function agentMetrics(agent: Agent): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ agent: agent.id });
  const runners = () => [...agent.runners.values()].filter((r) => r.endedAt === undefined);
  new Gauge({
    name: 'agora_agent_containers', help: 'Running containers by containerizer', labelNames: ['containerizer'], registers: [registry],
    collect() {
      const counts = new Map<string, number>([['native', 0], ['docker', 0]]);
      for (const r of runners()) { const k = r.info.container.type === 'DOCKER' ? 'docker' : 'native'; counts.set(k, (counts.get(k) ?? 0) + 1); }
      for (const [containerizer, n] of counts) this.set({ containerizer }, n);
    },
  });
  new Counter({ name: 'agora_agent_launches_total', help: 'Task launches started', registers: [registry], collect() { this.reset(); this.inc(agent.metrics.launches); } });
  new Counter({ name: 'agora_agent_launch_failures_total', help: 'Task launches that failed', registers: [registry], collect() { this.reset(); this.inc(agent.metrics.launchFailures); } });
  new Gauge({
    name: 'agora_agent_launch_latency_seconds', help: 'Launch latency quantiles over the last 1000 launches', labelNames: ['quantile'], registers: [registry],
    collect() {
      const sorted = [...agent.metrics.launchLatencyMs].sort((a, b) => a - b);
      this.reset();
      if (sorted.length === 0) return;
      for (const q of [0.5, 0.9, 0.99, 1]) this.set({ quantile: String(q) }, sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] / 1000);
    },
  });
  const perTask = (name: string, help: string, pick: (u: NonNullable<ReturnType<typeof runners>[number]['lastUsage']>) => number | undefined) => new Gauge({
    name, help, labelNames: ['framework', 'task'], registers: [registry],
    collect() {
      this.reset();
      for (const r of runners()) {
        const v = r.lastUsage ? pick(r.lastUsage) : undefined;
        if (v !== undefined) this.set({ framework: r.frameworkId, task: r.taskId }, v);
      }
    },
  });
  perTask('agora_agent_task_cpu_seconds', 'CPU time (user + system) used by the task', (u) => u.cpuUserSeconds + u.cpuSystemSeconds);
  perTask('agora_agent_task_memory_bytes', 'Memory used by the task', (u) => u.memBytes);
  perTask('agora_agent_task_memory_peak_bytes', 'Peak memory of the task', (u) => u.memPeakBytes);
  perTask('agora_agent_task_memory_limit_bytes', 'Memory limit of the task', (u) => u.memLimitBytes);
  perTask('agora_agent_task_cpus_limit', 'CPU limit of the task (cpus)', (u) => u.cpusLimit);
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
      registry.metrics().then((text) => { res.writeHead(200, { 'content-type': registry.contentType }); res.end(text); },
        (err: Error) => { res.writeHead(500, { 'content-type': 'text/plain' }); res.end(err.message); });
    } else if (req.method === 'GET' && req.url === '/health') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'ok', agentId: agent.id }));
    } else {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'not found', message: `no route ${req.method} ${req.url}` }));
    }
  });
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(port, host, () => resolve()); });
  const addr = server.address();
  const actual = typeof addr === 'object' && addr ? addr.port : port;
  const url = `http://${host === '0.0.0.0' ? agent.info.hostname : host}:${actual}`;
  agent.info.httpUrl = url;
  const close = () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); });
  // The agent's stop also ends this server (the agent knows nothing of HTTP; this wraps its stop once).
  const stopAgent = agent.stop.bind(agent);
  agent.stop = async (opts) => { await close(); return stopAgent(opts); };
  return { url, server, close };
}
