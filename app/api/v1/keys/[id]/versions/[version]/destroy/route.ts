import { DestroyKekVersionBody, versionParam } from '@/lib/api/keys';
import { apiRoute } from '@/server/http/api-route';
import { destroyKekVersion } from '@/server/keys/destroy-kek-version';

/** Destroys one version for good (crypto-shredding); the body confirms with `NAME:vVERSION`. */
export const POST = apiRoute({ auth: true, permission: 'keys.write', body: DestroyKekVersionBody }, async ({ ctx, params, body, meta }) => ({
  key: await destroyKekVersion(ctx, params.id ?? '', versionParam(params.version), body, meta),
}));
