import { apiRoute } from '@/server/http/api-route';
import { listPolicyVersions } from '@/server/policies/list-policy-versions';

/** Every version of the policy set, newest first, with its diff and source. */
export const GET = apiRoute({ auth: true, permission: 'policies.read' }, async ({ ctx }) => ({ versions: await listPolicyVersions(ctx) }));
