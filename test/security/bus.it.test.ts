/**
 * Attacks on the bus, against a real nats-server (operator mode, TLS) and a real master and agent. Each case
 * asserts the refusal AND that nothing changed (the master's state, the agent's tasks, the other framework).
 */
import { join } from 'node:path';
import { connect, PermissionViolationError } from '@nats-io/transport-node';
import {
  Issuer, Resources, SchedulerDriver, connectNats, credentialsFor, encode, frameworkConsumerName, frameworkUpdatesStreamName, loadCredentials,
  principalCall, request, subjects, writeCredentials, type CredentialsFile, type NatsConnection, type Offer, type PrincipalView,
} from 'agora/sdk';
import { eventually, startCluster, type TestCluster } from '../harness/cluster';
import { QueueFramework } from '../harness/queue-framework';

jest.setTimeout(120_000);

interface State { frameworks: { id: string; roles: string[]; principal?: string; active?: boolean }[]; tasks: { taskId: string; frameworkId: string }[]; agents: { id: string; resources: { total: string; reserved?: unknown } }[] }

describe('bus security: principals and permissions', () => {
  let c: TestCluster;
  let admin: NatsConnection;
  let sparkCreds: string;
  let otherCreds: string;
  let spark: NatsConnection;
  let victim: QueueFramework;
  const violations: PermissionViolationError[] = [];
  const state = async () => (await (await fetch(`${c.masterHttpUrl}/api/v1/state`)).json()) as State;
  const snapshot = async () => {
    const s = await state();
    return JSON.stringify({ frameworks: s.frameworks.map((f) => [f.id, f.roles, f.active]).sort(), tasks: s.tasks.map((t) => t.taskId).sort(), agents: s.agents.map((a) => [a.id, a.resources]) });
  };
  const agentTasks = async () => JSON.stringify((await request<{ tasks: unknown[] }>(admin, subjects.agentCommand(c.agents[0].agent.id), { type: 'STATE' })).tasks);
  const denied = (operation: 'publish' | 'subscription', subject: string) =>
    eventually(() => violations.some((v) => v.operation === operation && v.subject === subject), `NATS refusing ${operation} on ${subject}`);

  const addPrincipal = async (name: string, roles: string[], taskUsers: string[]) => {
    const r = await principalCall<{ principal: PrincipalView; credentials: CredentialsFile }>(admin, 'admin', { type: 'ADD', name, kind: 'framework', roles, taskUsers });
    const path = join(c.dir, `${name}.creds.json`);
    writeCredentials(path, r.credentials);
    return path;
  };

  beforeAll(async () => {
    c = await startCluster();
    admin = await connectNats({ servers: c.natsUrl, name: 'security-admin' });
    sparkCreds = await addPrincipal('spark', ['analytics'], ['nobody']);
    otherCreds = await addPrincipal('other', ['eng'], ['ANY']);
    spark = await connectNats({ servers: c.natsUrl, name: 'spark', credentials: sparkCreds });
    (async () => { for await (const s of spark.status()) if (s.type === 'error' && s.error instanceof PermissionViolationError) violations.push(s.error); })()
      .catch((e: unknown) => { throw new Error(`status watcher ended: ${String(e)}`); });
    victim = new QueueFramework(c.natsUrl, { name: 'victim', roles: ['eng'], credentials: otherCreds });
    await victim.driver.start();
    await eventually(async () => (await state()).frameworks.some((f) => f.id === victim.driver.frameworkId), 'victim subscribed');
  });
  afterAll(async () => {
    await victim?.driver.stop({ failover: false }).catch(() => undefined);
    await spark?.close();
    await admin?.close();
    await c?.stop();
  });

  it('refuses a connection without credentials, with credentials of another issuer, and reading without TLS trust', async () => {
    const ca = loadCredentials(c.nats.creds('admin')).nats.ca!;
    await expect(connect({ servers: c.natsUrl, tls: { ca }, reconnect: false })).rejects.toThrow(/authorization violation/i);
    const foreign = new Issuer(Issuer.generateKeys());
    const user = await foreign.mintUser('spark', 'framework');
    const path = join(c.dir, 'forged.json');
    writeCredentials(path, credentialsFor('spark', 'framework', user.creds, [c.natsUrl], ca));
    await expect(connectNats({ servers: c.natsUrl, name: 'forged', credentials: path, startTimeoutMs: 3000 })).rejects.toThrow(/refused the credentials of principal 'spark'/);
    // Without the cluster's CA the client does not trust the server (nothing is sent in clear).
    await expect(connect({ servers: c.natsUrl, reconnect: false, timeout: 3000 })).rejects.toThrow();
  });

  it('a framework cannot command an agent, speak as an agent, or call on another principal\'s framework', async () => {
    const before = await snapshot();
    const tasksBefore = await agentTasks();
    const agentId = c.agents[0].agent.id;
    spark.publish(subjects.agentCommand(agentId), encode({ type: 'LAUNCH', frameworkId: 'x', task: {} }));
    await denied('publish', subjects.agentCommand(agentId));
    spark.publish(subjects.agentCall(agentId), encode({ type: 'PING' }));
    await denied('publish', subjects.agentCall(agentId));
    spark.publish(subjects.agentUpdates(agentId), encode({ status: {} }));
    await denied('publish', subjects.agentUpdates(agentId));
    const teardown = subjects.schedulerCall('other', victim.driver.frameworkId);
    spark.publish(teardown, encode({ type: 'TEARDOWN' }));
    await denied('publish', teardown);
    const event = subjects.schedulerEvents('other', victim.driver.frameworkId);
    spark.publish(event, encode({ type: 'ERROR', message: 'forged' }));
    await denied('publish', event);
    expect(await snapshot()).toBe(before);
    expect(await agentTasks()).toBe(tasksBefore);
  });

  it('a framework cannot read another\'s events or update consumer, nor sniff the bus or inboxes', async () => {
    for (const subject of [`agora.v1.scheduler.other.>`, 'agora.v1.>', '>', '_INBOX.>', '_INBOX_other.>', 'agora.v1.agent.*']) {
      spark.subscribe(subject);
      await denied('subscription', subject);
    }
    const next = `$JS.API.CONSUMER.MSG.NEXT.${frameworkUpdatesStreamName('other')}.${frameworkConsumerName(victim.driver.frameworkId)}`;
    spark.publish(next, encode({ batch: 1 }));
    await denied('publish', next);
  });

  it('sniffing everything it may read as a framework shows no LAUNCH while another framework launches', async () => {
    const seen: string[] = [];
    const sub = spark.subscribe('agora.v1.scheduler.spark.>', { callback: (_e, m) => { seen.push(m.subject); } });
    victim.add({ taskId: 'secret-task', resources: 'cpus:0.1;mem:16', command: 'echo TOPSECRET' });
    await eventually(() => victim.latest.get('secret-task')?.state === 'TASK_FINISHED', 'victim task finished');
    sub.unsubscribe();
    expect(seen).toEqual([]);
  });

  describe('the master authorizes calls against the ACLs', () => {
    let sparkFw: SchedulerDriver;
    let offers: Offer[] = [];
    beforeAll(async () => {
      sparkFw = new SchedulerDriver({ natsUrl: c.natsUrl, credentials: sparkCreds, framework: { name: 'spark', roles: ['analytics'], principal: 'admin' }, scheduler: { resourceOffers: (_d, o) => { offers = o; } } });
      await sparkFw.start();
      await eventually(() => offers.length > 0, 'an offer to spark');
    });
    afterAll(async () => { await sparkFw?.stop({ failover: false }).catch(() => undefined); });

    it('records the authenticated principal, not the declared one', async () => {
      expect(c.master.master.state.frameworks.get(sparkFw.frameworkId as never)?.info.principal).toBe('spark');
      expect(c.master.master.authz.ownerOf(sparkFw.frameworkId)).toBe('spark');
    });

    it('refuses SUBSCRIBE with another principal\'s framework id, registering in a role not granted', async () => {
      const before = await snapshot();
      const hijack = new SchedulerDriver({ natsUrl: c.natsUrl, credentials: sparkCreds, framework: { id: victim.driver.frameworkId, name: 'hijack', roles: ['analytics'] }, scheduler: {} });
      await expect(hijack.start()).rejects.toMatchObject({ code: 'FORBIDDEN', message: expect.stringMatching(/principal 'spark' lacks permission use_framework.*belongs to principal 'other'/) });
      await hijack.stop({ failover: false }).catch(() => undefined);
      const wrongRole = new SchedulerDriver({ natsUrl: c.natsUrl, credentials: sparkCreds, framework: { name: 'eng-wannabe', roles: ['eng'] }, scheduler: {} });
      await expect(wrongRole.start()).rejects.toMatchObject({ code: 'FORBIDDEN', message: expect.stringMatching(/principal 'spark' lacks permission register_frameworks\(role=eng\)/) });
      await wrongRole.stop({ failover: false }).catch(() => undefined);
      expect(await snapshot()).toBe(before);
    });

    it('refuses running as a user not granted and reserving for a role not granted', async () => {
      const o = offers[0];
      const before = await snapshot();
      const task = { taskId: 'as-root', name: 'as-root', agentId: o.agentId, resources: Resources.parse('cpus:0.1;mem:16').toWire(), command: { value: 'id', user: 'root' } };
      await expect(sparkFw.launch([o.id], [task])).rejects.toMatchObject({ code: 'FORBIDDEN', message: expect.stringMatching(/principal 'spark' lacks permission run_tasks\(user=root\)/) });
      await expect(sparkFw.call({ type: 'ACCEPT', offerIds: [o.id], operations: [{ type: 'RESERVE', resources: Resources.parse('cpus(eng):0.1').toWire() }] }))
        .rejects.toMatchObject({ code: 'FORBIDDEN', message: expect.stringMatching(/reserve_resources\(role=eng\)/) });
      expect(await snapshot()).toBe(before);
    });

    it('a removed framework stays removed: its calls are refused and it cannot come back', async () => {
      const id = sparkFw.frameworkId;
      await sparkFw.teardown();
      const before = await snapshot();
      await expect(sparkFw.call({ type: 'HEARTBEAT' })).rejects.toMatchObject({ code: expect.stringMatching(/NOT_SUBSCRIBED|FORBIDDEN/) });
      await expect(sparkFw.call({ type: 'SUBSCRIBE', framework: { ...sparkFw.framework } })).rejects.toMatchObject({ code: 'FORBIDDEN', message: expect.stringMatching(/removed/) });
      expect(await snapshot()).toBe(before);
      expect((await state()).frameworks.some((f) => f.id === id && f.active !== false)).toBe(false);
    });
  });

  it('a revoked principal is disconnected and refused from then on', async () => {
    const path = await addPrincipal('doomed', ['analytics'], []);
    const doomed = await connectNats({ servers: c.natsUrl, name: 'doomed', credentials: path });
    const closed = doomed.closed();
    const r = await principalCall<{ principal: PrincipalView }>(admin, 'admin', { type: 'REVOKE', name: 'doomed' });
    expect(r.principal.revokedAt).toBeGreaterThan(0);
    await closed;
    await expect(connectNats({ servers: c.natsUrl, name: 'doomed-again', credentials: path, startTimeoutMs: 3000 })).rejects.toThrow(/refused the credentials of principal 'doomed'/);
    const list = await principalCall<{ principals: PrincipalView[] }>(admin, 'admin', { type: 'LIST' });
    expect(list.principals.find((p) => p.name === 'doomed')?.revokedAt).toBeGreaterThan(0);
    // Only operators manage principals.
    spark.publish(subjects.operatorCall('spark'), encode({ type: 'LIST' }));
    await denied('publish', subjects.operatorCall('spark'));
  });
});
