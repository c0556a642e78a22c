/**
 * Principals on the bus: who may publish and subscribe to what. Every principal's name appears as one token
 * in the subjects it may use, so NATS itself proves who sent a message: the master reads the principal from the
 * subject (`agora.v1.master.scheduler.<principal>.<frameworkId>`), and a principal's user JWT allows only
 * subjects carrying its own name. See docs/security.md.
 */
import { z } from 'zod';
import { PREFIX, frameworkUpdatesStreamName } from '../protocol/subjects';

/** Principal names are one NATS token and a valid JetStream stream-name suffix. */
export const PrincipalNameSchema = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'a principal name is 1–63 characters of a–z 0–9 _ - (starting with a letter or digit)');

export const PRINCIPAL_KINDS = ['master', 'agent', 'framework', 'operator', 'component', 'system'] as const;
export type PrincipalKind = (typeof PRINCIPAL_KINDS)[number];

export interface NatsPermissions {
  pub: { allow: string[]; deny?: string[] };
  sub: { allow: string[]; deny?: string[] };
  /** Allows replying to requests received (once each). */
  resp?: { max: number; ttl: number };
}

/** The inbox prefix of a principal: its replies and JetStream deliveries land only where it may subscribe. */
export const inboxPrefix = (principal: string) => `_INBOX_${principal}`;

export interface PermissionGrants {
  /** Frameworks' own APIs this principal may call (`service`, `cron` → `agora.v1.api.service`). */
  apis?: string[];
  /** Frameworks' own APIs this principal serves. */
  servesApis?: string[];
}

/** The NATS permissions of a principal of `kind` named `name`. */
export function natsPermissions(kind: PrincipalKind, name: string, grants: PermissionGrants = {}): NatsPermissions {
  const inbox = `${inboxPrefix(name)}.>`;
  const apiCalls = (grants.apis ?? []).map((a) => `${PREFIX}.api.${a}`);
  const resp = { max: 1, ttl: 0 };
  switch (kind) {
    case 'master':
      return { pub: { allow: ['>'] }, sub: { allow: ['>'] } };
    case 'system':
      return { pub: { allow: ['$SYS.REQ.CLAIMS.UPDATE', '$SYS.REQ.ACCOUNT.*.CLAIMS.UPDATE'] }, sub: { allow: [inbox] } };
    case 'agent':
      // An agent's id is its principal name: it may speak only for itself.
      return {
        pub: { allow: [`${PREFIX}.master.agent.${name}`, `${PREFIX}.updates.agent.${name}`] },
        sub: { allow: [`${PREFIX}.agent.${name}`, inbox] },
        resp,
      };
    case 'framework': {
      const stream = frameworkUpdatesStreamName(name);
      return {
        pub: {
          allow: [
            `${PREFIX}.master.scheduler.${name}.*`, `$JS.API.CONSUMER.INFO.${stream}.*`, `$JS.API.CONSUMER.MSG.NEXT.${stream}.*`,
            `$JS.ACK.${stream}.>`, `$JS.API.INFO`, ...apiCalls, ...(grants.servesApis ?? []).map((a) => `${PREFIX}.${a}.endpoints`),
          ],
        },
        sub: { allow: [`${PREFIX}.scheduler.${name}.>`, inbox, ...(grants.servesApis ?? []).map((a) => `${PREFIX}.api.${a}`)] },
        resp,
      };
    }
    case 'component':
      // DNS, LB: read the service framework's API and its endpoint nudges, the cluster events.
      return { pub: { allow: apiCalls }, sub: { allow: [inbox, `${PREFIX}.service.endpoints`, `${PREFIX}.events`] } };
    case 'operator':
      // The admin: operator calls to the master, the frameworks' APIs, its own frameworks (`agora run`), and
      // agent commands (`agora run` reads its task's output from the agent with FILES_READ).
      return {
        pub: {
          allow: [
            `${PREFIX}.master.operator.${name}`, `${PREFIX}.master.scheduler.${name}.*`, ...apiCalls,
            `$JS.API.CONSUMER.INFO.${frameworkUpdatesStreamName(name)}.*`, `$JS.API.CONSUMER.MSG.NEXT.${frameworkUpdatesStreamName(name)}.*`,
            `$JS.ACK.${frameworkUpdatesStreamName(name)}.>`, `$JS.API.INFO`, `${PREFIX}.agent.*`,
          ],
        },
        sub: { allow: [`${PREFIX}.scheduler.${name}.>`, inbox, `${PREFIX}.events`, `${PREFIX}.service.endpoints`] },
      };
  }
}
