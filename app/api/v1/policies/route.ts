import { ApplyPoliciesBody } from '@/lib/api/policies';
import { apiRoute } from '@/server/http/api-route';
import { applyPolicies } from '@/server/policies/apply-policies';
import { getPolicies } from '@/server/policies/get-policies';

/** The policies in force and their version. */
export const GET = apiRoute({ auth: true, permission: 'policies.read' }, async ({ ctx }) => getPolicies(ctx));

/** Replaces the whole policy set (a new signed version, rolled out to every host). */
export const PUT = apiRoute({ auth: true, permission: 'policies.write', body: ApplyPoliciesBody }, async ({ ctx, body, meta }) => applyPolicies(ctx, body, meta));
