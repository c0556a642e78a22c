import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobSpecSchema } from 'agora/sdk/cron';
import { CronStore } from './store';

const spec = (name: string, extra: object = {}) =>
  JobSpecSchema.parse({ name, cmd: 'true', schedule: '*/2 * * * * *', ...extra });

describe('CronStore', () => {
  let store: CronStore;
  beforeEach(() => {
    store = new CronStore(':memory:');
    store.putJob(spec('a'), 1000);
  });
  afterEach(() => store.close());

  it('decides a slot exactly once and moves the cursor', () => {
    const run = store.decideSlot('a', 'schedule', 2000, { decision: 'claimed', dueAt: 2000 }, 2100);
    expect(run).toMatchObject({
      job: 'a',
      scheduledAt: 2000,
      trigger: 'schedule',
      attempt: 1,
      state: 'QUEUED',
      dueAt: 2000,
    });
    expect(store.decideSlot('a', 'schedule', 2000, { decision: 'claimed', dueAt: 2000 }, 2200)).toBeNull();
    expect(
      store.decideSlot(
        'a',
        'schedule',
        2000,
        { decision: 'missed', reason: 'EPSILON_EXCEEDED', message: 'late' },
        2200,
      ),
    ).toBeNull();
    expect(store.getJob('a')!.cursorMs).toBe(2000);
    expect(store.activeRuns().map((r) => r.id)).toEqual([run!.id]);
  });

  it('records a missed slot as an ended MISSED run with its reason', () => {
    const run = store.decideSlot(
      'a',
      'schedule',
      4000,
      { decision: 'missed', reason: 'FORBID_OVERLAP', message: 'run 1 still active' },
      4100,
    );
    expect(run).toMatchObject({
      state: 'MISSED',
      reason: 'FORBID_OVERLAP',
      message: 'run 1 still active',
      endedAt: 4100,
    });
    expect(store.activeRuns()).toEqual([]);
  });

  it('walks a run through launch, duplicate ends, retry and stats', () => {
    const run = store.decideSlot('a', 'schedule', 2000, { decision: 'claimed', dueAt: 2000 }, 2000)!;
    expect(store.markLaunched(run.id, 'cron.a.1', 'agent-1', 2050)).toBe(true);
    expect(store.markLaunched(run.id, 'cron.a.1', 'agent-1', 2060)).toBe(false);
    expect(store.finishRun(run.id, { state: 'FAILED', reason: 'EXITED', exitCode: 3 }, 2500)).toBe(true);
    expect(store.finishRun(run.id, { state: 'SUCCEEDED', reason: 'EXITED', exitCode: 0 }, 2600)).toBe(false);
    expect(store.getRun(run.id)).toMatchObject({
      state: 'FAILED',
      exitCode: 3,
      startedAt: 2050,
      endedAt: 2500,
      taskId: 'cron.a.1',
      agentId: 'agent-1',
    });
    const retry = store.insertRetry(store.getRun(run.id)!, 2, 12_500, 2500);
    expect(retry).toMatchObject({ scheduledAt: 2000, trigger: 'retry', attempt: 2, state: 'QUEUED', dueAt: 12_500 });
    store.markLaunched(retry.id, 'cron.a.2', 'agent-1', 12_600);
    store.finishRun(retry.id, { state: 'SUCCEEDED', reason: 'EXITED', exitCode: 0 }, 13_000);
    expect(store.stats('a')).toEqual({ succeeded: 1, finished: 2, lastSuccessMs: 13_000 });
    expect(store.lastSuccessMs('a')).toBe(13_000);
    expect(store.lastSuccessMs('nobody')).toBeNull();
    expect(store.history('a', 10).map((r) => r.id)).toEqual([retry.id, run.id]);
    expect(store.history('a', 10, retry.id).map((r) => r.id)).toEqual([run.id]);
  });

  it('keeps a kill reason and reverts a refused launch', () => {
    const run = store.decideSlot('a', 'schedule', 2000, { decision: 'claimed', dueAt: 2000 }, 2000)!;
    store.markLaunched(run.id, 't', 'ag', 2001);
    store.setKillReason(run.id, 'TIMEOUT');
    store.setKillReason(run.id, 'REPLACED');
    expect(store.getRun(run.id)!.killReason).toBe('TIMEOUT');
    store.unlaunch(run.id);
    expect(store.getRun(run.id)).toMatchObject({ state: 'QUEUED' });
    expect(store.getRun(run.id)!.taskId).toBeUndefined();
  });

  it('gives manual runs distinct slots even in the same millisecond', () => {
    const r1 = store.claimManual('a', 5000);
    const r2 = store.claimManual('a', 5000);
    expect([r1.scheduledAt, r2.scheduledAt]).toEqual([5000, 5001]);
    expect(r1.trigger).toBe('manual');
  });

  it('restarts the schedule from now on a schedule change or enable, not on other edits', () => {
    store.decideSlot('a', 'schedule', 2000, { decision: 'claimed', dueAt: 2000 }, 2000);
    store.putJob(spec('a', { cpus: 2 }), 9000);
    expect(store.getJob('a')!.cursorMs).toBe(2000);
    store.putJob(spec('a', { schedule: '@hourly' }), 9000);
    expect(store.getJob('a')!.cursorMs).toBe(9000);
    store.setDisabled('a', true, 10_000);
    expect(store.getJob('a')!.spec.disabled).toBe(true);
    store.setDisabled('a', false, 20_000);
    expect(store.getJob('a')).toMatchObject({ cursorMs: 20_000, spec: { disabled: false } });
  });

  it('prunes old ended runs and ledger rows but never active runs', () => {
    for (let i = 1; i <= 5; i++) {
      const r = store.decideSlot('a', 'schedule', i * 1000 + 1000, { decision: 'claimed', dueAt: 0 }, i * 1000)!;
      if (i < 5) store.finishRun(r.id, { state: 'SUCCEEDED', reason: 'EXITED' }, i * 1000);
    }
    expect(store.prune(2, 1_000_000, 10_000).runs).toBe(2);
    expect(store.history('a', 10).map((r) => r.state)).toEqual(['QUEUED', 'SUCCEEDED', 'SUCCEEDED']);
    expect(store.prune(100, 1500, 10_000)).toEqual({ runs: 2, ledger: 5 });
    expect(store.history('a', 10).map((r) => r.state)).toEqual(['QUEUED']);
  });

  it('survives a reopen of its file (WAL)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cron-store-'));
    try {
      const file = join(dir, 'cron.db');
      const s1 = new CronStore(file);
      s1.putJob(spec('b'), 1000);
      s1.decideSlot('b', 'schedule', 2000, { decision: 'claimed', dueAt: 2000 }, 2000);
      s1.setMeta('frameworkId', 'cron-123');
      s1.close();
      const s2 = new CronStore(file);
      expect(s2.getMeta('frameworkId')).toBe('cron-123');
      expect(s2.isDecided('b', 'schedule', 2000)).toBe(true);
      expect(s2.decideSlot('b', 'schedule', 2000, { decision: 'claimed', dueAt: 2000 }, 3000)).toBeNull();
      s2.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a database from before run parameters and notifications', () => {
  it('gains the params column and reads old jobs with empty parameters and notify', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cron-store-old-'));
    const path = join(dir, 'cron.db');
    const old = new Database(path);
    old.exec(`CREATE TABLE jobs (name TEXT PRIMARY KEY, spec TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, cursor_ms INTEGER NOT NULL, dep_watermark_ms INTEGER NOT NULL);
      CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, job TEXT NOT NULL, scheduled_at INTEGER NOT NULL, trigger TEXT NOT NULL,
        attempt INTEGER NOT NULL, state TEXT NOT NULL, due_at INTEGER NOT NULL, started_at INTEGER, ended_at INTEGER, exit_code INTEGER, reason TEXT,
        message TEXT, agent_id TEXT, task_id TEXT, kill_reason TEXT, created_at INTEGER NOT NULL);`);
    old
      .prepare('INSERT INTO jobs VALUES (?, ?, 0, 0, 0, 0)')
      .run('legacy', JSON.stringify({ name: 'legacy', cmd: 'true', env: {} }));
    old.close();
    const store = new CronStore(path);
    try {
      expect(store.getJob('legacy')!.spec).toMatchObject({ parameters: [], notify: [] });
      const run = store.claimManual('legacy', 1000, { DATE: 'd' });
      expect(store.getRun(run.id)!.parameters).toEqual({ DATE: 'd' });
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
