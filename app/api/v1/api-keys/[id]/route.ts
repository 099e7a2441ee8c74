import { revokeApiKey } from '@/server/api-keys/revoke-api-key';
import { apiRoute } from '@/server/http/api-route';

/** Revokes the key (keys are kept, revoked, for the record). */
export const DELETE = apiRoute({ auth: true, permission: 'apikeys.write_own' }, async ({ ctx, principal, params, meta }) => ({
  apiKey: await revokeApiKey(ctx, principal, params.id ?? '', meta),
}));
