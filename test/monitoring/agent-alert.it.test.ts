/**
 * The shipped monitoring against a real cluster: a real Prometheus (Debian's) runs the shipped scrape
 * configuration and alerting rules — only the intervals shortened to 1 s and every rule's `for:` to 1 s, the
 * targets pointed at this cluster's master on its random port — and scrapes a real master (in this process)
 * and an agent that runs as its own process (so it can be stopped). SIGSTOP the agent: AgoraAgentUnreachable
 * (the master's view) and AgoraAgentScrapeFailing (Prometheus's own) fire for that agent; SIGCONT: both resolve.
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { eventually, startCluster, type TestCluster } from '../harness/cluster';
import { createToken } from '../harness/auth';
import { Processes, agentIdOf, removeAgentLeftovers, type Proc } from '../faults/processes';
import { DEPLOY_DIR, Prometheus, type AlertView } from './prometheus';

jest.setTimeout(120_000);

interface ScrapeConfig {
  job_name: string;
  scrape_timeout?: string;
  static_configs?: { targets: string[] }[];
  http_sd_configs?: { url: string; refresh_interval?: string }[];
}
interface RuleGroups {
  groups: { name: string; rules: { alert?: string; for?: string }[] }[];
}

/** The shipped prometheus.yml, pointed at `masterUrl`, scraping and evaluating every second. */
function testConfig(masterUrl: string): string {
  const config = parse(readFileSync(join(DEPLOY_DIR, 'prometheus.yml'), 'utf8')) as {
    global: Record<string, string>;
    scrape_configs: ScrapeConfig[];
  };
  const master = new URL(masterUrl);
  config.global = { scrape_interval: '1s', evaluation_interval: '1s', scrape_timeout: '1s' };
  for (const job of config.scrape_configs) {
    delete job.scrape_timeout;
    for (const s of job.static_configs ?? []) s.targets = s.targets.map(() => master.host);
    for (const sd of job.http_sd_configs ?? []) {
      sd.url = new URL(new URL(sd.url).pathname, master).href;
      sd.refresh_interval = '1s';
    }
  }
  return stringify(config);
}

/** The shipped rules with every `for:` shortened to 1 s. */
function testRules(): string {
  const rules = parse(readFileSync(join(DEPLOY_DIR, 'agora-rules.yml'), 'utf8')) as RuleGroups;
  for (const g of rules.groups) for (const r of g.rules) if (r.for !== undefined) r.for = '1s';
  return stringify(rules);
}

let cluster: TestCluster;
let prometheus: Prometheus | undefined;
const procs = new Processes();
let agent: Proc;
let agentId = '';

beforeAll(async () => {
  cluster = await startCluster({
    agents: [],
    master: { agentPingTimeoutMs: 500, maxAgentPingTimeouts: 3, agentRemovalTimeoutMs: 600_000 },
  });
  agent = procs.agent(cluster.natsUrl, join(cluster.dir, 'agent'), [
    '--hostname',
    '127.0.0.1',
    '--http-port',
    '0',
    '--containerizers',
    'native',
  ]);
  agentId = await agentIdOf(agent);
  const dir = join(cluster.dir, 'prometheus');
  mkdirSync(dir);
  // The shipped config reads a viewer token from agora-metrics.token beside it, as docs/monitoring.md says.
  const { secret } = await createToken(cluster.masterHttpUrl, cluster.token, 'prometheus', 'viewer');
  prometheus = await Prometheus.start(dir, testConfig(cluster.masterHttpUrl), {
    'agora-rules.yml': testRules(),
    'agora-metrics.token': secret,
  });
}, 90_000);

afterAll(async () => {
  await prometheus?.stop();
  await procs.killAll();
  if (agentId) await removeAgentLeftovers(agentId);
  const dir = cluster?.dir;
  await cluster?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

const agentAlerts = async (): Promise<AlertView[]> =>
  (await prometheus!.alerts()).filter((a) => a.labels.alertname.startsWith('AgoraAgent'));
const firing = async (name: string) =>
  (await agentAlerts()).find((a) => a.labels.alertname === name && a.state === 'firing' && a.labels.agent === agentId);

it('fires AgoraAgentUnreachable when the agent is stopped (SIGSTOP) and resolves it when it continues (SIGCONT)', async () => {
  const p = prometheus!;
  // Discovered through the master's /api/v1/sd/agents and scraped; the master and frameworks jobs answer too.
  await eventually(
    async () => (await p.query('up{job="agora-agents"} == 1')).some((r) => r.metric.agent === agentId),
    'Prometheus scrapes the agent',
    30_000,
    250,
  );
  await eventually(
    async () => (await p.query('up{job=~"agora-master|agora-frameworks"} == 1')).length === 2,
    'Prometheus scrapes the master and frameworks endpoints',
    30_000,
    250,
  );
  await eventually(
    async () => (await p.query(`agora_agent_reachable{agent="${agentId}"} == 1`)).length === 1,
    'the master reports the agent reachable',
    30_000,
    250,
  );
  // A loaded machine may miss a ping or a 1 s scrape now and then: start from a quiet moment, not an assumption.
  await eventually(async () => (await agentAlerts()).length === 0, 'no agent alert before the stop', 30_000, 250);

  agent.signal('SIGSTOP');
  const unreachable = await eventually(
    () => firing('AgoraAgentUnreachable'),
    'AgoraAgentUnreachable firing',
    60_000,
    250,
  );
  expect(unreachable.labels).toMatchObject({
    agent: agentId,
    hostname: '127.0.0.1',
    job: 'agora-master',
    severity: 'critical',
  });
  expect(unreachable.annotations).toEqual({
    summary: `Agent 127.0.0.1 (${agentId}) is unreachable`,
    runbook: 'docs/monitoring.md#agoraagentunreachable',
  });
  const scrape = await eventually(
    () => firing('AgoraAgentScrapeFailing'),
    'AgoraAgentScrapeFailing firing',
    60_000,
    250,
  );
  expect(scrape.labels).toMatchObject({ agent: agentId, job: 'agora-agents', severity: 'warning' });

  agent.signal('SIGCONT');
  await eventually(async () => (await agentAlerts()).length === 0, 'both agent alerts resolved', 60_000, 250);
  expect((await p.query(`agora_agent_reachable{agent="${agentId}"}`)).map((r) => r.value[1])).toEqual(['1']);
});
