/**
 * The status page in a real browser against a real cluster: the agent and a running task, the task's page
 * with a line it printed to stdout (followed live), an app and a job through the frameworks' APIs, tasks
 * filtered by state, sorting by a header with the keyboard, dark mode, and the unreachable banner.
 */
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { connectNats, createLogger, request, type NatsConnection } from 'agora/sdk';
import { SERVICE_API_SUBJECT } from 'agora/sdk/service';
import { CRON_API_SUBJECT } from 'agora/sdk/cron';
import { startCronFramework, type CronFramework } from '../../frameworks/cron/framework';
import { startService, type RunningService } from '../../frameworks/service/main';
import { startHttp } from '../../master/http/server';
import { eventually, startCluster, type TestCluster } from '../harness/cluster';
import { QueueFramework } from '../harness/queue-framework';
import { launchBrowser, openPage, shot } from './browser';

jest.setTimeout(180_000);

let cluster: TestCluster;
let fw: QueueFramework;
let browser: Browser;
let page: Page;
let svc: RunningService;
let cron: CronFramework;
let nc: NatsConnection;
const quiet = createLogger('test', { level: 'silent' });

beforeAll(async () => {
  cluster = await startCluster();
  fw = new QueueFramework(cluster.natsUrl, { name: 'page-test' });
  await fw.driver.start();
  fw.add({
    taskId: 'talker',
    resources: 'cpus:0.1;mem:32',
    command: 'echo "hello from the sandbox"; i=0; while true; do i=$((i+1)); echo "tick $i"; sleep 0.5; done',
  });
  fw.add({ taskId: 'quick', resources: 'cpus:0.1;mem:32', command: 'echo done' });
  svc = await startService({
    natsUrl: cluster.natsUrl,
    dataDir: join(cluster.dir, 'service'),
    tickMs: 200,
    log: quiet,
  });
  cron = await startCronFramework({ natsUrl: cluster.natsUrl, dataDir: join(cluster.dir, 'cron'), log: quiet });
  nc = await connectNats({ servers: cluster.natsUrl, name: 'page-test' });
  await request(nc, SERVICE_API_SUBJECT, {
    type: 'deploy',
    app: { id: '/web/frontend', cmd: 'sleep 1000', instances: 1, cpus: 0.1, mem: 16 },
  });
  await request(nc, CRON_API_SUBJECT, {
    type: 'submit',
    job: { name: 'nightly-report', schedule: '0 3 * * *', cmd: 'echo report', cpus: 0.1, mem: 32 },
  });
  await eventually(
    () => fw.latest.get('talker')?.state === 'TASK_RUNNING' && fw.latest.get('quick')?.state === 'TASK_FINISHED',
    'tasks running and finished',
  );
  browser = await launchBrowser();
  page = await openPage(browser, cluster.token, { viewport: { width: 1280, height: 860 } });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await nc?.drain().catch(() => undefined);
  await svc?.stop().catch(() => undefined);
  await cron?.stop({ failover: false }).catch(() => undefined);
  await fw?.driver.stop({ failover: false }).catch(() => undefined);
  await cluster?.stop();
});

it('shows the overview with the agent, resources, tasks and the utilization chart', async () => {
  await page.goto(cluster.masterHttpUrl);
  await page.getByRole('heading', { name: 'Resources' }).waitFor();
  await page.getByText('1 up').waitFor();
  await page.locator('svg.chart').waitFor();
  expect(await page.getByRole('meter', { name: 'cpus' }).getAttribute('aria-valuemax')).toBe('4');
  await page.screenshot({ path: shot('overview'), fullPage: true });
});

it('lists the agent and opens its page with the running task', async () => {
  await page.getByRole('link', { name: 'Agents', exact: true }).click();
  await page.getByRole('link', { name: 'agent-0' }).click();
  await page.getByRole('heading', { name: 'Agent agent-0' }).waitFor();
  await page.getByRole('link', { name: 'talker' }).waitFor();
  await page.screenshot({ path: shot('agent'), fullPage: true });
});

it('opens a running task and reads what it printed, following new lines', async () => {
  await page.getByRole('link', { name: 'talker' }).click();
  await page.getByRole('heading', { name: 'Task talker' }).waitFor();
  const log = page.getByLabel('task output');
  await expect(log).toBeDefined();
  await eventually(
    async () => (await log.textContent())?.includes('hello from the sandbox'),
    'stdout line on the page',
  );
  const ticks = async () => Number(/tick (\d+)\s*$/.exec((await log.textContent()) ?? '')?.[1] ?? 0);
  const before = await ticks();
  await eventually(async () => (await ticks()) > before + 1, 'followed output grows');
  await page.screenshot({ path: shot('task'), fullPage: true });
});

