/** Shapes the page reads from the master's API (see docs/api.md; sdk/protocol/operator.ts on the server). */
export interface AgentView {
  id: string; hostname: string; state: string; attributes: { name: string; text?: string; scalar?: number }[];
  containerizers: string[]; resources: { total: string; used: string; offered: string; available: string };
  totalScalars: Record<string, number>; usedScalars: Record<string, number>;
  taskCount: number; registeredAt: number; lastHeartbeatAt: number; httpUrl?: string; tasks?: TaskView[];
}
export interface FrameworkView {
  id: string; name: string; roles: string[]; principal?: string; connected: boolean; failoverTimeoutMs: number;
  disconnectedAt?: number; failoverDeadline?: number; registeredAt: number; allocated: string;
  allocatedScalars: Record<string, number>; offered: string; taskCount: number; apiSubject?: string; webuiUrl?: string;
}
export interface Usage { cpuUserSeconds: number; cpuSystemSeconds: number; memBytes: number; memPeakBytes: number; memLimitBytes?: number; cpusLimit?: number; timestamp: number; diskUsedMb?: number; diskLimitMb?: number }
export interface TaskView {
  id: string; name: string; frameworkId: string; agentId: string; hostname?: string; state: string; role: string;
  resources: string; reason?: string; message?: string; exitCode?: number; healthy?: boolean;
  createdAt: number; updatedAt: number; ports?: number[];
  statuses: { state: string; timestamp: number; reason?: string; message?: string; healthy?: boolean; exitCode?: number }[];
  usage?: Usage; container: string; command?: string;
}
export interface RoleView { role: string; weight: number; guarantee: string | null; limit: string | null; allocated: string; share: number; frameworks: string[] }
export interface Summary {
  masterId: string; startedAt: number; now: number;
  agents: Record<string, number>; tasks: Record<string, number>; frameworks: { total: number; connected: number };
  resources: { used: Record<string, number>; total: Record<string, number> };
  outstandingOffers: number;
  allocation: { intervalMs: number; cycles: number; lastMs: number | null; meanMs: number | null; p99Ms: number | null };
}
export interface Sample { t: number; cpus: [number, number]; mem: [number, number]; disk: [number, number]; running: number }
export interface ClusterEvent { type: string; seq: number; timestamp: number; [k: string]: unknown }
