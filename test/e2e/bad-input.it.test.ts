/**
 * Bad input on every subject the master and agent listen on: each is refused with a clear error naming the
 * problem (or field), nothing crashes, and the cluster's state is unchanged.
 */
import { jetstream } from '@nats-io/jetstream';
import {
  ApiError, Resources, SchedulerDriver, connectNats, encode, request, subjects, type NatsConnection, type Offer, type TaskStatus,
} from 'agora/sdk';
import { eventually, startCluster, type TestCluster } from '../harness/cluster';

async function refusal(nc: NatsConnection, subject: string, body: Uint8Array | unknown): Promise<ApiError> {
  try {
    if (body instanceof Uint8Array) {
      const msg = await nc.request(subject, body, { timeout: 3000 });
      const { decode } = await import('agora/sdk');
      const r = decode(msg.data) as { ok: boolean; error: { code: string; message: string; field?: string } };
      if (r.ok) throw new Error(`expected a refusal on ${subject}, got ok`);
      return new ApiError(r.error.code as never, r.error.message, r.error.field, { issues: (r.error as { issues?: { field: string; message: string }[] }).issues });
    }
    await request(nc, subject, body);
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error(`expected a refusal on ${subject}`);
}

describe('bad input is refused clearly and changes nothing', () => {
  let cluster: TestCluster;
  let nc: NatsConnection;
  let driver: SchedulerDriver;
  const offers: Offer[] = [];
  const updates: TaskStatus[] = [];

  beforeAll(async () => {
    cluster = await startCluster({ master: { maxMessageBytes: 256 * 1024 } });
    nc = await connectNats({ servers: cluster.natsUrl, name: 'bad-input-test' });
    driver = new SchedulerDriver({
      natsUrl: cluster.natsUrl, framework: { name: 'bad-input' },
      scheduler: { resourceOffers: (_d, o) => { offers.push(...o); }, statusUpdate: (_d, s) => { updates.push(s); } },
    });
    await driver.start();
    await eventually(() => offers.length > 0, 'an offer');
  });
  afterAll(async () => { await driver?.stop({ failover: false }); await nc?.drain(); await cluster?.stop(); });

  const snapshot = async () => {
    const s = await (await fetch(`${cluster.masterHttpUrl}/api/v1/state`)).json() as { agents: { id: string; resources: { total: string } }[]; frameworks: { id: string }[]; tasks: unknown[] };
    return { agents: s.agents.map((a) => [a.id, a.resources.total]), frameworks: s.frameworks.map((f) => f.id).sort(), tasks: s.tasks.length };
  };

  it('refuses garbage, wrong types, unknown kinds and oversize messages on the scheduler subject', async () => {
    const before = await snapshot();
    const subject = subjects.schedulerCall('admin', 'intruder');
    expect((await refusal(nc, subject, new Uint8Array([0xc1, 0xff, 0x00]))).message).toMatch(/not valid msgpack/);
    expect((await refusal(nc, subject, encode({ type: 'SUBSCRIBE', framework: { id: 'intruder', name: 5 } }))).field).toBe('framework.name');
    // Every problem comes back by field, in the message for people and as `issues` for tools.
    const many = await refusal(nc, subject, { type: 'SUBSCRIBE', framework: { id: 'has a space', name: 5, roles: ['ok', 'bad role!'], failoverTimeoutMs: -1 } });
    expect(many.issues?.map((i) => i.field).sort()).toEqual(['framework.failoverTimeoutMs', 'framework.id', 'framework.name', 'framework.roles[1]']);
    expect(many.message).toMatch(/framework\.id: .*; .*framework\.roles\[1\]/);
    const unknown = await refusal(nc, subject, encode({ type: 'DANCE' }));
    expect(unknown.code).toBe('INVALID');
    expect(unknown.message).toMatch(/type/);
    expect((await refusal(nc, subject, encode({ type: 'ACCEPT', offerIds: [], operations: [] }))).field).toBe('offerIds');
    const big = encode({ type: 'HEARTBEAT', pad: 'x'.repeat(300 * 1024) });
    expect((await refusal(nc, subject, big)).code).toBe('TOO_LARGE');
    expect((await refusal(nc, subject, { type: 'DECLINE', offerIds: ['nope'] })).code).toBe('NOT_SUBSCRIBED');
    expect((await refusal(nc, subject, { type: 'SUBSCRIBE', framework: { id: 'someone-else', name: 'x' } })).code).toBe('FORBIDDEN');
    expect(await snapshot()).toEqual(before);
  });

  it('refuses offers that were never made or already used, naming the offer', async () => {
    const before = await snapshot();
    const never = await driver.decline(['never-made']).catch((e: ApiError) => e);
    expect(never).toBeInstanceOf(ApiError);
    expect((never as ApiError).field).toBe('offerIds[0]');
    expect((never as ApiError).message).toMatch(/never-made.*not outstanding/);
    const offer = offers.shift()!;
    await driver.decline([offer.id], { refuseSeconds: 0 });
    const again = await driver.decline([offer.id]).catch((e: ApiError) => e);
    expect((again as ApiError).code).toBe('NOT_FOUND');
    expect(await snapshot()).toEqual(before);
  });

  it('answers a task asking for more than the offer holds with TASK_ERROR naming the resource', async () => {
    await driver.revive();
    const offer = await eventually(() => offers.shift(), 'a fresh offer');
    const tooBig = Resources.parse('cpus:0.1;mem:999999').toWire();
    const r = await driver.call<{ launched: string[]; errors: string[] }>({ type: 'ACCEPT', offerIds: [offer.id], operations: [{ type: 'LAUNCH', tasks: [{ taskId: 'greedy', name: 'greedy', agentId: offer.agentId, resources: tooBig, command: { value: 'true' } }] }] });
    expect(r.launched).toEqual([]);
    expect(r.errors[0]).toMatch(/operations\[0\]\.tasks\[0\]\.resources: mem 999999 > 4096/);
    const s = await eventually(() => updates.find((u) => u.taskId === 'greedy'), 'TASK_ERROR update');
    expect(s.state).toBe('TASK_ERROR');
    expect(s.message).toMatch(/mem 999999 > 4096/);
  });

  it('refuses a task asking to run as a user its principal was not granted (root included)', async () => {
    await driver.revive();
    const offer = await eventually(() => offers.shift(), 'an offer');
    await driver.launch([offer.id], [{ taskId: 'as-root', name: 'as-root', agentId: offer.agentId, resources: Resources.parse('cpus:0.1;mem:32').toWire(), command: { value: 'id -u', user: 'root' } }]);
    const s = await eventually(() => updates.find((u) => u.taskId === 'as-root' && u.state !== 'TASK_STAGING'), 'the refusal');
    expect(s.state).toBe('TASK_ERROR');
    expect(s.message).toMatch(/task.command.user: principal '\*' may not run tasks as 'root'/);
  });

  it('refuses garbage on agent subjects and on the update stream, and keeps working', async () => {
    const before = await snapshot();
    const agentId = cluster.agents[0].agent.id;
    expect((await refusal(nc, subjects.agentCall(agentId), new Uint8Array([1, 2, 3, 4]))).code).toBe('INVALID');
    expect((await refusal(nc, subjects.agentCall(agentId), { type: 'REGISTER', agent: { id: agentId } })).field).toMatch(/^agent\./);
    expect((await refusal(nc, subjects.agentCall('stranger'), { type: 'REGISTER', agent: { id: agentId, hostname: 'h', resources: [], attributes: [], containerizers: [], version: '1' }, tasks: [] })).code).toBe('FORBIDDEN');
    expect((await refusal(nc, subjects.agentCommand(agentId), new Uint8Array([0xc1]))).code).toBe('INVALID');
    expect((await refusal(nc, subjects.agentCommand(agentId), { type: 'FILES_READ', taskId: 'nope', path: 'stdout' })).code).toBe('NOT_FOUND');
    expect((await refusal(nc, subjects.agentCommand(agentId), { type: 'LAUNCH' })).code).toBe('INVALID');
    const js = jetstream(nc);
    await js.publish(subjects.agentUpdates(agentId), new Uint8Array([0xc1, 0xc1]));
    await js.publish(subjects.agentUpdates(agentId), encode({ status: { taskId: 'x', frameworkId: 'y', agentId: 'forged', state: 'TASK_RUNNING', source: 'AGENT', timestamp: 1, uuid: 'u1' } }));
    const ping = await request<{ reregister: boolean }>(nc, subjects.agentCall('never-registered'), { type: 'PING' });
    expect(ping.reregister).toBe(true);
    expect(await snapshot()).toEqual(before);
    await eventually(() => cluster.master.master.counters.badMessages >= 2, 'master counted the bad updates');
    // Still fully working: a real task runs to completion.
    await driver.revive();
    const offer = await eventually(() => offers.shift(), 'an offer after the flood');
    await driver.launch([offer.id], [{ taskId: 'after', name: 'after', agentId: offer.agentId, resources: Resources.parse('cpus:0.1;mem:32').toWire(), command: { value: 'echo ok' } }]);
    await eventually(() => updates.find((u) => u.taskId === 'after' && u.state === 'TASK_FINISHED'), 'the task after the flood finishes');
  });
});
