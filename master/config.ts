/** Master settings, with the defaults an operator gets from `agora master`. */
export interface MasterConfig {
  natsUrl: string;
  httpHost: string;
  httpPort: number;
  dataDir: string;
  allocationIntervalMs: number;
  /** Outstanding offers are rescinded after this long; 0 = never. */
  offerTimeoutMs: number;
  agentPingTimeoutMs: number;
  maxAgentPingTimeouts: number;
  agentRemovalTimeoutMs: number;
  frameworkHeartbeatIntervalMs: number;
  /** A framework silent for this many heartbeat intervals is disconnected (its failover timer starts). */
  maxMissedFrameworkHeartbeats: number;
  completedTaskHistory: number;
  maxMessageBytes: number;
  /** The cluster's security home (principals, issuer keys; sdk/security/home.ts). */
  securityDir?: string;
  /** The master's credentials file (default: the security home's creds/master.json). */
  natsCreds?: string;
}

export const DEFAULT_MASTER_CONFIG: MasterConfig = {
  natsUrl: 'nats://127.0.0.1:4222',
  httpHost: '0.0.0.0',
  httpPort: 5050,
  dataDir: './.agora/master',
  allocationIntervalMs: 1000,
  offerTimeoutMs: 0,
  agentPingTimeoutMs: 15_000,
  maxAgentPingTimeouts: 5,
  agentRemovalTimeoutMs: 7 * 24 * 3600_000,
  frameworkHeartbeatIntervalMs: 5000,
  maxMissedFrameworkHeartbeats: 3,
  completedTaskHistory: 1000,
  maxMessageBytes: 1024 * 1024,
};
