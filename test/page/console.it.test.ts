/**
 * The page as a console, in a real browser against a real cluster with the service and cron frameworks:
 * without a token it shows only the login screen; a viewer sees the cluster but no action buttons, and a
 * request it forges with its token is refused (403) and changes nothing; an operator kills a task, drains and
 * undrains the agent, scales, suspends and removes an app, cancels a deployment and runs a job now — each after
 * a confirmation — and sees the effect.
 */
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { connectNats, createLogger, request, type NatsConnection } from 'agora/sdk';
import { CRON_API_SUBJECT } from 'agora/sdk/cron';
import { SERVICE_API_SUBJECT } from 'agora/sdk/service';
import { startCronFramework, type CronFramework } from '../../frameworks/cron/framework';
import { startService, type RunningService } from '../../frameworks/service/main';
import { createToken } from '../harness/auth';
import { eventually, startCluster, type TestCluster } from '../harness/cluster';
import { freePort } from '../harness/nats-server';
import { QueueFramework } from '../harness/queue-framework';
import { launchBrowser, openPage, shot } from './browser';

jest.setTimeout(240_000);

let cluster: TestCluster;
let fw: QueueFramework;
let browser: Browser;
let svc: RunningService;
let cron: CronFramework;
let nc: NatsConnection;
let agentId: string;
let viewer: string;
let operator: string;
const quiet = createLogger('test', { level: 'silent' });

const api = async <T = Record<string, any>>(path: string) =>
  (await (await cluster.fetch(`${cluster.masterHttpUrl}${path}`)).json()) as T;
const agentState = async () => (await api<{ state: string }>(`/api/v1/agents/${agentId}`)).state;
const app = async (id: string) =>
  (await cluster.fetch(`${cluster.masterHttpUrl}/api/v1/apps${id}`)).status === 200
    ? (await api<{ app: { instances: number; deployment?: { id: string; state: string } } }>(`/api/v1/apps${id}`)).app
    : undefined;

/** Clicks an action button, checks the dialog asks, optionally fills its number, and confirms. */
async function act(page: Page, label: string, value?: number): Promise<void> {
  await page.getByRole('button', { name: label, exact: true }).click();
  const dialog = page.getByRole('dialog', { name: label });
  await dialog.waitFor();
  if (value !== undefined) await dialog.getByRole('spinbutton').fill(String(value));
  await dialog.getByRole('button', { name: label, exact: true }).click();
  // The dialog closes when the master accepted the action; otherwise it shows the error, which the test reports.
  await Promise.race([
    dialog.waitFor({ state: 'detached' }),
    dialog
      .getByRole('alert')
      .waitFor()
      .then(async () => {
        throw new Error(`${label} was refused: ${await dialog.getByRole('alert').textContent()}`);
      }),
  ]);
}

beforeAll(async () => {
  cluster = await startCluster();
  agentId = cluster.agents[0].agent.id;
  fw = new QueueFramework(cluster.natsUrl, { name: 'console-test' });
  await fw.driver.start();
  fw.add({ taskId: 'victim', resources: 'cpus:0.1;mem:32', command: 'sleep 600' });
  svc = await startService({
    natsUrl: cluster.natsUrl,
    dataDir: join(cluster.dir, 'service'),
    tickMs: 200,
    log: quiet,
  });
  cron = await startCronFramework({ natsUrl: cluster.natsUrl, dataDir: join(cluster.dir, 'cron'), log: quiet });
  nc = await connectNats({ servers: cluster.natsUrl, name: 'console-test' });
  await request(nc, SERVICE_API_SUBJECT, {
    type: 'deploy',
    app: { id: '/web/shop', cmd: 'sleep 1000', instances: 1, cpus: 0.1, mem: 16 },
  });
  await request(nc, CRON_API_SUBJECT, {
    type: 'submit',
    job: { name: 'report', schedule: '0 3 * * *', cmd: 'echo report', cpus: 0.1, mem: 16 },
  });
  await eventually(() => fw.latest.get('victim')?.state === 'TASK_RUNNING', 'the victim task to run');
  await eventually(
    async () => (await app('/web/shop'))?.deployment === undefined,
    'the app deployment to finish',
    30_000,
  );
  viewer = (await createToken(cluster.masterHttpUrl, cluster.token, 'watcher', 'viewer')).secret;
  operator = (await createToken(cluster.masterHttpUrl, cluster.token, 'oncall', 'operator')).secret;
  browser = await launchBrowser();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await nc?.drain().catch(() => undefined);
  await svc?.stop().catch(() => undefined);
  await cron?.stop({ failover: false }).catch(() => undefined);
  await fw?.driver.stop({ failover: false }).catch(() => undefined);
  await cluster?.stop();
});

