import { killCommand } from '@/server/sandboxes/kill-command';
import { apiRoute } from '@/server/http/api-route';

/** Kills a running command; the sandbox goes on. */
export const POST = apiRoute({ auth: true, permission: 'sandboxes.use' }, async ({ ctx, principal, params, meta }) => ({
  command: await killCommand(ctx, principal, params.id ?? '', params.commandId ?? '', meta),
}));
