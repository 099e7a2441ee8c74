import { apiRoute } from '@/server/http/api-route';
import { pauseSandbox } from '@/server/sandboxes/pause-sandbox';

/** Pauses a running sandbox into an encrypted image on its host (its memory is freed, its clock stops). */
export const POST = apiRoute({ auth: true, permission: 'sandboxes.use' }, async ({ ctx, principal, params, meta }) => ({
  sandbox: await pauseSandbox(ctx, principal, params.id ?? '', meta),
}));
