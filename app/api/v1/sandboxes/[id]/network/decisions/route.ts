import { z } from 'zod';
import { listEgressDecisions } from '@/server/sandboxes/list-egress-decisions';
import { apiRoute } from '@/server/http/api-route';

const Query = z.strictObject({
  before: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

/** The sandbox's recent egress decisions (DNS and connections, allowed and denied), newest first. */
export const GET = apiRoute({ auth: true, permission: 'sandboxes.use', query: Query }, async ({ ctx, principal, params, query }) =>
  listEgressDecisions(ctx, principal, params.id ?? '', query.before, query.limit),
);
