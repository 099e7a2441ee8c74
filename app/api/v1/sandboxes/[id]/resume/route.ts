import { apiRoute } from '@/server/http/api-route';
import { resumeSandbox } from '@/server/sandboxes/pause-sandbox';

/** Resumes a paused sandbox: its files and processes as they were. */
export const POST = apiRoute({ auth: true, permission: 'sandboxes.use' }, async ({ ctx, principal, params, meta }) => ({
  sandbox: await resumeSandbox(ctx, principal, params.id ?? '', meta),
}));
