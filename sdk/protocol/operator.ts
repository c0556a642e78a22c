/**
 * Shapes of the master's operator HTTP API (`/api/v1/...`), shared by the master, the CLI and the page.
 */
import { z } from 'zod';
import { RoleSchema } from './common';

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
  id: string; hostname: string; state: 'ACTIVE' | 'UNREACHABLE' | 'DRAINING' | 'DRAINED'; attributes: unknown[];
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
  statuses: { state: string; timestamp: number; reason?: string; message?: string; healthy?: boolean }[];
  usage?: unknown; container: string; command?: string;
}