it('asks for a token before showing anything, refuses a wrong one, and logs a viewer in', async () => {
  const page = await openPage(browser, undefined, { viewport: { width: 1280, height: 800 } });
  await page.goto(`${cluster.masterHttpUrl}/#/agents`);
  const form = page.getByRole('form', { name: 'Log in' });
  await form.waitFor();
  expect(await page.getByRole('navigation').count()).toBe(0);
  expect(await page.getByRole('table').count()).toBe(0);
  await page.screenshot({ path: shot('login') });
  await page.getByLabel('Token').fill('agora_not-a-real-token');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByText('That token is unknown or was revoked.').waitFor();
  await page.getByLabel('Token').fill(viewer);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('table', { name: 'Agents' }).waitFor();
  await page.getByText('watcher (viewer)').click();
  expect(await page.locator('.permissions li').allTextContents()).toEqual(['cluster:read', 'metrics:read']);
  expect(
    await page.evaluate(() =>
      (globalThis as unknown as { sessionStorage: { getItem(k: string): string | null } }).sessionStorage.getItem(
        'agora.token',
      ),
    ),
  ).toBe(viewer);
  await page.close();
});

it('shows a viewer no action buttons, and refuses the drain it forges with its token, changing nothing', async () => {
  const page = await openPage(browser, viewer, { viewport: { width: 1280, height: 800 } });
  for (const [hash, heading] of [
    [`#/agents/${agentId}`, `Agent ${cluster.agents[0].agent.info.hostname}`],
    ['#/tasks/victim', 'Task victim'],
    ['#/apps/web/shop', 'App /web/shop'],
    ['#/jobs/report', 'Job report'],
  ]) {
    await page.goto(`${cluster.masterHttpUrl}/${hash}`);
    await page.getByRole('heading', { name: heading }).waitFor();
    expect([hash, await page.locator('button.action').count()]).toEqual([hash, 0]);
  }
  await page.goto(`${cluster.masterHttpUrl}/#/tasks/victim`);
  await page.getByText('reading a sandbox needs an operator token').waitFor();
  const forged = await page.evaluate(
    async ([id, token]) => {
      const res = await fetch(`/api/v1/agents/${id}/drain`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: '{"deadline":"0s"}',
      });
      return { status: res.status, body: (await res.json()) as { error: string; permission: string } };
    },
    [agentId, viewer],
  );
  expect(forged).toMatchObject({ status: 403, body: { error: 'forbidden', permission: 'agent:drain' } });
  const kill = await page.evaluate(
    async (token) =>
      (
        await fetch('/api/v1/tasks/victim/kill', {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: '{}',
        })
      ).status,
    viewer,
  );
  expect(kill).toBe(403);
  expect(await agentState()).toBe('ACTIVE');
  expect(fw.latest.get('victim')?.state).toBe('TASK_RUNNING');
  await page.close();
});

it('lets an operator drain and undrain the agent and kill a task, each after a confirmation', async () => {
  const page = await openPage(browser, operator, { viewport: { width: 1280, height: 800 } });
  await page.goto(`${cluster.masterHttpUrl}/#/agents/${agentId}`);
  await page.getByText('oncall (operator)').waitFor();
  await page.getByRole('button', { name: 'Drain', exact: true }).click();
  await page.getByRole('dialog', { name: 'Drain' }).getByRole('button', { name: 'Cancel' }).click();
  expect(await agentState()).toBe('ACTIVE');
  await act(page, 'Drain', 10);
  await eventually(async () => (await agentState()) === 'DRAINING', 'the agent to drain');
  await page.getByRole('button', { name: 'Undrain', exact: true }).waitFor();
  await page.screenshot({ path: shot('console-draining') });
  await act(page, 'Undrain');
  await eventually(async () => (await agentState()) === 'ACTIVE', 'the agent to be undrained');
  await page.getByRole('button', { name: 'Drain', exact: true }).waitFor();

  await page.goto(`${cluster.masterHttpUrl}/#/tasks/victim`);
  await page.getByRole('heading', { name: 'Task victim' }).waitFor();
  await act(page, 'Kill task');
  await eventually(() => fw.latest.get('victim')?.state === 'TASK_KILLED', 'the task to be killed');
  await page.locator('#toast').getByText('kill of victim sent').waitFor();
  await page.getByRole('button', { name: 'Kill task' }).waitFor({ state: 'detached' });
  await page.close();
});

