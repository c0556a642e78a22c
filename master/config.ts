/** Master settings, with the defaults an operator gets from `agora master`. */
export interface MasterConfig {
  natsUrl: string;
  /** 127.0.0.1 by default: the API is opened to the network only on purpose (`--http-host 0.0.0.0`). */
  httpHost: string;
  httpPort: number;
  /** HTTPS: PEM certificate and key files (both or neither). */
  httpTlsCert?: string;
  httpTlsKey?: string;
  /** The role of HTTP requests without a token; undefined: refused (only `/health` and the page's files are open). */
  httpAnonymousRole?: 'viewer';
  /** Prometheus may scrape /metrics without a token. */
  metricsAnonymous: boolean;
  dataDir: string;
  /**
   * The key that seals secrets (32 bytes, 0400), never inside the data dir. Default: per cluster,
   * `~/.config/agora/keys/<hash of the data dir>.key` (master/secrets/cipher.ts), created at the first secret.
   */
  secretKeyFile?: string;
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
}

export const DEFAULT_MASTER_CONFIG: MasterConfig = {
  natsUrl: 'nats://127.0.0.1:4222',
  httpHost: '127.0.0.1',
  httpPort: 5050,
  metricsAnonymous: false,
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
