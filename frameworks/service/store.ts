/**
 * The service framework's durable state, in better-sqlite3 (WAL) under its data dir: the framework id, apps
 * (current definition, version, backoff), every version's definition, deployments, and instances — each
 * instance is one task, so the instances table is the task ↔ instance mapping.
 *
 * Rows hold JSON bodies beside the keys they are looked up by; every multi-row change is one transaction.
 * An instance is written before its task is launched, so a crash between the two is found by reconciliation
 * (TASK_UNKNOWN) rather than leaving a task nobody knows.
 *
 * synchronous=FULL: that promise needs the instance row on disk before the launch (in WAL mode NORMAL loses the
 * last commits to a power cut, and the task would then run on another host with no instance knowing it), and an
 * app definition acknowledged to `agora app deploy` must not vanish. One fsync per change; changes are per
 * deployment step, not per second.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AppDefinition } from 'agora/sdk/service';
import type { Change } from './core/deployments';
import type { App, Deployment, Instance } from './core/types';
import type { VolumeRecord } from './core/volumes';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS apps (id TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS versions (app_id TEXT NOT NULL, version INTEGER NOT NULL, def TEXT NOT NULL, created_at INTEGER NOT NULL,
  PRIMARY KEY (app_id, version));
CREATE TABLE IF NOT EXISTS deployments (id TEXT PRIMARY KEY, app_id TEXT NOT NULL, state TEXT NOT NULL, created_at INTEGER NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS instances (instance_id TEXT PRIMARY KEY, task_id TEXT NOT NULL UNIQUE, app_id TEXT NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS volumes (persistence_id TEXT PRIMARY KEY, app_id TEXT NOT NULL, body TEXT NOT NULL);
`;

/** Finished deployments kept for `agora deployments --all`. */
export const DEPLOYMENT_HISTORY = 200;

export interface Loaded {
  apps: Map<string, App>;
  versions: Map<string, Map<number, AppDefinition>>;
  deployments: Map<string, Deployment>;
  instances: Map<string, Instance>;
}

export class ServiceStore {
  private constructor(private readonly db: Database.Database) {}

  static open(dataDir: string): ServiceStore {
    mkdirSync(dataDir, { recursive: true });
    const db = new Database(join(dataDir, 'service.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec(SCHEMA);
    return new ServiceStore(db);
  }

  frameworkId(): string | undefined {
    const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get('framework_id') as
      { value: string } | undefined;
    return row?.value;
  }

  setFrameworkId(id: string): void {
    this.db
      .prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value')
      .run('framework_id', id);
  }

  load(): Loaded {
    const apps = new Map<string, App>();
    for (const r of this.db.prepare('SELECT body FROM apps').all() as { body: string }[]) {
      const a = JSON.parse(r.body) as App;
      apps.set(a.def.id, a);
    }
    const versions = new Map<string, Map<number, AppDefinition>>();
    for (const r of this.db.prepare('SELECT app_id, version, def FROM versions').all() as {
      app_id: string;
      version: number;
      def: string;
    }[]) {
      const m = versions.get(r.app_id) ?? new Map<number, AppDefinition>();
      m.set(r.version, JSON.parse(r.def) as AppDefinition);
      versions.set(r.app_id, m);
    }
    const deployments = new Map<string, Deployment>();
    for (const r of this.db.prepare('SELECT body FROM deployments ORDER BY created_at').all() as { body: string }[]) {
      const d = JSON.parse(r.body) as Deployment;
      deployments.set(d.id, d);
    }
    const instances = new Map<string, Instance>();
    for (const r of this.db.prepare('SELECT body FROM instances').all() as { body: string }[]) {
      const i = JSON.parse(r.body) as Instance;
      instances.set(i.instanceId, i);
    }
    return { apps, versions, deployments, instances };
  }

  /** Writes a deployment change (app, new version, deployments) atomically. */
  applyChange(change: Change, now: number): void {
    this.db.transaction(() => {
      if (change.app) this.putApp(change.app);
      if (change.newVersion) {
        this.db
          .prepare('INSERT OR REPLACE INTO versions (app_id, version, def, created_at) VALUES (?, ?, ?, ?)')
          .run(change.newVersion.appId, change.newVersion.version, JSON.stringify(change.newVersion.def), now);
      }
      for (const d of change.deployments) this.putDeployment(d);
    })();
  }

  putApp(app: App): void {
    this.db.prepare('INSERT OR REPLACE INTO apps (id, body) VALUES (?, ?)').run(app.def.id, JSON.stringify(app));
  }

  /** Forgets an app and its versions (its deployments stay in the history). */
  deleteApp(appId: string): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM apps WHERE id = ?').run(appId);
      this.db.prepare('DELETE FROM versions WHERE app_id = ?').run(appId);
    })();
  }

  putDeployment(d: Deployment): void {
    this.db
      .prepare('INSERT OR REPLACE INTO deployments (id, app_id, state, created_at, body) VALUES (?, ?, ?, ?, ?)')
      .run(d.id, d.appId, d.state, d.createdAt, JSON.stringify(d));
  }

  /** Drops the oldest finished deployments beyond the history size. */
  pruneDeployments(keep = DEPLOYMENT_HISTORY): void {
    this.db
      .prepare(
        `DELETE FROM deployments WHERE state NOT IN ('RUNNING', 'PAUSED') AND id NOT IN (
      SELECT id FROM deployments WHERE state NOT IN ('RUNNING', 'PAUSED') ORDER BY created_at DESC LIMIT ?)`,
      )
      .run(keep);
  }

  putInstance(i: Instance): void {
    this.db
      .prepare('INSERT OR REPLACE INTO instances (instance_id, task_id, app_id, body) VALUES (?, ?, ?, ?)')
      .run(i.instanceId, i.taskId, i.appId, JSON.stringify(i));
  }

  putInstances(list: readonly Instance[]): void {
    this.db.transaction(() => {
      for (const i of list) this.putInstance(i);
    })();
  }

  deleteInstance(instanceId: string): void {
    this.db.prepare('DELETE FROM instances WHERE instance_id = ?').run(instanceId);
  }

  instanceByTask(taskId: string): Instance | undefined {
    const row = this.db.prepare('SELECT body FROM instances WHERE task_id = ?').get(taskId) as
      { body: string } | undefined;
    return row ? (JSON.parse(row.body) as Instance) : undefined;
  }

  /** Persistent volumes the framework made (core/volumes.ts). */
  loadVolumes(): VolumeRecord[] {
    return (this.db.prepare('SELECT body FROM volumes').all() as { body: string }[]).map(
      (r) => JSON.parse(r.body) as VolumeRecord,
    );
  }

  putVolumes(list: readonly VolumeRecord[]): void {
    const put = this.db.prepare('INSERT OR REPLACE INTO volumes (persistence_id, app_id, body) VALUES (?, ?, ?)');
    this.db.transaction(() => {
      for (const v of list) put.run(v.persistenceId, v.appId, JSON.stringify(v));
    })();
  }

  deleteVolumes(ids: readonly string[]): void {
    const del = this.db.prepare('DELETE FROM volumes WHERE persistence_id = ?');
    this.db.transaction(() => {
      for (const id of ids) del.run(id);
    })();
  }

  close(): void {
    this.db.close();
  }
}
