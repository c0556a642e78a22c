/**
 * The master's registry: what must survive a master restart — admitted agents, frameworks (with their
 * failover timeouts), dynamic reservations, role weights and quotas, maintenance. better-sqlite3 in WAL mode;
 * every write is synchronous and done before the change is acknowledged to anyone, and with synchronous=FULL
 * each commit is fsynced first: a reservation, quota or drain an operator was told is done survives power loss
 * (NORMAL survives only a process crash). Writes are rare (registrations, operator changes): the fsync is cheap.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentInfo, FrameworkInfo } from '../sdk';
import type { RegistryChange } from './core/effects';
import type { CoreSnapshot } from './core/snapshot';

export interface RegistryFramework {
  info: FrameworkInfo;
  registeredAt: number;
  removedAt?: number;
}
export interface RegistryAgent {
  info: AgentInfo;
  registeredAt: number;
  removedAt?: number;
  reservations: string;
  drain?: { deadline: number; drained: boolean };
}
export interface RegistryRole {
  role: string;
  weight: number;
  guarantee?: string;
  limit?: string;
}

type FrameworkRow = { info: string; registered_at: number; removed_at: number | null };
type AgentRow = {
  info: string;
  registered_at: number;
  removed_at: number | null;
  reservations: string;
  drain: string | null;
};
const frameworkOf = (r: FrameworkRow): RegistryFramework => ({
  info: JSON.parse(r.info),
  registeredAt: r.registered_at,
  removedAt: r.removed_at ?? undefined,
});
const agentOf = (r: AgentRow): RegistryAgent => ({
  info: JSON.parse(r.info),
  registeredAt: r.registered_at,
  removedAt: r.removed_at ?? undefined,
  reservations: r.reservations,
  drain: r.drain ? JSON.parse(r.drain) : undefined,
});

export class Registry {
  private readonly db: Database.Database;
  private readonly frameworkById: Database.Statement;
  private readonly agentById: Database.Statement;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.db = new Database(join(dataDir, 'registry.db'));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS frameworks (id TEXT PRIMARY KEY, info TEXT NOT NULL, registered_at INTEGER NOT NULL, removed_at INTEGER);
      CREATE TABLE IF NOT EXISTS agents (id TEXT PRIMARY KEY, info TEXT NOT NULL, registered_at INTEGER NOT NULL, removed_at INTEGER,
        reservations TEXT NOT NULL DEFAULT '', drain TEXT);
      CREATE TABLE IF NOT EXISTS roles (role TEXT PRIMARY KEY, weight REAL NOT NULL DEFAULT 1, guarantee TEXT, quota_limit TEXT);
    `);
    this.frameworkById = this.db.prepare('SELECT * FROM frameworks WHERE id = ?');
    this.agentById = this.db.prepare('SELECT * FROM agents WHERE id = ?');
  }

  upsertFramework(info: FrameworkInfo, now: number): void {
    this.db
      .prepare(
        `INSERT INTO frameworks (id, info, registered_at) VALUES (?, ?, ?)
      ON CONFLICT(id) DO UPDATE SET info = excluded.info`,
      )
      .run(info.id, JSON.stringify(info), now);
  }
  removeFramework(id: string, now: number): void {
    this.db.prepare('UPDATE frameworks SET removed_at = ? WHERE id = ?').run(now, id);
  }
  frameworks(): RegistryFramework[] {
    return (this.db.prepare('SELECT * FROM frameworks').all() as FrameworkRow[]).map(frameworkOf);
  }
  /** One framework by id (a keyed lookup: it runs for every status update). */
  framework(id: string): RegistryFramework | undefined {
    const row = this.frameworkById.get(id) as FrameworkRow | undefined;
    return row ? frameworkOf(row) : undefined;
  }

  upsertAgent(info: AgentInfo, now: number): void {
    this.db
      .prepare(
        `INSERT INTO agents (id, info, registered_at) VALUES (?, ?, ?)
      ON CONFLICT(id) DO UPDATE SET info = excluded.info, removed_at = NULL`,
      )
      .run(info.id, JSON.stringify(info), now);
  }
  removeAgent(id: string, now: number): void {
    this.db.prepare('UPDATE agents SET removed_at = ? WHERE id = ?').run(now, id);
  }
  setReservations(id: string, text: string): void {
    this.db.prepare('UPDATE agents SET reservations = ? WHERE id = ?').run(text, id);
  }
  setDrain(id: string, drain: { deadline: number; drained: boolean } | undefined): void {
    this.db.prepare('UPDATE agents SET drain = ? WHERE id = ?').run(drain ? JSON.stringify(drain) : null, id);
  }
  agents(): RegistryAgent[] {
    return (this.db.prepare('SELECT * FROM agents').all() as AgentRow[]).map(agentOf);
  }
  agent(id: string): RegistryAgent | undefined {
    const row = this.agentById.get(id) as AgentRow | undefined;
    return row ? agentOf(row) : undefined;
  }

  setRole(r: RegistryRole): void {
    this.db
      .prepare(
        `INSERT INTO roles (role, weight, guarantee, quota_limit) VALUES (?, ?, ?, ?)
      ON CONFLICT(role) DO UPDATE SET weight = excluded.weight, guarantee = excluded.guarantee, quota_limit = excluded.quota_limit`,
      )
      .run(r.role, r.weight, r.guarantee ?? null, r.limit ?? null);
  }
  roles(): RegistryRole[] {
    return (
      this.db.prepare('SELECT * FROM roles').all() as {
        role: string;
        weight: number;
        guarantee: string | null;
        quota_limit: string | null;
      }[]
    ).map((r) => ({
      role: r.role,
      weight: r.weight,
      guarantee: r.guarantee ?? undefined,
      limit: r.quota_limit ?? undefined,
    }));
  }

  /** Carries out one PERSIST effect of the core. Throws when SQLite does (the shell's policy: fatal). */
  apply(c: RegistryChange): void {
    switch (c.type) {
      case 'UPSERT_FRAMEWORK':
        this.upsertFramework(c.info, c.at);
        break;
      case 'REMOVE_FRAMEWORK':
        this.removeFramework(c.frameworkId, c.at);
        break;
      case 'UPSERT_AGENT':
        this.upsertAgent(c.info, c.at);
        break;
      case 'REMOVE_AGENT':
        this.removeAgent(c.agentId, c.at);
        break;
      case 'SET_RESERVATIONS':
        this.setReservations(c.agentId, c.reservations);
        break;
      case 'SET_DRAIN':
        this.setDrain(c.agentId, c.drain);
        break;
      case 'SET_ROLE':
        this.setRole(c.role);
        break;
    }
  }

  /** Everything stored, as the core's snapshot (MasterCore.fromSnapshot rebuilds a core from it). */
  load(): CoreSnapshot {
    return {
      frameworks: this.frameworks(),
      agents: this.agents(),
      roles: this.roles().map((r) => ({
        role: r.role,
        weight: r.weight,
        ...(r.guarantee ? { guarantee: r.guarantee } : {}),
        ...(r.limit ? { limit: r.limit } : {}),
      })),
    };
  }

  close(): void {
    this.db.close();
  }
}
