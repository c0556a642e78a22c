/**
 * Autoscaling end to end: a real nats-server, master and two agents measuring their tasks' cgroups; the service
 * framework reads the usage through the master's USAGE call. An app whose instances burn CPU while a flag file
 * exists scales from 1 up to its max of 4; once the file is gone it scales back to 1 after its stabilization
 * window. Only condition waits: no timed assertions.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectNats, createLogger, type NatsConnection } from 'agora/sdk';
import { eventually, startCluster, type TestCluster } from '../../test/harness/cluster';
import { serviceClient } from '../../test/harness/service-client';
import { startService, type RunningService } from './main';

jest.setTimeout(240_000);

let cluster: TestCluster;
let svc: RunningService;
let nc: NatsConnection;
const { api, show, removeApp } = serviceClient(() => nc);

beforeAll(async () => {
  cluster = await startCluster({ agents: [{}, {}] });
  svc = await startService({
    natsUrl: cluster.natsUrl,
    dataDir: join(cluster.dir, 'service'),
    tickMs: 200,
    autoscaleIntervalMs: 500,
    log: createLogger('service', { level: 'silent' }),
  });
  nc = await connectNats({ servers: cluster.natsUrl, name: 'autoscale-it' });
});
afterAll(async () => {
  await nc?.drain().catch(() => undefined);
  await svc?.stop().catch(() => undefined);
  await cluster?.stop();
});

it('scales a CPU-burning app up to max, refuses a manual scale, and scales down after the window once idle', async () => {
  const flag = join(cluster.dir, 'burn'); // cluster.dir is 0755: the task user can see the flag
  writeFileSync(flag, '');
  // While the flag exists each instance burns ~0.25 CPU in bursts (2.5 × its cpus of 0.1; the target is half of
  // cpus), so the cluster's two cores are never saturated; without it, it sleeps.
  const cmd = `while :; do if [ -e ${flag} ]; then timeout 0.05 sh -c 'while :; do :; done'; sleep 0.15; else sleep 0.2; fi; done`;
  await api({
    type: 'deploy',
    app: {
      id: '/burn',
      cmd,
      instances: 1,
      cpus: 0.1,
      mem: 32,
      autoscale: { min: 1, max: 4, metric: 'cpu', target: 0.5, stabilizationSeconds: 3 },
    },
  });

  const up = await eventually(
    async () => {
      const a = await show('/burn');
      return a.instances === 4 && a.ready === 4 ? a : undefined;
    },
    'scaled up to 4 ready',
    90_000,
    250,
  );
  expect(up.autoscale?.lastDecision?.message).toMatch(
    /^scaled \d → \d: cpu \d+(\.\d+)? of 0\.5 target \(\d instances? measured\)$/,
  );
  expect(up.autoscale?.lastDecision?.to).toBeGreaterThan(up.autoscale!.lastDecision!.from);

  await expect(api({ type: 'scale', appId: '/burn', instances: 2 })).rejects.toMatchObject({
    code: 'CONFLICT',
    field: 'instances',
    message: expect.stringMatching(/is autoscaled \(min 1, max 4/),
  });

  rmSync(flag);
  const down = await eventually(
    async () => {
      const a = await show('/burn');
      return a.instances === 1 && a.ready === 1 && a.instanceList.length === 1 ? a : undefined;
    },
    'scaled down to 1',
    90_000,
    250,
  );
  // Down in one step or several (a reading that straddles the flag's removal recommends 2 or 3 first).
  expect(down.autoscale?.lastDecision?.to).toBe(1);
  expect(down.autoscale?.lastDecision?.message).toMatch(/^scaled [234] → 1: cpu \d+(\.\d+)? of 0\.5 target over 3 s$/);
  const { deployments } = await api({ type: 'deployments', appId: '/burn', all: true });
  const scales = deployments.filter((d) => d.kind === 'scale').reverse();
  expect(scales.length).toBeGreaterThanOrEqual(2);
  for (const d of scales) expect(d.message).toMatch(/^autoscaler: scaled \d → \d: cpu/);
  expect(scales.map((d) => d.toInstances)).toContain(4);
  await removeApp('/burn');
});
