/**
 * Shapes of the master's operator HTTP API (`/api/v1/...`), shared by the master, the CLI and the page.
 */
import { z } from 'zod';
import { RoleSchema, type Attribute, type Usage } from './common';

export const RoleUpdateSchema = z.object({
  weight: z.number().positive().max(1_000_000).optional(),
  /** Resource text (`cpus:4;mem:8192`) for the guarantee; `null` clears it. */
  guarantee: z.string().max(4096).nullable().optional(),
  /** Resource text for the limit; `null` clears it. */
  limit: z.string().max(4096).nullable().optional(),
});
export type RoleUpdate = z.infer<typeof RoleUpdateSchema>;

export const RoleNameSchema = RoleSchema;

export interface AgentView {
  id: string; hostname: string; state: 'ACTIVE' | 'UNREACHABLE' | 'DRAINING' | 'DRAINED';
  attributes: Attribute[];
  containerizers: string[]; resources: { total: string; used: string; offered: string; available: string };
  totalScalars: Record<string, number>; usedScalars: Record<string, number>;
  taskCount: number; registeredAt: number; lastHeartbeatAt: number; httpUrl?: string;
}
export interface FrameworkView {
  id: string; name: string; roles: string[]; principal?: string; connected: boolean; active: boolean;
  failoverTimeoutMs: number; disconnectedAt?: number; failoverDeadline?: number; registeredAt: number;
  allocated: string; allocatedScalars: Record<string, number>; offered: string; taskCount: number; apiSubject?: string; webuiUrl?: string;
}
export interface TaskView {
  id: string; name: string; frameworkId: string; agentId: string; hostname?: string; state: string; role: string;
  resources: string; reason?: string; message?: string; exitCode?: number; healthy?: boolean;
  createdAt: number; updatedAt: number; ports?: number[];
  statuses: { state: string; timestamp: number; reason?: string; message?: string; healthy?: boolean; exitCode?: number }[];
  usage?: Usage; container: string; command?: string;
}
/** `GET /api/v1/agents/:id`: the agent and its live tasks. */
export interface AgentDetailView extends AgentView { tasks: TaskView[] }
/** `GET /api/v1/roles`: one role's weight, quota and what it holds. */
export interface RoleView {
  role: string; weight: number; guarantee: string | null; limit: string | null; allocated: string;
  allocatedScalars: Record<string, number>; share: number; frameworks: string[];
}
/** `GET /api/v1/summary`: what the overview needs without shipping every task. */
export interface SummaryView {
  masterId: string; startedAt: number; now: number;
  agents: Record<string, number>; tasks: Record<string, number>; frameworks: { total: number; connected: number };
  resources: { used: Record<string, number>; total: Record<string, number> };
  outstandingOffers: number;
  allocation: { intervalMs: number; cycles: number; lastMs: number | null; meanMs: number | null; p99Ms: number | null };
  counters?: Record<string, number>;
}
/** One point of `GET /api/v1/utilization` (`[used, total]` pairs). */
export interface UtilizationSample {
  t: number; cpus: [used: number, total: number]; mem: [used: number, total: number]; disk: [used: number, total: number]; running: number;
}
/** One event of `GET /api/v1/events` (server-sent events; the SSE event name is `type`). */
export interface ClusterEventView { type: string; seq: number; timestamp: number; [k: string]: unknown }
