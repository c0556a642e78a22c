/**
 * End to end with a REAL HAProxy: a real nats-server, a master and two agents (hostnames `127.0.0.1` and
 * `localhost`, resolved by the balancer like any agent hostname), the service framework, and `agora lb`
 * (startLb) running Debian's haproxy. The app is a 3-instance HTTP server (python3 -m http.server) that
 * answers with its version; a client sends a request every 20 ms through the load balancer while the app is
 * restarted and while its definition changes, and every one of them must succeed.
 */
import { execFileSync } from 'node:child_process';
import { get as httpGet } from 'node:http';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { connectNats, createLogger, type NatsConnection } from 'agora/sdk';
import { eventually, startCluster, type TestCluster } from '../test/harness/cluster';
import { serviceClient } from '../test/harness/service-client';
import { startService, type RunningService } from '../frameworks/service/main';
import { startLb, type RunningLb } from './main';
import { backendName } from './plan';

jest.setTimeout(120_000);

let cluster: TestCluster;
let svc: RunningService;
let lb: RunningLb;
let nc: NatsConnection;
const { api, show, succeeded, removeApp } = serviceClient(() => nc);

beforeAll(async () => {
  cluster = await startCluster({ agents: [{ hostname: '127.0.0.1' }, { hostname: 'localhost' }] });
  svc = await startService({
    natsUrl: cluster.natsUrl,
    dataDir: join(cluster.dir, 'service'),
    tickMs: 200,
    log: createLogger('service', { level: 'silent' }),
  });
  lb = await startLb({
    natsUrl: cluster.natsUrl,
    dataDir: join(cluster.dir, 'lb'),
    bindAddress: '127.0.0.1',
    pollMs: 100,
    log: createLogger('lb', { level: 'silent' }),
  });
  nc = await connectNats({ servers: cluster.natsUrl, name: 'lb-it' });
});
afterAll(async () => {
  await nc?.drain().catch(() => undefined);
  await lb?.stop().catch(() => undefined);
  await svc?.stop().catch(() => undefined);
  await cluster?.stop();
});

/** A port nothing listens on now (the kernel's choice). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Answers `v<version> <greeting>` on $PORT0; ready once its HTTP check passes (it listens). */
const webApp = (lbPort: number, greeting: string) => ({
  id: '/web',
  instances: 3,
  cpus: 0.1,
  mem: 64,
  ports: [0],
  env: { GREETING: greeting },
  cmd: 'echo "v$AGORA_APP_VERSION $GREETING" > index.html && exec python3 -m http.server $PORT0 --bind 127.0.0.1',
  loadBalancer: { port: lbPort, mode: 'http' as const },
  healthChecks: [
    {
      type: 'HTTP' as const,
      portIndex: 0,
      path: '/',
      gracePeriodSeconds: 15,
      intervalSeconds: 0.3,
      timeoutSeconds: 2,
      consecutiveFailures: 3,
    },
  ],
});

