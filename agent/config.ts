/** Agent settings, with the defaults an operator gets from `agora agent`. */
export interface AgentConfig {
  natsUrl: string;
  /** Credentials file (default: the cluster's creds/agent-<hostname>.json under AGORA_HOME); its principal is the agent's id. */
  natsCreds?: string;
  /** Fixed agent id; default: the checkpointed one, or a new one on first start. */
  agentId?: string;
  hostname: string;
  /** Resource text overriding detection (`cpus:4;mem:8192;disk:20000;ports:[31000-32000]`, reservations `cpus(eng):2`). */
  resources?: string;
  /** Attribute text: `rack:r1;zone:a;gen:3;ids:[1-4]`. */
  attributes?: string;
  /** Checkpoints (SQLite) and sandboxes live here. */
  workDir: string;
  /** HTTP port for the agent's own metrics endpoint; 0 = pick a free one, undefined = none. */
  httpPort?: number;
  taskUser: string;
  /** Principal → users its frameworks' tasks may run as besides taskUser: `ci=builder,deploy;*=www-data`. */
  taskUserAcl?: string;
  /** Principal → host paths its frameworks' tasks may mount as volumes: `ci=/data/*,/srv/cache;*=/tmp/shared`. None by default. */
  hostVolumeAcl?: string;
  cgroupRoot?: string;
  dockerHost?: string;
  /** Which containerizers to offer, if available: default both. */
  containerizers: ('native' | 'docker')[];
  /** Finished sandboxes are deleted after this long. */
  sandboxGcDelayMs: number;
  /** Also delete the oldest finished sandboxes when the work dir's disk is fuller than this fraction. */
  sandboxGcDiskFraction: number;
  usageIntervalMs: number;
  /** On SIGTERM/SIGINT, kill running tasks (true) or leave them for the next agent to recover (false). */
  killTasksOnExit: boolean;
  defaultKillGracePeriodMs: number;
  maxMessageBytes: number;
  /** stdout/stderr of every task rotate once a file holds this many bytes (`--log-max-size`); 0: no rotation. A task may override it (TaskInfo.logRotation). */
  logMaxBytes: number;
  /** Files kept per stream, the current one included (`--log-max-files`). */
  logMaxFiles: number;
  /** How often each running task's sandbox is measured against its `disk` (`--disk-check-interval`); 0: never. */
  diskCheckIntervalMs: number;
}

export const DEFAULT_AGENT_CONFIG: Omit<AgentConfig, 'hostname'> = {
  natsUrl: 'nats://127.0.0.1:4222',
  workDir: './.agora/agent',
  taskUser: 'nobody',
  containerizers: ['native', 'docker'],
  sandboxGcDelayMs: 24 * 3600_000,
  sandboxGcDiskFraction: 0.9,
  usageIntervalMs: 10_000,
  killTasksOnExit: true,
  defaultKillGracePeriodMs: 3000,
  maxMessageBytes: 1024 * 1024,
  logMaxBytes: 10 * 1024 * 1024,
  logMaxFiles: 5,
  diskCheckIntervalMs: 15_000,
};
