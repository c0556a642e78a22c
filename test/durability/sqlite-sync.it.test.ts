/**
 * Every SQLite store promises that what it acknowledged survives power loss (docs/architecture.md, "What
 * survives power loss"): each opens its connection with synchronous=FULL (2). Power cannot be cut in a test;
 * what can be checked is that the connection each store writes through has the setting.
 */
import type Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from '../../master/registry';
import { Checkpoint } from '../../agent/checkpoint';
import { CronStore } from '../../frameworks/cron/store';
import { ServiceStore } from '../../frameworks/service/store';

const dir = mkdtempSync(join(tmpdir(), 'agora-sync-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FULL = 2;
const syncOf = (store: object): unknown =>
  (store as { db: Database.Database }).db.pragma('synchronous', { simple: true });
const journalOf = (store: object): unknown =>
  (store as { db: Database.Database }).db.pragma('journal_mode', { simple: true });

it.each([
  ['master registry', () => new Registry(join(dir, 'master'))],
  ['agent checkpoint and outbox', () => new Checkpoint(join(dir, 'agent'))],
  ['cron store (fire ledger)', () => new CronStore(join(dir, 'cron.db'))],
  ['service store', () => ServiceStore.open(join(dir, 'service'))],
])('%s: WAL with synchronous=FULL', (_name, open) => {
  const store = open();
  expect(journalOf(store)).toBe('wal');
  expect(syncOf(store)).toBe(FULL);
  (store as unknown as { close(): void }).close();
});
