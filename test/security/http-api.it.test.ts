/**
 * Attacks on the master's HTTP API, against a real cluster (nats-server, master, agent, a framework with a
 * running task): no token, a viewer draining, a revoked token, a wrong or malformed token, an operator doing an
 * admin's job. Each asserts the refusal (status, error, the permission named) *and* that nothing changed.
 * Also: /health and the page's files stay open; anonymous viewer access and anonymous metrics only when granted.
 */
import type { FastifyInstance } from 'fastify';
import { startHttp } from '../../master/http/server';
import { createToken, withToken } from '../harness/auth';
import { eventually, startCluster, type TestCluster } from '../harness/cluster';
import { QueueFramework } from '../harness/queue-framework';

jest.setTimeout(120_000);

let cluster: TestCluster;
let fw: QueueFramework;
let agentId: string;
let viewer: string;
let operator: string;
const json = { 'content-type': 'application/json' };

const call = async (method: string, path: string, token?: string, body?: unknown, base = cluster.masterHttpUrl) => {
  const init: RequestInit = {
    method,
    headers: body === undefined ? {} : json,
    body: body === undefined ? undefined : JSON.stringify(body),
  };
  const res = await fetch(`${base}${path}`, token === undefined ? init : withToken(token, init));
  const text = await res.text();
  return {
    status: res.status,
    body: (text.startsWith('{') || text.startsWith('[') ? JSON.parse(text) : text) as Record<string, any>,
  };
};
/** What an attack could have changed: the agent's state, the roles, the tokens, the running task. */
const snapshot = async () => {
  const [agent, roles, tokens, task] = await Promise.all([
    call('GET', `/api/v1/agents/${agentId}`, cluster.token),
    call('GET', '/api/v1/roles', cluster.token),
    call('GET', '/api/v1/tokens', cluster.token),
    call('GET', '/api/v1/tasks/sleeper', cluster.token),
  ]);
  return {
    agent: agent.body.state,
    roles: roles.body.roles.map((r: { role: string; weight: number }) => [r.role, r.weight]),
    tokens: tokens.body.tokens.map((t: { name: string }) => t.name),
    task: task.body.state,
  };
};

beforeAll(async () => {
  cluster = await startCluster();
  agentId = cluster.agents[0].agent.id;
  fw = new QueueFramework(cluster.natsUrl, { name: 'attack-target' });
  await fw.driver.start();
  fw.add({ taskId: 'sleeper', resources: 'cpus:0.1;mem:32', command: 'echo secret-output; sleep 600' });
  await eventually(() => fw.latest.get('sleeper')?.state === 'TASK_RUNNING', 'the task to run');
  viewer = (await createToken(cluster.masterHttpUrl, cluster.token, 'dashboard', 'viewer')).secret;
  operator = (await createToken(cluster.masterHttpUrl, cluster.token, 'ci', 'operator')).secret;
}, 120_000);

afterAll(async () => {
  await fw?.driver.stop({ failover: false }).catch(() => undefined);
  await cluster?.stop();
});

it('keeps /health and the page open, and everything else closed to anonymous callers', async () => {
  expect((await call('GET', '/health')).status).toBe(200);
  expect((await call('GET', '/')).status).toBe(200);
  for (const path of ['/api/v1/state', '/api/v1/tasks', '/metrics', '/api/v1/events', '/api/v1/tokens']) {
    const r = await call('GET', path);
    expect([path, r.status, r.body.error]).toEqual([path, 401, 'unauthorized']);
  }
});

it('refuses a write route without a token and changes nothing', async () => {
  const before = await snapshot();
  const drain = await call('POST', `/api/v1/agents/${agentId}/drain`, undefined, { deadline: '0s' });
  expect(drain).toEqual({
    status: 401,
    body: {
      error: 'unauthorized',
      permission: 'agent:drain',
      message: expect.stringMatching(/permission 'agent:drain' required/),
    },
  });
  expect((await call('POST', '/api/v1/tasks/sleeper/kill', undefined, {})).status).toBe(401);
  expect((await call('PUT', '/api/v1/roles/pwned', undefined, { weight: 9 })).status).toBe(401);
  expect((await call('POST', '/api/v1/tokens', undefined, { name: 'mine', role: 'admin' })).status).toBe(401);
  expect(await snapshot()).toEqual(before);
  expect(before).toMatchObject({ agent: 'ACTIVE', task: 'TASK_RUNNING' });
});

