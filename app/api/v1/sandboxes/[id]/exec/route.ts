import { ExecBody } from '@/lib/api/sandboxes';
import { killCommand } from '@/server/sandboxes/kill-command';
import { startCommand } from '@/server/sandboxes/start-command';
import { commandStream } from '@/server/http/ndjson';
import { apiRoute } from '@/server/http/api-route';

/**
 * Runs a command. The answer streams as NDJSON: start (the command id), stdout and stderr chunks
 * (base64), then exit. With `background: true` it is `{ command }` at once instead. A foreground
 * command whose caller goes away is killed.
 */
export const POST = apiRoute({ auth: true, permission: 'sandboxes.use', body: ExecBody }, async ({ ctx, principal, params, body, meta }) => {
  const id = params.id ?? '';
  // Refusals come before the command starts, as ordinary errors (not inside a stream).
  const { live, command } = await startCommand(ctx, principal, id, body, meta);
  if (body.background) return { command };
  return commandStream((listener) => live.listen(listener, true), {
    onDelivered: (e) => live.delivered(e),
    onCancel: () => void killCommand(ctx, principal, id, live.id, meta).catch((err: unknown) => ctx.log.warn({ err }, 'could not kill an abandoned command')),
  });
});
