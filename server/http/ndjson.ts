import type { ExecEvent } from '../../lib/api/sandboxes';

/**
 * An NDJSON answer that follows a command: one event per line, closed after its exit or error.
 * `onCancel` runs when the caller goes away first.
 */
export function commandStream(follow: (listener: (e: ExecEvent) => void) => () => void, onCancel?: () => void): Response {
  const encoder = new TextEncoder();
  let stop: () => void = () => undefined;
  let closed = false;
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      stop = follow((e) => {
        if (closed) return;
        controller.enqueue(encoder.encode(`${JSON.stringify(e)}\n`));
        if (e.type === 'exit' || e.type === 'error') {
          closed = true;
          // The listener may be called during follow() itself (an ended command): unsubscribe after it returns.
          queueMicrotask(() => stop());
          controller.close();
        }
      });
    },
    cancel() {
      closed = true;
      stop();
      onCancel?.();
    },
  });
  return new Response(stream, { headers: { 'content-type': 'application/x-ndjson' } });
}
