import type { z } from 'zod';
import { MAX_MESSAGE_BYTES, Message, PROTOCOL_VERSION, type Response } from './protocol';

type Methods = Record<string, { params: z.ZodType; result: z.ZodType }>;
type Handlers<M extends Methods> = { [K in keyof M]?: (params: z.infer<M[K]['params']>) => Promise<z.infer<M[K]['result']>> };

/** A failed remote call: the peer's error code and message, or a local timeout or close. */
export class RpcError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'RpcError';
  }
}

/**
 * One end of the request/response protocol over any message transport (the WebSocket on both
 * sides). Incoming messages are validated with the shared schemas; a bad message is answered with
 * an error, never acted on. `Out` are the methods this end calls, `In` the ones it serves.
 */
export class RpcPeer<Out extends Methods, In extends Methods> {
  private next = 0;
  private readonly pending = new Map<string, { resolve: (v: unknown) => void; reject: (e: Error) => void; schema: z.ZodType; timer: ReturnType<typeof setTimeout> }>();

  constructor(
    private readonly send: (text: string) => void,
    private readonly out: Out,
    private readonly inbound: In,
    private readonly handlers: Handlers<In>,
    private readonly prefix = 'r',
    private readonly onEvent: (topic: string, payload: unknown) => void = () => undefined,
  ) {}

  /** Sends a one-way message (no answer expected). */
  emit(topic: string, payload: unknown): void {
    this.send(JSON.stringify({ v: PROTOCOL_VERSION, kind: 'event', topic, payload }));
  }

  /** Calls `method` on the peer and resolves with its validated result (the peer's acknowledgement). */
  call<K extends keyof Out & string>(method: K, params: z.infer<Out[K]['params']>, timeoutMs = 10_000): Promise<z.infer<Out[K]['result']>> {
    const id = `${this.prefix}${++this.next}`;
    const spec = this.out[method];
    if (!spec) return Promise.reject(new RpcError('unknown_method', method));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RpcError('timeout', `${method} was not acknowledged within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, schema: spec.result, timer });
      this.send(JSON.stringify({ v: PROTOCOL_VERSION, kind: 'request', id, method, params }));
    });
  }

  /** Feeds one received text frame in. Returns false when it was not a valid message. */
  async receive(text: string): Promise<boolean> {
    if (text.length > MAX_MESSAGE_BYTES) return false;
    let parsed: Message;
    try {
      parsed = Message.parse(JSON.parse(text));
    } catch {
      return false;
    }
    if (parsed.kind === 'response') {
      this.settle(parsed);
      return true;
    }
    if (parsed.kind === 'event') {
      this.onEvent(parsed.topic, parsed.payload);
      return true;
    }
    const reply = (r: Omit<Response, 'v' | 'kind' | 'id'>) => this.send(JSON.stringify({ v: PROTOCOL_VERSION, kind: 'response', id: parsed.id, ...r }));
    const spec = this.inbound[parsed.method];
    const handler = this.handlers[parsed.method as keyof In];
    if (!spec || !handler) {
      reply({ ok: false, error: { code: 'unknown_method', message: `unknown method ${parsed.method}` } });
      return true;
    }
    const params = spec.params.safeParse(parsed.params);
    if (!params.success) {
      const issue = params.error.issues[0];
      reply({ ok: false, error: { code: 'invalid_argument', message: `${issue?.path.join('.') || 'params'}: ${issue?.message ?? 'invalid'}` } });
      return true;
    }
    try {
      reply({ ok: true, result: await handler(params.data as z.infer<In[keyof In]["params"]>) });
    } catch (error) {
      const code = error instanceof RpcError ? error.code : 'failed';
      reply({ ok: false, error: { code, message: error instanceof Error ? error.message : String(error) } });
    }
    return true;
  }

  /** Fails every call still waiting (the channel closed). */
  close(reason: string): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new RpcError('closed', reason));
      this.pending.delete(id);
    }
  }

  private settle(r: Response): void {
    const p = this.pending.get(r.id);
    if (!p) return;
    this.pending.delete(r.id);
    clearTimeout(p.timer);
    if (!r.ok) return p.reject(new RpcError(r.error?.code ?? 'failed', r.error?.message ?? 'request failed'));
    const result = p.schema.safeParse(r.result);
    if (result.success) p.resolve(result.data);
    else p.reject(new RpcError('invalid_response', 'the peer answered with a malformed result'));
  }
}
