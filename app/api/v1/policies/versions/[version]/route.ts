import { versionParam } from '@/lib/api/keys';
import { apiRoute } from '@/server/http/api-route';
import { getPolicies } from '@/server/policies/get-policies';

/** One version with its policies. */
export const GET = apiRoute({ auth: true, permission: 'policies.read' }, async ({ ctx, params }) => getPolicies(ctx, versionParam(params.version)));
