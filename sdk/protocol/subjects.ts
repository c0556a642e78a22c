/**
 * Every NATS subject Agora uses, in one place. The scheme confines each principal with a few wildcards:
 * a framework of principal `P` may publish only `agora.v1.master.scheduler.P.*` and subscribe only
 * `agora.v1.scheduler.P.>` (plus its inbox and its principal's update stream `AGORA_FWU_P`); an agent, whose id is
 * its principal `A`, may publish only `agora.v1.master.agent.A` and `agora.v1.updates.agent.A` and subscribe
 * only `agora.v1.agent.A`. The master reads who called from the subject. See docs/protocol.md and docs/security.md.
 */
export const PREFIX = 'agora.v1';

export const subjects = {
  /** Framework → master calls (request/reply). */
  schedulerCall: (principal: string, frameworkId: string) => `${PREFIX}.master.scheduler.${principal}.${frameworkId}`,
  schedulerCallWildcard: `${PREFIX}.master.scheduler.*.*`,
  /** Master → framework events (publish). */
  schedulerEvents: (principal: string, frameworkId: string) => `${PREFIX}.scheduler.${principal}.${frameworkId}.events`,
  /** Agent → master calls (request/reply). */
  agentCall: (agentId: string) => `${PREFIX}.master.agent.${agentId}`,
  agentCallWildcard: `${PREFIX}.master.agent.*`,
  /** Master → agent commands (request/reply). */
  agentCommand: (agentId: string) => `${PREFIX}.agent.${agentId}`,
  /** Agent → master status updates (JetStream stream AGORA_AGENT_UPDATES). */
  agentUpdates: (agentId: string) => `${PREFIX}.updates.agent.${agentId}`,
  agentUpdatesWildcard: `${PREFIX}.updates.agent.*`,
  /** Master → framework status updates (JetStream stream AGORA_FWU_<principal>, one durable consumer per framework). */
  frameworkUpdates: (principal: string, frameworkId: string) => `${PREFIX}.updates.framework.${principal}.${frameworkId}`,
  frameworkUpdatesOfPrincipal: (principal: string) => `${PREFIX}.updates.framework.${principal}.*`,
  /** Operator calls to the master (principals: add, list, revoke), from the operator principal `P`. */
  operatorCall: (principal: string) => `${PREFIX}.master.operator.${principal}`,
  operatorCallWildcard: `${PREFIX}.master.operator.*`,
  /** Master's broadcast of cluster events (for the status page's event stream and `agora events`). */
  clusterEvents: `${PREFIX}.events`,
} as const;

export const streams = {
  agentUpdates: { name: 'AGORA_AGENT_UPDATES', subjects: [subjects.agentUpdatesWildcard] },
} as const;

/**
 * Each framework principal's updates have their own stream, so that its frameworks' pull consumers can be
 * granted with one wildcard (`$JS.API.CONSUMER.MSG.NEXT.AGORA_FWU_P.*`) without reaching another principal's.
 */
export const frameworkUpdatesStreamName = (principal: string) => `AGORA_FWU_${principal}`;
export const frameworkUpdatesStream = (principal: string) => ({ name: frameworkUpdatesStreamName(principal), subjects: [subjects.frameworkUpdatesOfPrincipal(principal)] });

/** Splits a subject ending in `<principal>.<id>` (scheduler and operator calls). */
export function callerOfSubject(subject: string): { principal: string; id: string } {
  const parts = subject.split('.');
  return { principal: parts[parts.length - 2] ?? '', id: parts[parts.length - 1] ?? '' };
}
/** The durable consumer of a framework's updates: created by the master at SUBSCRIBE, pulled by the framework. */
export const frameworkConsumerName = (frameworkId: string) => `fw-${frameworkId}`;
export const MASTER_UPDATES_CONSUMER = 'master';
