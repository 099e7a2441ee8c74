import { listCommands } from '@/server/sandboxes/list-commands';
import { apiRoute } from '@/server/http/api-route';

/** The sandbox's command history, newest first: command line, actor, state, exit code, duration. */
export const GET = apiRoute({ auth: true, permission: 'sandboxes.use' }, async ({ ctx, principal, params }) => ({
  commands: await listCommands(ctx, principal, params.id ?? ''),
}));
