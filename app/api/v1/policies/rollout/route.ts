import { apiRoute } from '@/server/http/api-route';
import { policyRollout } from '@/server/policies/policy-rollout';

/** Per host: applied, pending or failed, and drift. */
export const GET = apiRoute({ auth: true, permission: 'policies.read' }, async ({ ctx }) => policyRollout(ctx));
