import { apiRoute } from '@/server/http/api-route';
import { rotateKek } from '@/server/keys/rotate-kek';

/** Adds a version; new data keys are wrapped with it from now on. */
export const POST = apiRoute({ auth: true, permission: 'keys.write' }, async ({ ctx, params, meta }) => ({ key: await rotateKek(ctx, params.id ?? '', meta) }));