it('lets an operator scale, suspend and remove an app, cancel its deployment and run a job now', async () => {
  const page = await openPage(browser, operator, { viewport: { width: 1280, height: 800 } });
  await page.goto(`${cluster.masterHttpUrl}/#/apps/web/shop`);
  await page.getByRole('heading', { name: 'App /web/shop' }).waitFor();
  await act(page, 'Scale', 2);
  await eventually(async () => (await app('/web/shop'))?.instances === 2, 'the app to be scaled to 2');
  await page.getByText('2 running, 2 ready of 2').waitFor({ timeout: 30_000 });
  await act(page, 'Suspend');
  await eventually(async () => (await app('/web/shop'))?.instances === 0, 'the app to be suspended');

  // An update that cannot finish (more memory than the agent has), cancelled from the page: the app rolls back.
  const huge = { id: '/web/huge', cmd: 'sleep 1000', instances: 1, cpus: 0.1, mem: 16 };
  await request(nc, SERVICE_API_SUBJECT, { type: 'deploy', app: huge });
  await eventually(
    async () => (await app('/web/huge'))?.deployment === undefined,
    'the first version to deploy',
    30_000,
  );
  await request(nc, SERVICE_API_SUBJECT, { type: 'deploy', app: { ...huge, mem: 100_000 } });
  const deployment = await eventually(async () => (await app('/web/huge'))?.deployment, 'a deployment in progress');
  await page.goto(`${cluster.masterHttpUrl}/#/apps/web/huge`);
  await act(page, 'Cancel deployment');
  await eventually(async () => {
    const a = await app('/web/huge');
    return a !== undefined && a.deployment?.id !== deployment.id;
  }, 'the deployment to be cancelled');
  await act(page, 'Remove');
  await eventually(async () => (await app('/web/huge')) === undefined, 'the app to be removed');
  await page.waitForURL(/#\/apps$/);

  await page.goto(`${cluster.masterHttpUrl}/#/jobs/report`);
  await page.getByRole('heading', { name: 'Job report' }).waitFor();
  await act(page, 'Run now');
  await eventually(
    async () =>
      (await api<{ runs: { state: string }[] }>('/api/v1/jobs/report/runs')).runs.some((r) => r.state === 'SUCCEEDED'),
    'the run to succeed',
    30_000,
  );
  await page.screenshot({ path: shot('console-job') });
  await page.close();
});

it("shows an app's DNS names, load balancer port and autoscaling state", async () => {
  const lbPort = await freePort(); // only declared here: no haproxy runs in this test
  await request(nc, SERVICE_API_SUBJECT, {
    type: 'deploy',
    app: {
      id: '/shop/cart',
      cmd: 'sleep 1000',
      instances: 1,
      cpus: 0.1,
      mem: 16,
      ports: [0],
      loadBalancer: { port: lbPort, mode: 'tcp' },
      autoscale: { min: 1, max: 3, metric: 'cpu', target: 0.5, stabilizationSeconds: 600 },
    },
  });
  await eventually(async () => (await app('/shop/cart'))?.deployment === undefined, 'the app to deploy', 30_000);
  const page = await openPage(browser, viewer, { viewport: { width: 1280, height: 800 } });
  await page.goto(`${cluster.masterHttpUrl}/#/apps/shop/cart`);
  await page.getByRole('heading', { name: 'App /shop/cart' }).waitFor();
  await page.getByText('cart.shop.agora. (A), _port0._tcp.cart.shop.agora. (SRV)').waitFor();
  await page.getByText(`port ${lbPort} (tcp)`).waitFor();
  await page.getByText(/^1–3 instances, cpu toward 0\.5 of requested: /).waitFor();
  await page.close();
});