it('filters tasks by state and sorts by a header with the keyboard', async () => {
  await page.goto(`${cluster.masterHttpUrl}/#/tasks`);
  await page.getByRole('link', { name: 'talker' }).waitFor();
  await page.locator('#filter-state').selectOption('TASK_FINISHED');
  await page.getByRole('link', { name: 'quick' }).waitFor();
  await eventually(
    async () => (await page.getByRole('link', { name: 'talker' }).count()) === 0,
    'running task filtered out',
  );
  expect(page.url()).toContain('state=TASK_FINISHED');
  await page.locator('#filter-state').selectOption('');
  await page.getByRole('link', { name: 'talker' }).waitFor();
  const nameHeader = page.getByRole('button', { name: /^Name/ });
  await nameHeader.focus();
  await page.keyboard.press('Enter');
  await eventually(
    async () => (await page.locator('th[aria-sort="ascending"]').textContent())?.startsWith('Name'),
    'sorted by name',
  );
  const names = await page.locator('tbody tr td:first-child').allTextContents();
  expect(names.slice(0, 2)).toEqual([...names.slice(0, 2)].sort());
  await page.screenshot({ path: shot('tasks'), fullPage: true });
});

it('updates the tasks page live from the event stream, without a reload', async () => {
  await page.goto(`${cluster.masterHttpUrl}/#/tasks?state=TASK_RUNNING`);
  await page.getByRole('link', { name: 'talker' }).waitFor();
  await page.evaluate(() => {
    (globalThis as unknown as { sameDocument: boolean }).sameDocument = true;
  }); // a reload would lose it
  fw.add({ taskId: 'latecomer', resources: 'cpus:0.1;mem:32', command: 'sleep 600' });
  await page.getByRole('link', { name: 'latecomer' }).waitFor({ timeout: 15_000 });
  expect(await page.evaluate(() => (globalThis as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true);
});

it('shows an app of the service framework and a job of the cron framework', async () => {
  await page.goto(`${cluster.masterHttpUrl}/#/apps`);
  await page.getByRole('link', { name: '/web/frontend' }).waitFor();
  await page.getByRole('link', { name: 'nightly-report' }).waitFor();
  await eventually(
    async () => /1 running/.test((await page.locator('tr[data-key="/web/frontend"]').textContent()) ?? ''),
    'app instance running',
    20_000,
  );
  await page.screenshot({ path: shot('apps'), fullPage: true });
  await page.getByRole('link', { name: '/web/frontend' }).click();
  await page.getByRole('heading', { name: 'App /web/frontend' }).waitFor();
  await page.getByRole('table', { name: 'Instances' }).getByText('RUNNING').waitFor();
  await page.screenshot({ path: shot('app') });
  await page.goBack();
  await page.getByRole('link', { name: 'nightly-report' }).click();
  await page.getByRole('heading', { name: 'Job nightly-report' }).waitFor();
  await page.getByText('0 3 * * *').first().waitFor();
  await page.screenshot({ path: shot('job') });
});

it('reads well in dark mode and shows the frameworks and roles', async () => {
  const dark = await openPage(browser, cluster.token, { viewport: { width: 1280, height: 700 }, colorScheme: 'dark' });
  await dark.goto(`${cluster.masterHttpUrl}/#/frameworks`);
  await dark.getByRole('link', { name: 'page-test' }).waitFor();
  await dark.getByRole('table', { name: 'Roles' }).waitFor();
  const bg = await dark
    .locator('body')
    .evaluate(
      (body) =>
        (
          body.ownerDocument.defaultView as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }
        ).getComputedStyle(body).backgroundColor,
    );
  expect(bg).toBe('rgb(15, 18, 22)');
  await dark.screenshot({ path: shot('frameworks-dark'), fullPage: true });
  await dark.close();
});

it('says when the master is unreachable and recovers when it returns', async () => {
  await page.goto(`${cluster.masterHttpUrl}/#/`);
  await page.getByRole('heading', { name: 'Resources' }).waitFor();
  const port = Number(new URL(cluster.masterHttpUrl).port);
  await cluster.master.http.close(); // the master's HTTP side goes away: the event stream breaks
  const banner = page.locator('#banner');
  await banner.waitFor({ state: 'visible' });
  expect(await banner.textContent()).toContain('The master is unreachable');
  await page.screenshot({ path: shot('unreachable') });
  const again = await startHttp(cluster.master.master, { host: '127.0.0.1', port });
  try {
    await banner.waitFor({ state: 'hidden', timeout: 10_000 });
    await page.getByText('1 up').waitFor();
  } finally {
    await again.close();
  }
});
