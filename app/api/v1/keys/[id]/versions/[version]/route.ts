import { KekVersionStateBody, versionParam } from '@/lib/api/keys';
import { apiRoute } from '@/server/http/api-route';
import { setKekVersionState } from '@/server/keys/update-kek';

/** Disables or enables one version. */
export const PATCH = apiRoute({ auth: true, permission: 'keys.write', body: KekVersionStateBody }, async ({ ctx, params, body, meta }) => ({
  key: await setKekVersionState(ctx, params.id ?? '', versionParam(params.version), body.state, meta),
}));
