/**
 * The principals of a cluster as persisted in `<security home>/principals.json`: written by `agora up` at first
 * start, then kept by the master (principal add / revoke). Each principal has one or more NATS users (public
 * keys of the nkeys its credentials hold); revoking a principal revokes all of them.
 */
import { z } from 'zod';
import { PRINCIPAL_KINDS, PrincipalNameSchema } from './principals';

export const PrincipalRecordSchema = z.object({
  name: PrincipalNameSchema,
  kind: z.enum(PRINCIPAL_KINDS),
  /** Roles its frameworks may register in and reserve for (`ANY`: every role). */
  roles: z.array(z.string()),
  /** Users its tasks may run as (`ANY`: every user). */
  taskUsers: z.array(z.string()),
  /** Frameworks' APIs it may call. */
  apis: z.array(z.string()),
  /** Frameworks' APIs it serves. */
  servesApis: z.array(z.string()),
  users: z.array(z.object({ publicKey: z.string(), issuedAt: z.number(), revokedAt: z.number().optional() })),
  createdAt: z.number(),
  revokedAt: z.number().optional(),
});
export type PrincipalRecord = z.infer<typeof PrincipalRecordSchema>;

export const PrincipalStoreSchema = z.object({
  version: z.literal(1),
  principals: z.array(PrincipalRecordSchema),
  /** Framework ids bound to the principal that first subscribed them. */
  frameworks: z.record(z.string(), z.string()).optional(),
});
export type PrincipalStoreData = z.infer<typeof PrincipalStoreSchema>;