async function get(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(5000) });
  const text = (await res.text()).trim();
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${text.slice(0, 80)}`);
  return text;
}

/** One request on a connection of its own (no keep-alive). */
function getFresh(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpGet({ host: '127.0.0.1', port, path: '/', agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res
        .setEncoding('utf8')
        .on('data', (d: string) => {
          body += d;
        })
        .on('end', () => (res.statusCode === 200 ? resolve(body.trim()) : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}

/**
 * Sends a request every 20 ms (at most `max`) until stopped; records every answer and every failure. By default
 * through fetch's keep-alive pool; `fresh` opens a connection per request.
 */
function steadyClient(port: number, opts: { max?: number; fresh?: boolean } = {}) {
  const answers: string[] = [];
  const failures: string[] = [];
  let stopped = false;
  const done = (async () => {
    for (let n = 0; n < (opts.max ?? 5000) && !stopped; n++) {
      try {
        answers.push(await (opts.fresh ? getFresh(port) : get(port)));
      } catch (e) {
        failures.push(`${(e as Error).message} ${String((e as Error).cause ?? '')}`.trim());
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return {
    answers,
    failures,
    async stop() {
      stopped = true;
      await done;
    },
  };
}

/** HAProxy's own view: the servers of a backend that are up (ready or draining), as `address:port`. */
async function upServers(appId: string): Promise<string[]> {
  const lines = (await lb.haproxy.run([`show servers state ${backendName(appId)}`]))
    .split('\n')
    .filter((l) => /^\d/.test(l));
  return lines
    .map((l) => l.split(' '))
    .filter((f) => f[5] === '2')
    .map((f) => `${f[4]}:${f[18]}`)
    .sort();
}

let lbPort: number;

it('balances across the ready instances and keeps every request answered through a restart and a version change', async () => {
  lbPort = await freePort();
  const v1 = await api({ type: 'deploy', app: webApp(lbPort, 'hello') });
  await succeeded(v1.deploymentId!, '3 ready instances', 40_000);
  await eventually(async () => (await upServers('/web')).length === 3, 'three servers up in haproxy');
  const seen = new Set<string>();
  for (let k = 0; k < 6; k++) seen.add(await get(lbPort));
  expect([...seen]).toEqual(['v1 hello']);

  const client = steadyClient(lbPort);
  const r = await api({ type: 'restart', appId: '/web' });
  // The old instances drain (out of the ready set, still running) before they are killed.
  const draining = await eventually(
    async () => (await show('/web')).instanceList.find((i) => i.draining && i.version === 1),
    'an old instance draining',
  );
  expect(draining).toMatchObject({ ready: false, state: 'KILLING' });
  await succeeded(r.deploymentId, 'the restart', 60_000);
  await eventually(
    () => client.answers.slice(-5).every((a) => a === `v${r.version} hello`) && client.answers.length > 5,
    'only the new version answers',
  );
  const restartAnswers = client.answers.length;

  const v3 = await api({ type: 'deploy', app: webApp(lbPort, 'bonjour') });
  await succeeded(v3.deploymentId!, 'the version change', 60_000);
  await eventually(
    () => client.answers.slice(-5).every((a) => a === `v${v3.version} bonjour`),
    'only the changed version answers',
  );
  await client.stop();

  expect(client.failures).toEqual([]);
  expect(client.answers.length).toBeGreaterThan(restartAnswers);
  expect(new Set(client.answers)).toEqual(new Set(['v1 hello', `v${r.version} hello`, `v${v3.version} bonjour`]));
  const app = await show('/web');
  const want = app.instanceList
    .map((i) => `127.0.0.1:${i.ports[0]}`)
    .sort()
    .join();
  await eventually(
    async () => (await upServers('/web')).join() === want,
    'haproxy holding exactly the new instances (the next balancer round)',
  );
});

it('refuses a load balancer port another app holds, naming the field and the holder', async () => {
  const other = { id: '/other', cmd: 'sleep 600', cpus: 0.1, mem: 16, ports: [0], loadBalancer: { port: lbPort } };
  await expect(api({ type: 'deploy', app: other })).rejects.toThrow(
    `loadBalancer.port ${lbPort} is already held by /web`,
  );
  await expect(api({ type: 'deploy', app: { ...other, loadBalancer: { port: 70000 } } })).rejects.toThrow(
    /loadBalancer\.port: a load balancer port is 1–65535/,
  );
  expect((await api({ type: 'list' })).apps.map((a) => a.id)).toEqual(['/web']);
});

it('takes an instance killed out of band out of its backend', async () => {
  const before = await show('/web');
  const victim = before.instanceList[0];
  const pids = execFileSync('pgrep', ['-f', `http.server ${victim.ports[0]} `])
    .toString()
    .trim()
    .split('\n')
    .map(Number);
  for (const pid of pids) process.kill(pid, 'SIGKILL');
  await eventually(
    async () => !(await upServers('/web')).includes(`127.0.0.1:${victim.ports[0]}`),
    'the killed instance out of haproxy',
  );
  const after = await eventually(async () => {
    const a = await show('/web');
    return a.ready === 3 && !a.instanceList.some((i) => i.instanceId === victim.instanceId) ? a : undefined;
  }, 'a replacement');
  await eventually(
    async () =>
      (await upServers('/web')).join() ===
      after.instanceList
        .map((i) => `127.0.0.1:${i.ports[0]}`)
        .sort()
        .join(),
    'the replacement in haproxy',
  );
  expect(await get(lbPort)).toMatch(/bonjour$/);
});

/**
 * New connections during a reload: HAProxy 2.6's old worker closes its idle keep-alive client connections when it
 * stops, and a client that reuses one at that instant and does not retry sees an error (HAProxy 2.8's
 * `idle-close-on-response` closes them after a response instead), so this client opens a connection per request.
 */
it('balances TCP connections in tcp mode; adding and removing its frontend reloads HAProxy without failing a new connection to the others', async () => {
  const port = await freePort();
  const client = steadyClient(lbPort, { fresh: true });
  const pidBefore = (await lb.haproxy.run(['show info'])).match(/^Pid: (\d+)/m)![1];
  const d = await api({
    type: 'deploy',
    app: { ...webApp(port, 'tcp'), id: '/tcp', instances: 2, loadBalancer: { port, mode: 'tcp' } },
  });
  await succeeded(d.deploymentId!, '/tcp up', 40_000);
  await eventually(async () => (await upServers('/tcp')).length === 2, 'two tcp servers up');
  expect(lb.balancer.current.frontends.find((f) => f.appId === '/tcp')).toMatchObject({ port, mode: 'tcp' });
  expect(await get(port)).toMatch(/^v\d+ tcp$/);
  expect((await lb.haproxy.run(['show info'])).match(/^Pid: (\d+)/m)![1]).not.toBe(pidBefore); // a new worker: reloaded
  await removeApp('/tcp');
  await eventually(() => !lb.balancer.current.frontends.some((f) => f.appId === '/tcp'), '/tcp frontend gone');
  await client.stop();
  expect(client.failures).toEqual([]);
  expect(client.answers.length).toBeGreaterThan(10);
});

it('leaves out an app whose port another process holds, and keeps balancing the others', async () => {
  const squatter: Server = createServer();
  await new Promise<void>((r) => squatter.listen(0, '127.0.0.1', r));
  const busy = (squatter.address() as { port: number }).port;
  try {
    const d = await api({ type: 'deploy', app: { ...webApp(busy, 'x'), id: '/squatted', instances: 1 } });
    await succeeded(d.deploymentId!, '/squatted up', 40_000);
    const seen = lb.balancer.rounds;
    await eventually(() => lb.balancer.rounds >= seen + 3, 'three more balancer rounds after /squatted is up');
    expect(lb.balancer.current.frontends.map((f) => f.appId)).toEqual(['/web']);
    expect(await get(lbPort)).toMatch(/bonjour$/);
  } finally {
    await new Promise((r) => squatter.close(r));
  }
  await eventually(
    () => lb.balancer.current.frontends.some((f) => f.appId === '/squatted'),
    'balanced once the port is free',
  );
  await removeApp('/squatted');
  await removeApp('/web');
  await eventually(() => lb.balancer.current.frontends.length === 0, 'no frontends left');
});
