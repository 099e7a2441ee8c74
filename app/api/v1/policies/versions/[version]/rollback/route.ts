import { versionParam } from '@/lib/api/keys';
import { apiRoute } from '@/server/http/api-route';
import { rollBackPolicy } from '@/server/policies/roll-back-policy';

/** Makes a new version with that version's policies (one action). */
export const POST = apiRoute({ auth: true, permission: 'policies.write' }, async ({ ctx, params, meta }) => rollBackPolicy(ctx, versionParam(params.version), meta));
