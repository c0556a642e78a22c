/**
 * Status page benchmark: page time (navigation start → first screen of task rows, `performance.now()` in the
 * browser) of the tasks view in Debian's Chromium, with 0, 10,000 and 100,000 tasks in a real master, plus the
 * server time of the `/api/v1/tasks?limit=100` call the view makes. The task records are put into the master's
 * state directly (test/harness/bulk-tasks.ts); a real nats-server and agent run underneath.
 *
 * The anchor is the same page with no tasks, measured in the same run: ratios to it say what the number of
 * tasks costs, whatever this machine's speed today (it varies 3–8× between runs). Target (issue 15): ≤ 1 s of
 * page time at 100k tasks.
 *
 *   npm run bench:page                   0, 10k and 100k tasks, 5 navigations each (median reported)
 *   npm run bench:page -- 10000 50000    chosen sizes (0 is always measured first)
 *   npm run bench:page -- --json         one JSON object on the last line
 */
import { loadavg } from 'node:os';
import type { Browser } from 'playwright-core';
import { startCluster } from '../test/harness/cluster';
import { addBulkTasks, removeBulkTasks } from '../test/harness/bulk-tasks';
import { launchBrowser, openPage } from '../test/page/browser';
import { withToken } from '../test/harness/auth';

const ROUNDS = 5;
const args = process.argv.slice(2);
const json = args.includes('--json');
const sizes = args.filter((a) => /^\d+$/.test(a)).map(Number);
const SIZES = [0, ...(sizes.length ? sizes : [10_000, 100_000])];

interface Row {
  tasks: number;
  firstScreenMs: number;
  apiMs: number;
  rounds: number[];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function firstScreen(browser: Browser, url: string, token: string, tasks: number): Promise<number> {
  const page = await openPage(browser, token, { viewport: { width: 1280, height: 900 } });
  try {
    // The first screen is the rows drawn from the view's own /api/v1/tasks answer (for 0 tasks, the empty row).
    const answered = page.waitForResponse((r) => r.url().includes('/api/v1/tasks?'), { timeout: 120_000 });
    await page.goto(`${url}/#/tasks`);
    await answered;
    await page
      .locator(tasks > 0 ? 'tbody tr[data-key]' : 'tbody td.empty')
      .first()
      .waitFor({ timeout: 120_000 });
    return await page.evaluate(() => performance.now());
  } finally {
    await page.close();
  }
}

async function apiTime(url: string, token: string): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = performance.now();
    const res = await fetch(`${url}/api/v1/tasks?limit=100`, withToken(token));
    await res.arrayBuffer();
    times.push(performance.now() - t0);
  }
  return median(times);
}

async function main(): Promise<void> {
  process.env.AGORA_LOG_LEVEL ??= 'warn';
  const cluster = await startCluster();
  const browser = await launchBrowser();
  const m = cluster.master.master;
  const rows: Row[] = [];
  try {
    // Warm: the page's assets are built on first request and then cached.
    await firstScreen(browser, cluster.masterHttpUrl, cluster.token, 0).catch(() => 0);
    for (const n of SIZES) {
      removeBulkTasks(m);
      if (n > 0) addBulkTasks(m, n);
      const rounds: number[] = [];
      for (let i = 0; i < ROUNDS; i++) rounds.push(await firstScreen(browser, cluster.masterHttpUrl, cluster.token, n));
      rows.push({
        tasks: n,
        firstScreenMs: median(rounds),
        apiMs: await apiTime(cluster.masterHttpUrl, cluster.token),
        rounds,
      });
      if (!json) process.stderr.write(`  ${n} tasks: ${rounds.map((r) => r.toFixed(0)).join(' ')} ms\n`);
    }
  } finally {
    removeBulkTasks(m);
    await browser.close();
    await cluster.stop();
  }
  const anchor = rows[0];
  console.log(`tasks page, first screen (median of ${ROUNDS} navigations), load average ${loadavg()[0].toFixed(2)}`);
  console.log('tasks      page ms   × empty   api ms (limit=100)   × empty');
  for (const r of rows) {
    console.log(
      `${String(r.tasks).padStart(7)}  ${r.firstScreenMs.toFixed(0).padStart(8)}  ${(r.firstScreenMs / anchor.firstScreenMs).toFixed(2).padStart(8)}  ${r.apiMs.toFixed(1).padStart(19)}  ${(r.apiMs / anchor.apiMs).toFixed(2).padStart(8)}`,
    );
  }
  if (json) console.log(JSON.stringify({ loadavg: loadavg()[0], rows }));
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
