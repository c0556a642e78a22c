/**
 * The service framework's vocabulary as plain data. The pure cores (constraints, offer matching, backoff,
 * the deployment planner, the reconciler) take and return these; only the shell touches the driver and the store.
 */
import type { Attribute } from 'agora/sdk';
import type { AppDefinition, DeploymentState, InstanceState } from 'agora/sdk/service';

/** One running copy of an app: exactly one task (a replacement is a new instance). */
export interface Instance {
  readonly instanceId: string;
  readonly taskId: string;
  readonly appId: string;
  readonly version: number;
  readonly agentId: string;
  readonly hostname: string;
  /** The agent's attributes when the instance was placed, for constraints. */
  readonly attributes: readonly Attribute[];
  readonly ports: readonly number[];
  /** Whether the instance was launched with a health check (then only `healthy: true` makes it ready). */
  readonly checked: boolean;
  readonly state: InstanceState;
  /** Last health report; undefined before the first one. */
  readonly healthy?: boolean;
  readonly launchedAt: number;
  readonly runningSince?: number;
  /** Since when the instance has been ready (healthy, or running without checks). */
  readonly readySince?: number;
  readonly killReason?: KillReason;
  /** When the kill was sent to the master (unset while the instance drains). */
  readonly killRequestedAt?: number;
  /** Set on a ready instance chosen to go: it drains (out of the ready set, still running) until then, then is killed. */
  readonly drainUntil?: number;
  /** The persistent-volume slot the instance holds (apps with `volumes`; see core/volumes.ts). */
  readonly volumeSlot?: string;
}

export type KillReason = 'SCALE' | 'UPGRADE' | 'UNHEALTHY' | 'REMOVE' | 'UNKNOWN_TASK';

/** Crash-loop backoff of one app. */
export interface BackoffState {
  /** Current delay; 0 when no failure is being held against the app. */
  readonly delayMs: number;
  /** No launch of this app before this time. */
  readonly notBefore: number;
  readonly failures: number;
}
export const NO_BACKOFF: BackoffState = { delayMs: 0, notBefore: 0, failures: 0 };

export type DeploymentKind = 'deploy' | 'scale' | 'restart' | 'remove' | 'rollback';

export interface Deployment {
  readonly id: string;
  readonly appId: string;
  readonly kind: DeploymentKind;
  readonly state: DeploymentState;
  readonly fromVersion?: number;
  readonly toVersion: number;
  readonly fromInstances: number;
  readonly toInstances: number;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly lastProgressAt: number;
  /** Progress marker: ready instances of the target version and instances of other versions. */
  readonly ready: number;
  readonly old: number;
  readonly message?: string;
  readonly rollbackOf?: string;
}

/** An app as the framework holds it: its current definition (with `instances`) and version. */
export interface App {
  readonly def: AppDefinition;
  readonly version: number;
  readonly backoff: BackoffState;
  /** Set while the app is being removed: every instance goes, then the app. */
  readonly removing?: boolean;
}

/** An agent as an offer describes it, for constraints. */
export interface Placement {
  readonly hostname: string;
  readonly attributes: readonly Attribute[];
}

/** Draining: chosen to go, out of the ready set, its kill not sent yet (see `drainUntil`). */
export const isDraining = (i: Instance): boolean =>
  i.state === 'KILLING' && i.killRequestedAt === undefined && i.drainUntil !== undefined;

/** Ready: health checks pass, or running when the instance has none. Only ready instances count as capacity. */
export const isReady = (i: Instance): boolean => i.state === 'RUNNING' && (!i.checked || i.healthy === true);
