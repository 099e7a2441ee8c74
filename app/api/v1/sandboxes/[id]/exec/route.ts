import { ExecBody, type ExecEvent } from '@/lib/api/sandboxes';
import { AppError } from '@/lib/errors';
import { execInSandbox } from '@/server/sandboxes/exec-in-sandbox';
import { findSandbox } from '@/server/sandboxes/sandbox-view';
import { apiRoute } from '@/server/http/api-route';

/** Runs a command; the answer streams as NDJSON: stdout and stderr chunks (base64), then exit. */
export const POST = apiRoute({ auth: true, permission: 'sandboxes.use', body: ExecBody }, async ({ ctx, principal, params, body, meta }) => {
  const id = params.id ?? '';
  // Refusals that come before any output are answered as ordinary errors, not inside the stream.
  const sandbox = await findSandbox(ctx, principal, id);
  if (sandbox.state !== 'running') throw new AppError('conflict', `Sandbox ${id} is ${sandbox.state}; commands run only in a running sandbox.`);
  const encoder = new TextEncoder();
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      const emit = (e: ExecEvent) => controller.enqueue(encoder.encode(`${JSON.stringify(e)}\n`));
      execInSandbox(ctx, principal, id, body, meta, emit)
        .catch((err: unknown) => {
          const error = err instanceof AppError ? { code: err.code, message: err.message } : { code: 'internal', message: (err as Error).message };
          emit({ type: 'error', error });
        })
        .finally(() => controller.close());
    },
  });
  return new Response(stream, { headers: { 'content-type': 'application/x-ndjson' } });
});
