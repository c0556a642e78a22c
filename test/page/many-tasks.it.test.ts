/**
 * 10,000 tasks in the master: the tasks page shows the first screen of rows, the total, filters by state and
 * pages through the filtered set. The records are inserted into the master's state directly, as if launched:
 * what is exercised is the API and the page, not 10,000 processes. How *fast* this is lives in
 * `npm run bench:page` (docs/performance.md), never in a test.
 */
import type { Browser } from 'playwright-core';
import { startCluster, type TestCluster } from '../harness/cluster';
import { addBulkTasks, removeBulkTasks } from '../harness/bulk-tasks';
import { launchBrowser, openPage, shot } from './browser';

jest.setTimeout(360_000);

const N = 10_000;
let cluster: TestCluster;
let browser: Browser;

beforeAll(async () => {
  cluster = await startCluster();
  addBulkTasks(cluster.master.master, N);
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  removeBulkTasks(cluster?.master.master);
  await cluster?.stop();
});

it('shows the first screen of 10,000 tasks, filters by state and pages', async () => {
  const page = await openPage(browser, cluster.token, { viewport: { width: 1280, height: 900 } });
  await page.goto(`${cluster.masterHttpUrl}/#/tasks`);
  await page.locator('tbody tr[data-key]').first().waitFor();
  expect(await page.locator('tbody tr[data-key]').count()).toBe(100);
  await page.getByText(`of ${N}`).waitFor();
  await page.screenshot({ path: shot('tasks-10k') });

  await page.locator('#filter-state').selectOption('TASK_STAGING');
  await page.getByText(`of ${N / 10}`).waitFor();
  await page.getByRole('button', { name: 'next page' }).click();
  await page.getByText(`101–200 of ${N / 10}`).waitFor();
  const states = await page.locator('tbody tr[data-key]').evaluateAll((rows) => rows.map((r) => r.textContent ?? ''));
  expect(states).toHaveLength(100);
  for (const row of states) expect(row.toLowerCase()).toContain('staging');
  await page.close();
});
