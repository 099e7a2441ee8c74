import { outputBytes, type ExecEvent } from '../../lib/api/sandboxes';

/**
 * Output (base64 characters) one follower may have waiting for its reader; past it, further output
 * is left out and the reader gets a `dropped` event in its place. A foreground caller never gets
 * near it (the agent holds the command back at its window, and what is left out is not credited);
 * it bounds what a follower of a background command costs.
 */
export const FOLLOWER_QUEUE_CHARS = 8 * 1024 * 1024;

export type CommandStreamOptions = {
  /** Runs when the caller goes away before the end. */
  onCancel?: () => void;
  /** Runs once an event was handed to the caller (the foreground caller credits the agent here). */
  onDelivered?: (e: ExecEvent) => void;
};

function isOutput(e: ExecEvent): e is ExecEvent & { type: 'stdout' | 'stderr' } {
  return e.type === 'stdout' || e.type === 'stderr';
}

/**
 * An NDJSON answer that follows a command: one event per line, closed after its exit or error.
 * It is pulled: an event is encoded only when the caller reads, so a caller that stops reading
 * leaves at most {@link FOLLOWER_QUEUE_CHARS} of output waiting here.
 */
export function commandStream(follow: (listener: (e: ExecEvent) => void) => () => void, options: CommandStreamOptions = {}): Response {
  const encoder = new TextEncoder();
  const queue: ExecEvent[] = [];
  let queued = 0;
  let ended = false;
  let cancelled = false;
  let wake: (() => void) | null = null;
  let stop: () => void = () => undefined;

  const listener = (e: ExecEvent) => {
    if (ended || cancelled) return;
    if (isOutput(e) && queued + e.data.length > FOLLOWER_QUEUE_CHARS) {
      const last = queue.at(-1);
      const bytes = outputBytes(e);
      if (last?.type === 'dropped') last.bytes += bytes;
      else queue.push({ type: 'dropped', bytes });
      // Not credited: an agent that keeps to its window never gets a foreground caller here.
    } else {
      queue.push(e);
      if (isOutput(e)) queued += e.data.length;
    }
    if (e.type === 'exit' || e.type === 'error') {
      ended = true;
      // The listener may be called during follow() itself (an ended command): unsubscribe after it returns.
      queueMicrotask(() => stop());
    }
    wake?.();
  };

  const stream = new ReadableStream<Uint8Array>(
    {
      start() {
        stop = follow(listener);
      },
      async pull(controller) {
        while (queue.length === 0 && !ended && !cancelled) await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
        if (cancelled) return;
        const e = queue.shift();
        if (!e) return controller.close();
        if (isOutput(e)) queued -= e.data.length;
        controller.enqueue(encoder.encode(`${JSON.stringify(e)}\n`));
        options.onDelivered?.(e);
        if (queue.length === 0 && ended) controller.close();
      },
      cancel() {
        cancelled = true;
        stop();
        wake?.();
        options.onCancel?.();
      },
    },
    { highWaterMark: 0 },
  );
  return new Response(stream, { headers: { 'content-type': 'application/x-ndjson' } });
}
