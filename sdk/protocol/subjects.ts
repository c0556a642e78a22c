/**
 * Every NATS subject Agora uses, in one place. The scheme confines each principal with a few wildcards:
 * a framework `F` may publish only `agora.v1.master.scheduler.F` and subscribe only `agora.v1.scheduler.F.>`
 * (plus its inbox and its own update consumer); an agent `A` may publish only `agora.v1.master.agent.A` and
 * `agora.v1.updates.agent.A` and subscribe only `agora.v1.agent.A`. See docs/protocol.md.
 */
export const PREFIX = 'agora.v1';

export const subjects = {
  /** Framework → master calls (request/reply). */
  schedulerCall: (frameworkId: string) => `${PREFIX}.master.scheduler.${frameworkId}`,
  schedulerCallWildcard: `${PREFIX}.master.scheduler.*`,
  /** Master → framework events (publish). */
  schedulerEvents: (frameworkId: string) => `${PREFIX}.scheduler.${frameworkId}.events`,
  /** Agent → master calls (request/reply). */
  agentCall: (agentId: string) => `${PREFIX}.master.agent.${agentId}`,
  agentCallWildcard: `${PREFIX}.master.agent.*`,
  /** Master → agent commands (request/reply). */
  agentCommand: (agentId: string) => `${PREFIX}.agent.${agentId}`,
  /** Agent → master status updates (JetStream stream AGORA_AGENT_UPDATES). */
  agentUpdates: (agentId: string) => `${PREFIX}.updates.agent.${agentId}`,
  agentUpdatesWildcard: `${PREFIX}.updates.agent.*`,
  /** Master → framework status updates (JetStream stream AGORA_FRAMEWORK_UPDATES, one durable consumer per framework). */
  frameworkUpdates: (frameworkId: string) => `${PREFIX}.updates.framework.${frameworkId}`,
  frameworkUpdatesWildcard: `${PREFIX}.updates.framework.*`,
  /** Master's broadcast of cluster events (for the status page's event stream and `agora events`). */
  clusterEvents: `${PREFIX}.events`,
} as const;

export const streams = {
  agentUpdates: { name: 'AGORA_AGENT_UPDATES', subjects: [subjects.agentUpdatesWildcard] },
  frameworkUpdates: { name: 'AGORA_FRAMEWORK_UPDATES', subjects: [subjects.frameworkUpdatesWildcard] },
} as const;

/** The durable consumer of a framework's updates: created by the master at SUBSCRIBE, pulled by the framework. */
export const frameworkConsumerName = (frameworkId: string) => `fw-${frameworkId}`;
export const MASTER_UPDATES_CONSUMER = 'master';
