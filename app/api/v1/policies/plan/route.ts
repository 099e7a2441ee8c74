import { PlanPoliciesBody } from '@/lib/api/policies';
import { apiRoute } from '@/server/http/api-route';
import { planPolicies } from '@/server/policies/plan-policies';

/** What applying these policies would change (nothing is stored). */
export const POST = apiRoute({ auth: true, permission: 'policies.read', body: PlanPoliciesBody }, async ({ ctx, body }) => planPolicies(ctx, body));
