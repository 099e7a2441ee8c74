import { findCommand, toCommandView } from '@/server/sandboxes/command-view';
import { apiRoute } from '@/server/http/api-route';

export const GET = apiRoute({ auth: true, permission: 'sandboxes.use' }, async ({ ctx, principal, params }) => ({
  command: toCommandView(await findCommand(ctx, principal, params.id ?? '', params.commandId ?? '')),
}));
