/**
 * The operator API against a real cluster (nats-server, master, agent with an HTTP port, a framework with
 * tasks): every read endpoint, the event stream, the summary and utilization, /metrics (master and agent),
 * the page's assets, and every 400 and 404.
 */
import { eventually, startCluster, type TestCluster } from '../../test/harness/cluster';
import { QueueFramework } from '../../test/harness/queue-framework';

jest.setTimeout(180_000);

let cluster: TestCluster;
let fw: QueueFramework;
let agentId: string;
const url = (p: string) => `${cluster.masterHttpUrl}${p}`;
const getJson = async (p: string, init?: RequestInit) => {
  const res = await cluster.fetch(url(p), init);
  return { status: res.status, body: (await res.json()) as Record<string, any> };
};

beforeAll(async () => {
  cluster = await startCluster({ agents: [{ httpPort: 0, usageIntervalMs: 300 }] });
  agentId = cluster.agents[0].agent.id;
  fw = new QueueFramework(cluster.natsUrl, { name: 'api-test' });
  await fw.driver.start();
  fw.add({ taskId: 'sleeper', name: 'sleeper', resources: 'cpus:0.2;mem:32', command: 'echo started; sleep 600' });
  fw.add({ taskId: 'done', name: 'done', resources: 'cpus:0.1;mem:32', command: 'echo finished-line' });
  await eventually(
    () => fw.latest.get('sleeper')?.state === 'TASK_RUNNING' && fw.latest.get('done')?.state === 'TASK_FINISHED',
    'tasks up',
  );
}, 180_000);

afterAll(async () => {
  await fw?.driver.stop({ failover: false }).catch(() => undefined);
  await cluster?.stop();
});

describe('reads', () => {
  it('serves health, state, agents, frameworks, roles', async () => {
    expect((await getJson('/health')).body.status).toBe('ok');
    const state = (await getJson('/api/v1/state')).body;
    expect(state.agents.map((a: { id: string }) => a.id)).toEqual([agentId]);
    const agents = (await getJson('/api/v1/agents')).body.agents;
    expect(agents[0]).toMatchObject({ id: agentId, state: 'ACTIVE', hostname: 'agent-0' });
    expect(agents[0].httpUrl).toMatch(/^http:\/\/agent-0:\d+$/);
    const agent = (await getJson(`/api/v1/agents/${agentId}`)).body;
    expect(agent.tasks.map((t: { id: string }) => t.id)).toEqual(['sleeper']);
    const fwView = (await getJson(`/api/v1/frameworks/${fw.driver.frameworkId}`)).body;
    expect(fwView).toMatchObject({ name: 'api-test', connected: true, taskCount: 1 });
    expect((await getJson('/api/v1/frameworks')).body.frameworks).toHaveLength(1);
    expect((await getJson('/api/v1/roles')).body.roles.map((r: { role: string }) => r.role)).toContain('*');
  });

  it('lists tasks with filters, sorting and paging', async () => {
    const all = (await getJson('/api/v1/tasks')).body;
    expect(all.total).toBe(2);
    expect((await getJson('/api/v1/tasks?state=running')).body.tasks.map((t: { id: string }) => t.id)).toEqual([
      'sleeper',
    ]);
    expect((await getJson('/api/v1/tasks?state=TASK_FINISHED')).body.tasks.map((t: { id: string }) => t.id)).toEqual([
      'done',
    ]);
    expect(
      (await getJson(`/api/v1/tasks?framework=${fw.driver.frameworkId}&agent=${agentId}&name=slee`)).body.total,
    ).toBe(1);
    expect((await getJson('/api/v1/tasks?framework=nobody')).body.total).toBe(0);
    expect((await getJson('/api/v1/tasks?sort=name&order=asc')).body.tasks.map((t: { id: string }) => t.id)).toEqual([
      'done',
      'sleeper',
    ]);
    expect((await getJson('/api/v1/tasks?sort=name&order=desc')).body.tasks.map((t: { id: string }) => t.id)).toEqual([
      'sleeper',
      'done',
    ]);
    const page2 = (await getJson('/api/v1/tasks?sort=id&limit=1&offset=1')).body;
    expect(page2).toMatchObject({ total: 2, limit: 1, offset: 1 });
    expect(page2.tasks.map((t: { id: string }) => t.id)).toEqual(['sleeper']);
    const one = (await getJson('/api/v1/tasks/sleeper')).body;
    expect(one).toMatchObject({ id: 'sleeper', state: 'TASK_RUNNING', info: { taskId: 'sleeper' } });
    expect((await getJson(`/api/v1/tasks/done?framework=${fw.driver.frameworkId}`)).body.exitCode).toBe(0);
  });

  it('reads a task sandbox through the agent', async () => {
    const files = (await getJson('/api/v1/tasks/done/files')).body.files.map((f: { path: string }) => f.path);
    expect(files).toEqual(expect.arrayContaining(['stdout', 'stderr']));
    expect((await getJson('/api/v1/tasks/done/files/read?path=stdout')).body.data).toBe('finished-line\n');
    expect((await getJson('/api/v1/tasks/done/files/read?path=stdout&offset=-1&length=5')).body.data).toBe('line\n');
  });

  it('summarises the cluster and samples its utilization', async () => {
    const s = (await getJson('/api/v1/summary')).body;
    expect(s.agents).toEqual({ ACTIVE: 1, DRAINING: 0, DRAINED: 0, UNREACHABLE: 0 });
    expect(s.tasks).toMatchObject({ TASK_RUNNING: 1, TASK_FINISHED: 1 });
    expect(s.frameworks).toEqual({ total: 1, connected: 1 });
    expect(s.resources.total.cpus).toBe(4);
    expect(s.resources.used.cpus).toBeCloseTo(0.2);
    expect(s.allocation.cycles).toBeGreaterThan(0);
    const u = (await getJson('/api/v1/utilization')).body;
    expect(u.intervalMs).toBe(10_000);
    expect(u.samples.length).toBeGreaterThanOrEqual(1);
    expect(u.samples[0]).toEqual(expect.objectContaining({ t: expect.any(Number), cpus: expect.any(Array) }));
  });
});