it('lets a viewer read but refuses its drain, kill, sandbox read, quota and token requests with 403, changing nothing', async () => {
  expect((await call('GET', '/api/v1/state', viewer)).status).toBe(200);
  expect((await call('GET', '/metrics', viewer)).status).toBe(200);
  expect((await call('GET', '/api/v1/auth/self', viewer)).body).toEqual({
    anonymous: false,
    accessor: expect.any(String),
    name: 'dashboard',
    role: 'viewer',
    permissions: ['cluster:read', 'metrics:read'],
  });
  const before = await snapshot();
  const drain = await call('POST', `/api/v1/agents/${agentId}/drain`, viewer, { deadline: '0s' });
  expect(drain).toEqual({
    status: 403,
    body: {
      error: 'forbidden',
      permission: 'agent:drain',
      message: "token 'dashboard' (viewer) lacks permission 'agent:drain' (needs operator)",
    },
  });
  expect((await call('POST', '/api/v1/tasks/sleeper/kill', viewer, {})).body.permission).toBe('task:kill');
  const read = await call('GET', '/api/v1/tasks/sleeper/files/read?path=stdout', viewer);
  expect([read.status, read.body.permission]).toEqual([403, 'sandbox:read']);
  expect(JSON.stringify(read.body)).not.toContain('secret-output');
  expect((await call('PUT', '/api/v1/roles/pwned', viewer, { weight: 9 })).status).toBe(403);
  expect((await call('POST', '/api/v1/tokens', viewer, { name: 'mine', role: 'admin' })).status).toBe(403);
  expect(await snapshot()).toEqual(before);
});

it("refuses an operator an admin's requests (quota, tokens) but lets it drain and read sandboxes", async () => {
  const before = await snapshot();
  const quota = await call('PUT', '/api/v1/roles/pwned', operator, { weight: 9 });
  expect([quota.status, quota.body.permission]).toEqual([403, 'role:write']);
  expect((await call('POST', '/api/v1/tokens', operator, { name: 'escalate', role: 'admin' })).body.permission).toBe(
    'token:manage',
  );
  expect((await call('DELETE', '/api/v1/tokens/dashboard', operator)).status).toBe(403);
  expect(await snapshot()).toEqual(before);
  expect((await call('GET', '/api/v1/tasks/sleeper/files/read?path=stdout', operator)).body.data).toContain(
    'secret-output',
  );
  expect((await call('POST', `/api/v1/agents/${agentId}/drain`, operator, { deadline: '10m' })).status).toBe(200);
  expect((await call('POST', `/api/v1/agents/${agentId}/undrain`, operator, {})).status).toBe(200);
  expect((await snapshot()).agent).toBe('ACTIVE');
});

it('refuses a revoked token from the next request on, changing nothing', async () => {
  const { secret } = await createToken(cluster.masterHttpUrl, cluster.token, 'leaked', 'operator');
  expect((await call('GET', '/api/v1/state', secret)).status).toBe(200);
  expect((await call('DELETE', '/api/v1/tokens/leaked', cluster.token)).body.revoked).toMatchObject({
    name: 'leaked',
    role: 'operator',
  });
  const before = await snapshot();
  const drain = await call('POST', `/api/v1/agents/${agentId}/drain`, secret, { deadline: '0s' });
  expect(drain.status).toBe(401);
  expect(drain.body).toMatchObject({
    error: 'unauthorized',
    permission: 'agent:drain',
    message: expect.stringMatching(/unknown or revoked/),
  });
  expect((await call('GET', '/api/v1/state', secret)).status).toBe(401);
  expect(await snapshot()).toEqual(before);
});

it('refuses a wrong or malformed token, changing nothing', async () => {
  const before = await snapshot();
  for (const header of [
    `Bearer ${cluster.token}x`,
    `Bearer agora_${'A'.repeat(43)}`,
    `Basic ${Buffer.from('admin:admin').toString('base64')}`,
    cluster.token,
    'Bearer',
  ]) {
    const res = await fetch(`${cluster.masterHttpUrl}/api/v1/agents/${agentId}/drain`, {
      method: 'POST',
      headers: { ...json, authorization: header },
      body: '{"deadline":"0s"}',
    });
    expect([header.slice(0, 12), res.status]).toEqual([header.slice(0, 12), 401]);
  }
  expect((await call('POST', '/api/v1/tasks/sleeper/kill', 'not-a-token', {})).status).toBe(401);
  expect(await snapshot()).toEqual(before);
});

describe('when the operator grants anonymous access', () => {
  let open: FastifyInstance;
  let base: string;
  beforeAll(async () => {
    // A second HTTP front on the same master, started as `agora master --anonymous viewer --metrics-anonymous` would.
    open = await startHttp(cluster.master.master, {
      host: '127.0.0.1',
      port: 0,
      anonymousRole: 'viewer',
      metricsAnonymous: true,
    });
    base = `http://127.0.0.1:${(open.server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await open?.close();
  });

  it('anonymous reads as a viewer, and still may not drain or read sandboxes', async () => {
    expect((await call('GET', '/api/v1/state', undefined, undefined, base)).status).toBe(200);
    expect((await call('GET', '/metrics', undefined, undefined, base)).status).toBe(200);
    expect((await call('GET', '/api/v1/auth/self', undefined, undefined, base)).body).toEqual({
      anonymous: true,
      name: 'anonymous',
      role: 'viewer',
      permissions: ['cluster:read', 'metrics:read'],
    });
    const before = await snapshot();
    expect((await call('POST', `/api/v1/agents/${agentId}/drain`, undefined, { deadline: '0s' }, base)).status).toBe(
      401,
    );
    expect((await call('GET', '/api/v1/tasks/sleeper/files/read', undefined, undefined, base)).status).toBe(401);
    expect(await snapshot()).toEqual(before);
  });
});
