/**
 * End to end with the real `dig`: a real nats-server, a master and two agents (hostnames `localhost`, which is
 * looked up, and the literal `127.0.0.2`), the service framework and the DNS server in this process. Records must
 * follow instances through the framework's change feed: the DNS server's own resync is set to a minute, longer
 * than any wait below, so only the nudge can make an answer change in time.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { connectNats, createLogger, type NatsConnection } from 'agora/sdk';
import { type InstanceView } from 'agora/sdk/service';
import { eventually, startCluster, type TestCluster } from '../test/harness/cluster';
import { serviceClient } from '../test/harness/service-client';
import { dig, type DigResult } from '../test/harness/dig';
import { sandboxPath } from '../agent/task-runner';
import { startService, type RunningService } from '../frameworks/service/main';
import { startDns, type RunningDns } from './main';

jest.setTimeout(120_000);

let cluster: TestCluster;
let svc: RunningService;
let dns: RunningDns;
let nc: NatsConnection;
const { api, show, succeeded, removeApp } = serviceClient(() => nc);
const silent = createLogger('test', { level: 'silent' });

beforeAll(async () => {
  cluster = await startCluster({ agents: [{ hostname: 'localhost' }, { hostname: '127.0.0.2' }] });
  svc = await startService({
    natsUrl: cluster.natsUrl,
    dataDir: join(cluster.dir, 'service'),
    tickMs: 200,
    log: silent,
  });
  dns = await startDns({ natsUrl: cluster.natsUrl, port: 0, resyncMs: 60_000, log: silent });
  nc = await connectNats({ servers: cluster.natsUrl, name: 'dns-it' });
});
afterAll(async () => {
  await nc?.drain().catch(() => undefined);
  await dns?.stop().catch(() => undefined);
  await svc?.stop().catch(() => undefined);
  await cluster?.stop();
});

const q = (name: string, type: string, extra: string[] = []) => dig(dns.port, name, type, extra);
const data = (r: DigResult, type: string) =>
  r.answer
    .filter((row) => row[3] === type)
    .map((row) => row.slice(4).join(' '))
    .sort();
const makeSick = (i: InstanceView) => {
  const agent = cluster.agents.find((a) => a.agent.id === i.agentId)!;
  rmSync(join(sandboxPath(agent.agent.sandboxRoot, svc.driver.frameworkId, i.taskId), 'healthy'));
};
const hostIp = (i: InstanceView) => (i.hostname === 'localhost' ? '127.0.0.1' : i.hostname);
const target = (i: InstanceView) =>
  i.hostname === 'localhost' ? 'localhost.agents.agora.' : '127-0-0-2.agents.agora.';

it('answers A and SRV for the ready instances of an app and follows them through sickness, scaling and removal', async () => {
  const { deploymentId } = await api({
    type: 'deploy',
    app: {
      id: '/shop/cart',
      cmd: 'touch healthy; sleep 1000',
      instances: 2,
      cpus: 0.1,
      mem: 16,
      ports: [0, 0],
      constraints: [['hostname', 'UNIQUE']],
      backoff: { backoffSeconds: 0.5 },
      healthChecks: [
        {
          type: 'COMMAND',
          command: 'test -f healthy',
          gracePeriodSeconds: 2,
          intervalSeconds: 0.3,
          timeoutSeconds: 5,
          consecutiveFailures: 2,
        },
      ],
    },
  });
  await succeeded(deploymentId!, '2 healthy instances', 30_000);
  const instances = (await show('/shop/cart')).instanceList;
  expect(instances.map(hostIp).sort()).toEqual(['127.0.0.1', '127.0.0.2']);

  const a = await eventually(async () => {
    const r = await q('cart.shop.agora', 'A');
    return data(r, 'A').length === 2 ? r : undefined;
  }, 'two A records');
  expect(a.status).toBe('NOERROR');
  expect(a.flags).toContain('aa');
  expect(data(a, 'A')).toEqual(['127.0.0.1', '127.0.0.2']);
  expect(a.answer.every((row) => row[0] === 'cart.shop.agora.' && row[1] === '5' && row[2] === 'IN')).toBe(true);

  const expectedSrv = (k: number, list: InstanceView[]) => list.map((i) => `0 1 ${i.ports[k]} ${target(i)}`).sort();
  for (const k of [0, 1]) {
    const srv = await q(`_port${k}._tcp.cart.shop.agora`, 'SRV');
    expect(data(srv, 'SRV')).toEqual(expectedSrv(k, instances));
    expect(
      srv.additional
        .filter((r) => r[3] === 'A')
        .map((r) => `${r[0]} ${r[4]}`)
        .sort(),
    ).toEqual(['127-0-0-2.agents.agora. 127.0.0.2', 'localhost.agents.agora. 127.0.0.1']);
  }
  const overTcp = await q('_port0._tcp.cart.shop.agora', 'SRV', ['+tcp']);
  expect(overTcp.text).toMatch(/\(TCP\)/);
  expect(data(overTcp, 'SRV')).toEqual(expectedSrv(0, instances));

  // An instance that fails its health check leaves the answer (before the framework replaces it).
  const [sick, well] = instances;
  makeSick(sick);
  await eventually(async () => {
    const r = await q('cart.shop.agora', 'A');
    return data(r, 'A').join() === hostIp(well);
  }, "only the healthy instance's host in A");
  await eventually(
    async () => data(await q('_port0._tcp.cart.shop.agora', 'SRV'), 'SRV').join() === expectedSrv(0, [well]).join(),
    'only the healthy instance in SRV',
  );
  // Its replacement (same agent: UNIQUE hostname) comes back once healthy.
  await eventually(
    async () => data(await q('cart.shop.agora', 'A'), 'A').length === 2,
    'the replacement back in A',
    40_000,
  );

  // Scaling to one: the killed instance leaves.
  const scaled = await api({ type: 'scale', appId: '/shop/cart', instances: 1 });
  await succeeded(scaled.deploymentId!, 'scaled to 1');
  const [left] = (await show('/shop/cart')).instanceList;
  await eventually(
    async () => data(await q('cart.shop.agora', 'A'), 'A').join() === hostIp(left),
    'one A record after scaling',
  );
  expect(data(await q('_port1._tcp.cart.shop.agora', 'SRV'), 'SRV')).toEqual(expectedSrv(1, [left]));

  // Removed: the name goes.
  await removeApp('/shop/cart');
  await eventually(async () => (await q('cart.shop.agora', 'A')).status === 'NXDOMAIN', 'NXDOMAIN after removal');
});

it('answers as an authoritative server for agora. only: NXDOMAIN, NODATA, SOA, REFUSED', async () => {
  const { deploymentId } = await api({
    type: 'deploy',
    app: { id: '/web', cmd: 'sleep 1000', instances: 1, cpus: 0.1, mem: 16, ports: [0] },
  });
  await succeeded(deploymentId!, '1 instance');
  await eventually(async () => data(await q('web.agora', 'A'), 'A').length === 1, 'web.agora has an A record');

  const nx = await q('nope.shop.agora', 'A');
  expect(nx.status).toBe('NXDOMAIN');
  expect(nx.flags).toContain('aa');
  expect(nx.authority.map((r) => [r[0], r[3]])).toEqual([['agora.', 'SOA']]);

  const nodata = await q('web.agora', 'AAAA');
  expect([nodata.status, nodata.answer.length, nodata.authority.map((r) => r[3]).join()]).toEqual([
    'NOERROR',
    0,
    'SOA',
  ]);

  const soa = await q('agora', 'SOA');
  expect(soa.answer.map((r) => r.slice(0, 5).join(' '))).toEqual([
    expect.stringMatching(/^agora\. 5 IN SOA ns\.agora\.$/),
  ]);

  const refused = await q('example.com', 'A');
  expect(refused.status).toBe('REFUSED');
  expect(refused.flags).not.toContain('aa');
  expect((await q('example.com', 'A', ['+tcp'])).status).toBe('REFUSED');
  await removeApp('/web');
});

it('refuses to deploy an app whose id cannot be a DNS name, naming the field', async () => {
  await expect(api({ type: 'deploy', app: { id: `/${'x'.repeat(64)}`, cmd: 'sleep 1' } })).rejects.toMatchObject({
    code: 'INVALID',
    field: 'id',
    message: expect.stringMatching(/a DNS label holds at most 63/),
  });
  await expect(api({ type: 'deploy', app: { id: '/agents/x', cmd: 'sleep 1' } })).rejects.toMatchObject({
    code: 'INVALID',
    field: 'id',
  });
});
