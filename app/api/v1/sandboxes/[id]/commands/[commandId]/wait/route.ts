import { waitCommand } from '@/server/sandboxes/wait-command';
import { commandStream } from '@/server/http/ndjson';
import { apiRoute } from '@/server/http/api-route';

/** Follows a command as NDJSON (the kept output, then live output, then its exit), as /exec does. */
export const POST = apiRoute({ auth: true, permission: 'sandboxes.use' }, async ({ ctx, principal, params }) =>
  commandStream(await waitCommand(ctx, principal, params.id ?? '', params.commandId ?? '')),
);
