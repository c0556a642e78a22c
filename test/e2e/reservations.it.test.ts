/**
 * Reservations through the SDK: statically reserved resources (agent --resources 'cpus(eng):2') reach only
 * their role and cannot be unreserved; a dynamic RESERVE accepted on an offer changes the agent's total and
 * survives a master restart, as do role weights and quotas.
 */
import { join } from 'node:path';
import { Resources, SchedulerDriver, type Offer } from 'agora/sdk';
import { startMaster } from '../../master/main';
import { eventually, startCluster, type TestCluster } from '../harness/cluster';

function collector(natsUrl: string, name: string, role: string) {
  const offers: Offer[] = [];
  const driver = new SchedulerDriver({
    natsUrl,
    framework: { name, roles: [role] },
    scheduler: {
      resourceOffers: (_d, o) => {
        offers.push(...o);
      },
    },
  });
  return { driver, offers };
}

describe('reservations', () => {
  let cluster: TestCluster;
  afterEach(async () => {
    await cluster?.stop();
  });

  it('offers statically reserved resources only to their role (and its sub-roles)', async () => {
    cluster = await startCluster({ agents: [{ resources: 'cpus:1;mem:1024;cpus(eng):2;mem(eng):2048;disk:100' }] });
    const other = collector(cluster.natsUrl, 'other', 'ops');
    await other.driver.start();
    await eventually(() => other.offers.length > 0, 'an offer for ops');
    for (const o of other.offers) expect(Resources.fromWire(o.resources).roles()).toEqual(['*']);
    await other.driver.decline(
      other.offers.map((o) => o.id),
      { refuseSeconds: 3600 },
    );
    const eng = collector(cluster.natsUrl, 'eng-backend', 'eng/backend');
    await eng.driver.start();
    const offer = await eventually(
      () => eng.offers.find((o) => Resources.fromWire(o.resources).scalar('cpus', 'eng') === 2),
      "eng/backend to see eng's reservation",
    );
    expect(offer.role).toBe('eng/backend');
    expect(other.offers.every((o) => Resources.fromWire(o.resources).reserved().isEmpty())).toBe(true);
    await other.driver.stop({ failover: false });
    await eng.driver.stop({ failover: false });
  });

  it("refuses to UNRESERVE a static reservation or an ancestor role's, naming the field and changing nothing", async () => {
    cluster = await startCluster({ agents: [{ resources: 'cpus:1;mem:1024;cpus(eng):2;mem(eng):2048;disk:100' }] });
    const totalOf = async () =>
      (
        (await (await cluster.fetch(`${cluster.masterHttpUrl}/api/v1/agents`)).json()) as {
          agents: { resources: { total: string } }[];
        }
      ).agents[0].resources.total;
    const before = await totalOf();
    for (const [name, role, message] of [
      ['eng', 'eng', /^operations\[0\]\.resources: only dynamic reservations can be unreserved/],
      ['backend', 'eng/backend', /^operations\[0\]\.resources: cannot unreserve for role 'eng'/],
    ] as const) {
      const fw = collector(cluster.natsUrl, name, role);
      await fw.driver.start();
      const offer = await eventually(
        () => fw.offers.find((o) => Resources.fromWire(o.resources).scalar('cpus', 'eng') === 2),
        `${role} to be offered eng's reservation`,
      );
      const r = await fw.driver.call<{ errors: string[] }>({
        type: 'ACCEPT',
        offerIds: [offer.id],
        operations: [{ type: 'UNRESERVE', resources: Resources.parse('cpus(eng):2').toWire() }],
      });
      expect(r.errors).toEqual([expect.stringMatching(message)]);
      await fw.driver.stop({ failover: false });
    }
    expect(await totalOf()).toBe(before);
    expect(cluster.master.master.registry.agent(cluster.agents[0].agent.id)?.reservations).toBe('');
  });

  it('applies a dynamic RESERVE, keeps it and role settings across a master restart', async () => {
    cluster = await startCluster({ agents: [{ resources: 'cpus:4;mem:4096;disk:100' }] });
    await cluster.fetch(`${cluster.masterHttpUrl}/api/v1/roles/web`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ weight: 3, guarantee: 'cpus:1;mem:512' }),
    });
    const web = collector(cluster.natsUrl, 'web', 'web');
    await web.driver.start();
    // The quota stage offers the guarantee apart from the fair-share rest: accept all of the agent's offers together.
    const all = await eventually(
      () =>
        web.offers.reduce((n, o) => n + Resources.fromWire(o.resources).scalar('cpus'), 0) === 4
          ? web.offers.splice(0)
          : undefined,
      'offers for all 4 cpus',
    );
    const accepted = await web.driver.call<{ errors: string[] }>({
      type: 'ACCEPT',
      offerIds: all.map((o) => o.id),
      operations: [{ type: 'RESERVE', resources: Resources.parse('cpus(web):2;mem(web):1024').toWire() }],
      filters: { refuseSeconds: 0 },
    });
    expect(accepted.errors).toEqual([]);
    const reserved = await eventually(
      () => web.offers.find((o) => Resources.fromWire(o.resources).scalar('cpus', 'web') === 2),
      'an offer with the new reservation',
    );
    expect(Resources.fromWire(reserved.resources).scalar('cpus', '*')).toBe(2);
    await web.driver.stop({ failover: true });

    // Restart the master on the same registry; the agent re-registers by itself.
    const dataDir = join(cluster.dir, 'master');
    await cluster.master.stop();
    cluster.master = await startMaster({
      natsUrl: cluster.natsUrl,
      httpHost: '127.0.0.1',
      httpPort: 0,
      dataDir,
      allocationIntervalMs: 100,
      agentPingTimeoutMs: 1000,
      maxAgentPingTimeouts: 3,
    });
    const url = cluster.master.httpUrl;
    const agents = await eventually(async () => {
      const r = (await (await cluster.fetch(`${url}/api/v1/agents`)).json()) as {
        agents: { resources: { total: string } }[];
      };
      return r.agents.length === 1 ? r.agents : undefined;
    }, 'the agent to re-register with the new master');
    expect(agents[0].resources.total).toBe('cpus:2;cpus(web):2;disk:100;mem:3072;mem(web):1024;ports:[31000-32000]');
    const roles = (await (await cluster.fetch(`${url}/api/v1/roles`)).json()) as {
      roles: { role: string; weight: number; guarantee: string }[];
    };
    expect(roles.roles.find((r) => r.role === 'web')).toMatchObject({ weight: 3, guarantee: 'cpus:1;mem:512' });
  });

  it('refuses reserving for a role the framework is not in, and bad role updates, changing nothing', async () => {
    cluster = await startCluster();
    const fw = collector(cluster.natsUrl, 'web', 'web');
    await fw.driver.start();
    const offer = await eventually(() => fw.offers.shift(), 'an offer');
    const r = await fw.driver.call<{ errors: string[] }>({
      type: 'ACCEPT',
      offerIds: [offer.id],
      operations: [{ type: 'RESERVE', resources: Resources.parse('cpus(ops):1').toWire() }],
    });
    expect(r.errors[0]).toMatch(/operations\[0\]\.resources: cannot reserve for role 'ops'/);
    for (const [role, body, msg] of [
      ['eng', { weight: -1 }, /weight/],
      ['eng', { guarantee: 'cpus:lots' }, /guarantee/],
      ['eng', { guarantee: 'cpus:4', limit: 'cpus:2' }, /exceeds limit/],
      ['bad role!', { weight: 1 }, /role/],
    ] as const) {
      const res = await cluster.fetch(`${cluster.masterHttpUrl}/api/v1/roles/${encodeURIComponent(role)}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { message: string }).message).toMatch(msg);
    }
    const roles = (await (await cluster.fetch(`${cluster.masterHttpUrl}/api/v1/roles`)).json()) as {
      roles: { role: string }[];
    };
    expect(roles.roles.map((x) => x.role)).not.toContain('eng');
    await fw.driver.stop({ failover: false });
  });
});
