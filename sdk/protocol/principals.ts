/**
 * Operator calls on principals (`agora.v1.master.operator.<operator principal>`, request/reply): the CLI's
 * `agora principal add|list|revoke`. Only operator principals may publish there; see docs/security.md.
 */
import { z } from 'zod';
import { PrincipalNameSchema } from '../security/principals';

const names = z.array(z.string().min(1).max(128)).max(64);

export const PrincipalOpSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('LIST') }),
  z.object({
    type: z.literal('ADD'),
    name: PrincipalNameSchema,
    kind: z.enum(['framework', 'operator', 'component']),
    /** Roles its frameworks may register in and reserve for (`ANY`: all). */
    roles: names.default([]),
    /** Users its tasks may run as (`ANY`: all). */
    taskUsers: names.default([]),
    /** Frameworks' APIs it may call (`service`, `cron`). */
    apis: z.array(z.enum(['service', 'cron'])).default([]),
  }),
  z.object({ type: z.literal('REVOKE'), name: PrincipalNameSchema }),
]);
export type PrincipalOp = z.infer<typeof PrincipalOpSchema>;
export type PrincipalOpInput = z.input<typeof PrincipalOpSchema>;
