/**
 * Prometheus's side of the master (docs/monitoring.md):
 *   GET /metrics             the master's metrics (master/metrics.ts), and the process's memory (RSS, heap)
 *   GET /metrics/frameworks  the service and cron frameworks' metrics, asked over NATS at scrape time
 *   GET /api/v1/sd/agents    the agents' /metrics endpoints in Prometheus's HTTP service discovery format
 *                            (`http_sd_configs`): `[{ targets: ['host:port'], labels: { agent, hostname } }]`
 */
import type { FastifyInstance } from 'fastify';
import { Gauge, type Registry } from 'prom-client';
import type { Master } from '../master';
import { frameworkMetricsText } from '../framework-metrics';
import { createMasterMetrics } from '../metrics';

export interface SdTargetGroup {
  targets: string[];
  labels: Record<string, string>;
}

export function registerMetricsRoutes(app: FastifyInstance, m: Master): void {
  const metrics = createMasterMetrics(m);
  processGauges(metrics.registry);
  app.addHook('onClose', async () => metrics.stop());
  app.get('/metrics', async (_req, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
  app.get('/metrics/frameworks', async (_req, reply) => {
    const { text, contentType } = await frameworkMetricsText(m);
    return reply.type(contentType).send(text);
  });
  app.get('/api/v1/sd/agents', async () => agentTargets(m));
}

/**
 * The process's memory (bench:scale and capacity planning read them). Not prom-client's collectDefaultMetrics:
 * some of its names (nodejs_active_handles_total, a gauge) fail promtool's lint.
 */
function processGauges(registry: Registry): void {
  const memory = (name: string, help: string, pick: (m: NodeJS.MemoryUsage) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(pick(process.memoryUsage()));
      },
    });
  memory('process_resident_memory_bytes', 'Resident memory of the master process', (m) => m.rss);
  memory('nodejs_heap_size_used_bytes', 'V8 heap in use', (m) => m.heapUsed);
  memory('nodejs_heap_size_total_bytes', 'V8 heap reserved', (m) => m.heapTotal);
  memory('nodejs_external_memory_bytes', 'Memory held outside the V8 heap (buffers)', (m) => m.external);
}

/** Every agent the master knows (not removed) that advertises an HTTP endpoint; an unreachable one stays listed, so its scrape fails. */
export function agentTargets(m: Master): SdTargetGroup[] {
  const groups: SdTargetGroup[] = [];
  for (const a of m.state.agents.values()) {
    if (a.state === 'REMOVED' || !a.info.httpUrl) continue;
    const url = new URL(a.info.httpUrl);
    groups.push({
      targets: [url.host],
      labels: { agent: a.info.id, hostname: a.info.hostname, __scheme__: url.protocol.replace(':', '') },
    });
  }
  return groups;
}
