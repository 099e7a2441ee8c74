import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { ErrorBody } from '../lib/errors';
import { InvalidArgumentError, InternalError, sbxErrorFor } from './errors';

/** Where the SDK finds the appliance: explicit options, then the environment, then the config file. */
export type ClientOptions = {
  /** The console URL, e.g. https://sandbox.example.com:8443 (env SBX_URL). */
  url?: string;
  /** An API key, `sbx_<id>_<secret>` (env SBX_API_KEY). */
  apiKey?: string;
  /** PEM file of the appliance's CA (env SBX_CA_FILE); without it the system's trust store is used. */
  caFile?: string;
};

const FileConfig = z.object({ url: z.string().optional(), apiKey: z.string().optional(), caFile: z.string().optional() });

/** The config file: $SBX_CONFIG, else ~/.config/sbx/config.json. */
export function configFilePath(env: Record<string, string | undefined> = process.env): string {
  return env.SBX_CONFIG ?? path.join(os.homedir(), '.config', 'sbx', 'config.json');
}

const Bootstrap = z.object({ consoleUrl: z.string(), caCertificate: z.string(), developerApiKey: z.string().optional() });

/**
 * On the appliance host itself, the first start's bootstrap.json (in SBX_DATA_DIR, else ./data)
 * names the console, its CA and a developer API key; it is the last place looked in.
 */
function fromBootstrap(env: Record<string, string | undefined>): { url?: string; apiKey?: string; caFile?: string } {
  const file = path.join(env.SBX_DATA_DIR || path.join(process.cwd(), 'data'), 'bootstrap.json');
  try {
    const b = Bootstrap.parse(JSON.parse(fs.readFileSync(file, 'utf8')));
    return { url: b.consoleUrl, apiKey: b.developerApiKey, caFile: b.caCertificate };
  } catch {
    return {};
  }
}

export function resolveOptions(opts: ClientOptions, env: Record<string, string | undefined> = process.env) {
  const file = configFilePath(env);
  let fromFile: z.infer<typeof FileConfig> = {};
  if (fs.existsSync(file)) {
    const parsed = FileConfig.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
    if (!parsed.success) throw new InvalidArgumentError('invalid_argument', `${file}: expected { url, apiKey, caFile }`, 0, 'config', undefined);
    fromFile = parsed.data;
  }
  // An empty setting counts as unset, so `SBX_URL= sbx ...` falls through to the file.
  const pick = (...values: (string | undefined)[]) => values.find((v) => v !== undefined && v !== '');
  const given = pick(opts.url, env.SBX_URL, fromFile.url);
  // The local key and CA are used only for the local appliance, never sent to another URL.
  const bootstrap = fromBootstrap(env);
  const local = !given || given.replace(/\/$/, '') === bootstrap.url ? bootstrap : {};
  const url = given ?? local.url;
  const apiKey = pick(opts.apiKey, env.SBX_API_KEY, fromFile.apiKey, local.apiKey);
  const caFile = pick(opts.caFile, env.SBX_CA_FILE, fromFile.caFile, local.caFile);
  if (!url) throw new InvalidArgumentError('invalid_argument', `no appliance URL: pass --url, set SBX_URL or write it to ${file}`, 0, 'url', undefined);
  if (!apiKey) throw new InvalidArgumentError('invalid_argument', `no API key: set SBX_API_KEY or write apiKey to ${file}`, 0, 'apiKey', undefined);
  return { url: url.replace(/\/$/, ''), apiKey, ca: caFile ? fs.readFileSync(caFile, 'utf8') : undefined };
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
      req.on('error', reject);
      req.end(payload);
    });
  }

  /**
   * Calls `/api/v1${path}` and validates the answer with `schema`. A read that meets a kept-alive
   * connection the appliance was just closing is tried once more on a new connection.
   */
  async request<S extends z.ZodType>(method: string, apiPath: string, schema: S, body?: unknown): Promise<z.infer<S>> {
    try {
      return await this.requestOnce(method, apiPath, schema, body);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (method !== 'GET' || (code !== 'ECONNRESET' && code !== 'EPIPE')) throw error;
      return this.requestOnce(method, apiPath, schema, body);
    }
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
      req.on('error', reject);
      if (payload) req.write(payload);
      req.end();
    });
  }
}
