import https from 'node:https';
import { z } from 'zod';
import { ErrorBody } from '../lib/errors';
import { resolveOptions, type ClientOptions } from './config';
import { InternalError, sbxErrorFor } from './errors';

export type { ClientOptions } from './config';

/**
 * One connection pool for the process: TLS connections are kept and reused (a new TLS 1.3
 * handshake per call costs milliseconds), closed after 30 s idle, before the appliance's 65 s.
 * Idle pooled sockets do not keep the process alive.
 */
const pool = new https.Agent({ keepAlive: true, maxSockets: 64, timeout: 30_000 });

/** A request that failed on a kept-alive connection the appliance had just closed: safe to send again. */
function rejectWith(req: { reusedSocket: boolean }, reject: (e: Error) => void) {
  return (err: NodeJS.ErrnoException) => {
    if (req.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE')) Object.assign(err, { staleConnection: true });
    reject(err);
  };
}

/**
 * Sends a request again, once, when its connection turned out to be stale, or (for a read, which
 * is safe to repeat) when the connection was reset.
 */
async function onceMore<T>(send: () => Promise<T>, method = 'POST'): Promise<T> {
  try {
    return await send();
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { staleConnection?: boolean };
    const reset = e.code === 'ECONNRESET' || e.code === 'EPIPE';
    if (!e.staleConnection && !(method === 'GET' && reset)) throw error;
    return send();
  }
}

/**
 * A minimal client of the appliance's HTTP API over TLS 1.3. Failures come back as the SDK's
 * error classes, one per API error code.
 */
export class SbxClient {
  private readonly url: string;
  private readonly apiKey: string;
  private readonly ca: string | undefined;

  constructor(opts: ClientOptions = {}) {
    const r = resolveOptions(opts);
    this.url = r.url;
    this.apiKey = r.apiKey;
    this.ca = r.ca;
  }

  /** Request options for `/api/v1${apiPath}`: TLS 1.3, the CA if one was given, the API key. */
  private options(method: string, apiPath: string, accept: string, payload: string | undefined): https.RequestOptions {
    const u = new URL(`${this.url}/api/v1${apiPath}`);
    return {
      host: u.hostname.replace(/^\[|\]$/g, ''),
      port: u.port || 443,
      path: `${u.pathname}${u.search}`,
      method,
      agent: pool,
      minVersion: 'TLSv1.3',
      ...(this.ca ? { ca: this.ca } : {}),
      headers: {
        authorization: `Bearer ${this.apiKey}`,
        accept,
        ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
      },
    };
  }

  /**
   * Calls `/api/v1${path}` and hands each line of an NDJSON answer to `onLine` as it arrives.
   * An error answer (before the stream starts) is thrown as the SDK's error class.
   */
  stream(method: string, apiPath: string, body: unknown, onLine: (line: string) => void): Promise<void> {
    return onceMore(() => this.streamOnce(method, apiPath, body, onLine), method);
  }

  private streamOnce(method: string, apiPath: string, body: unknown, onLine: (line: string) => void): Promise<void> {
    const payload = JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = https.request(
        this.options(method, apiPath, 'application/x-ndjson', payload),
        (res) => {
          const status = res.statusCode ?? 0;
          res.setEncoding('utf8');
          let buffer = '';
          res.on('data', (d: string) => {
            buffer += d;
            if (status >= 400) return;
            let nl: number;
            while ((nl = buffer.indexOf('\n')) >= 0) {
              const line = buffer.slice(0, nl);
              buffer = buffer.slice(nl + 1);
              if (line.trim()) onLine(line);
            }
          });
          res.on('end', () => {
            if (status < 400) return resolve();
            const err = ErrorBody.safeParse(JSON.parse(buffer || 'null'));
            reject(
              err.success
                ? sbxErrorFor(err.data.error.code, err.data.error.message, status, err.data.error.field, err.data.error.requestId)
                : new InternalError('internal', `the appliance answered HTTP ${status}`, status, undefined, undefined),
            );
          });
        },
      );
      req.on('error', rejectWith(req, reject));
      req.end(payload);
    });
  }

  /** Turns a failed answer (its status and text) into the SDK's error class. */
  private failure(status: number, text: string): Error {
    let json: unknown = null;
    try {
      json = JSON.parse(text);
    } catch {
      // not JSON: reported by status below
    }
    const err = ErrorBody.safeParse(json);
    return err.success
      ? sbxErrorFor(err.data.error.code, err.data.error.message, status, err.data.error.field, err.data.error.requestId)
      : new InternalError('internal', `the appliance answered HTTP ${status}`, status, undefined, undefined);
  }

  /**
   * Sends raw bytes (a buffer, or a stream piped with backpressure, never read whole) as the body
   * of `method /api/v1${apiPath}` and validates the JSON answer with `schema`.
   */
  upload<S extends z.ZodType>(method: string, apiPath: string, body: Uint8Array | NodeJS.ReadableStream, schema: S): Promise<z.infer<S>> {
    return new Promise((resolve, reject) => {
      const opts = this.options(method, apiPath, 'application/json', undefined);
      const headers = {
        ...(opts.headers as Record<string, string | number>),
        'content-type': 'application/octet-stream',
        ...(body instanceof Uint8Array ? { 'content-length': body.byteLength } : {}),
      };
      const req = https.request({ ...opts, headers }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 400) {
            // Refused, perhaps before all of the body was read: stop sending it, and never reuse
            // a connection that may still carry its rest.
            reject(this.failure(status, text));
            return void req.destroy();
          }
          const parsed = schema.safeParse(JSON.parse(text || 'null'));
          if (!parsed.success) return reject(new InternalError('internal', 'the appliance answered in an unexpected shape', status, undefined, undefined));
          resolve(parsed.data);
        });
      });
      req.on('error', rejectWith(req, reject));
      if (body instanceof Uint8Array) req.end(body);
      else {
        body.on('error', (err) => req.destroy(err));
        body.pipe(req);
      }
    });
  }

  /** Opens `GET /api/v1${apiPath}` as a byte stream; an error answer is thrown as the SDK's error class. */
  download(apiPath: string): Promise<NodeJS.ReadableStream> {
    return new Promise((resolve, reject) => {
      const req = https.request(this.options('GET', apiPath, 'application/octet-stream, application/json', undefined), (res) => {
        const status = res.statusCode ?? 0;
        if (status < 400) return resolve(res);
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => reject(this.failure(status, text)));
      });
      req.on('error', rejectWith(req, reject));
      req.end();
    });
  }

  /**
   * Calls `/api/v1${path}` and validates the answer with `schema`. A read that meets a kept-alive
   * connection the appliance was just closing is tried once more on a new connection.
   */
  async request<S extends z.ZodType>(method: string, apiPath: string, schema: S, body?: unknown): Promise<z.infer<S>> {
    return onceMore(() => this.requestOnce(method, apiPath, schema, body), method);
  }

  private requestOnce<S extends z.ZodType>(method: string, apiPath: string, schema: S, body?: unknown): Promise<z.infer<S>> {
    const u = new URL(`${this.url}/api/v1${apiPath}`);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = https.request(
        { ...this.options(method, apiPath, 'application/json', payload), timeout: 30_000 },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (text += d));
          res.on('end', () => {
            let json: unknown;
            try {
              json = JSON.parse(text);
            } catch {
              return reject(new InternalError('internal', `the appliance answered HTTP ${res.statusCode} with no JSON`, res.statusCode ?? 0, undefined, undefined));
            }
            const status = res.statusCode ?? 0;
            if (status >= 400) {
              const err = ErrorBody.safeParse(json);
              return reject(
                err.success
                  ? sbxErrorFor(err.data.error.code, err.data.error.message, status, err.data.error.field, err.data.error.requestId)
                  : new InternalError('internal', `the appliance answered HTTP ${status}`, status, undefined, undefined),
              );
            }
            const parsed = schema.safeParse(json);
            if (!parsed.success) return reject(new InternalError('internal', 'the appliance answered in an unexpected shape', status, undefined, undefined));
            resolve(parsed.data);
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer from ${u.host} within 30 s`)));
      req.on('error', rejectWith(req, reject));
      if (payload) req.write(payload);
      req.end();
    });
  }
}