describe('bad requests and unknown ids', () => {
  it.each([
    ['/api/v1/tasks?bogus=1', /unknown query parameter 'bogus'/],
    ['/api/v1/tasks?state=sleeping', /state: 'sleeping' is not a task state/],
    ['/api/v1/tasks?limit=-1', /limit/],
    ['/api/v1/tasks?limit=20000', /exceeds the maximum/],
    ['/api/v1/tasks?offset=x', /offset/],
    ['/api/v1/tasks?sort=colour', /sort: 'colour' is not a sort key/],
    ['/api/v1/tasks?order=up', /order: 'up' must be asc or desc/],
    ['/api/v1/tasks/done/files/read?offset=-2', /offset/],
    ['/api/v1/tasks/done/files/read?length=abc', /length/],
    ['/api/v1/tasks/done/files/read?path=../../etc/passwd', /outside the sandbox/],
    ['/api/v1/events?types=NOPE', /unknown event type NOPE/],
    ['/api/v1/events?since=1', /unknown query parameter 'since'/],
  ])('GET %s → 400', async (path, message) => {
    const { status, body } = await getJson(path);
    expect(status).toBe(400);
    expect(body.error).toBe('bad request');
    expect(body.message).toMatch(message);
  });

  it.each([
    '/api/v1/agents/no-such-agent',
    '/api/v1/frameworks/no-such-framework',
    '/api/v1/tasks/no-such-task',
    '/api/v1/tasks/no-such-task/files',
    '/api/v1/tasks/no-such-task/files/read',
    '/api/v1/tasks/done/files/read?path=nothing-here',
    '/api/v1/nothing',
    '/nothing.js',
  ])('GET %s → 404', async (path) => {
    const { status, body } = await getJson(path);
    expect(status).toBe(404);
    expect(body.error).toBe('not found');
  });

  it('refuses bad role updates', async () => {
    const put = (role: string, body: unknown) =>
      getJson(`/api/v1/roles/${role}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await put('Bad Role!', { weight: 2 })).status).toBe(400);
    expect((await put('eng', { weight: -1 })).status).toBe(400);
    expect((await put('eng', { guarantee: 'cpus:4', limit: 'cpus:2' })).body.message).toMatch(/exceeds limit/);
    expect((await put('eng', { weight: 3 })).body).toMatchObject({ role: 'eng', weight: 3 });
  });
});

describe('event stream', () => {
  it('sends hello, then cluster events as they happen, and replays after Last-Event-ID', async () => {
    const ctrl = new AbortController();
    const res = await cluster.fetch(url('/api/v1/events?types=TASK_UPDATED'), { signal: ctrl.signal });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = res.body!.getReader();
    let text = '';
    const until = async (re: RegExp) => {
      while (!re.test(text)) text += new TextDecoder().decode((await reader.read()).value);
      return text;
    };
    await until(/event: hello\ndata: \{"masterId":"master-/);
    fw.add({ taskId: 'evented', resources: 'cpus:0.1;mem:32', command: 'true' });
    await until(/event: TASK_UPDATED\ndata: [^\n]*"id":"evented"[^\n]*"state":"TASK_FINISHED"/);
    expect(text).not.toMatch(/event: OFFERS_MADE/);
    ctrl.abort();
    const firstId = Number(/id: (\d+)\nevent: TASK_UPDATED/.exec(text)![1]);
    const replay = new AbortController();
    const again = await cluster.fetch(url('/api/v1/events?types=TASK_UPDATED'), {
      signal: replay.signal,
      headers: { 'last-event-id': String(firstId - 1) },
    });
    const r2 = again.body!.getReader();
    let t2 = '';
    while (!/"id":"evented"[^\n]*TASK_FINISHED/.test(t2)) t2 += new TextDecoder().decode((await r2.read()).value);
    expect(t2).toContain(`id: ${firstId}\n`);
    replay.abort();
  });
});

describe('metrics and the page', () => {
  it('exposes the master metrics in Prometheus text', async () => {
    const res = await cluster.fetch(url('/metrics'));
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/agora_agents\{state="ACTIVE",master="master-[0-9a-f]+"\} 1/);
    expect(text).toMatch(/agora_tasks\{state="TASK_RUNNING"[^}]*\} 1/);
    expect(text).toMatch(/agora_frameworks\{connected="true"[^}]*\} 1/);
    expect(text).toMatch(/agora_offers_made_total\{[^}]*\} [1-9]/);
    expect(text).toMatch(/agora_offers_declined_total/);
    expect(text).toMatch(/agora_offers_rescinded_total/);
    expect(text).toMatch(/agora_allocation_cycle_seconds_count\{[^}]*\} [1-9]/);
    expect(text).toMatch(/agora_status_update_latency_seconds_count\{[^}]*\} [1-9]/);
    expect(text).toMatch(/agora_nats_reconnects_total\{[^}]*\} 0/);
    expect(text).toMatch(/agora_resources_capacity\{resource="cpus"[^}]*\} 4/);
    expect(text).toMatch(/agora_resources_used\{resource="cpus",role="\*"[^}]*\} 0.2/);
  });

  it('exposes the agent metrics on its own port', async () => {
    const port = new URL(cluster.agents[0].agent.info.httpUrl!).port;
    await eventually(
      async () =>
        /agora_agent_task_memory_bytes\{[^}]*task="sleeper"/.test(
          await (await fetch(`http://127.0.0.1:${port}/metrics`)).text(),
        ),
      'usage sampled',
    );
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(text).toMatch(/agora_agent_containers\{containerizer="native"[^}]*\} 1/);
    expect(text).toMatch(/agora_agent_launches_total\{[^}]*\} [2-9]/);
    expect(text).toMatch(/agora_agent_launch_duration_seconds_bucket\{le="0.5"/);
    expect(text).toMatch(/agora_agent_task_cpu_seconds_total\{framework="[^"]+",task="sleeper"/);
    expect((await fetch(`http://127.0.0.1:${port}/nothing`)).status).toBe(404);
  });

  it('serves the status page and its assets locally', async () => {
    const html = await (await cluster.fetch(url('/'))).text();
    expect(html).toContain('<script src="/app.js"');
    expect(html).not.toMatch(/https?:\/\//);
    const js = await cluster.fetch(url('/app.js'));
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    expect((await js.text()).length).toBeGreaterThan(5000);
    expect((await cluster.fetch(url('/style.css'))).headers.get('content-type')).toMatch(/css/);
    expect((await cluster.fetch(url('/favicon.svg'))).headers.get('content-type')).toMatch(/svg/);
  });
});
