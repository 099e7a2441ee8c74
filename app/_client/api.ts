import { ErrorBody, type ErrorCode } from '@/lib/errors';

let csrfToken: string | null = null;

/** Set from the session info; sent with every mutation as X-CSRF-Token. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Headers a hand-made mutation request needs (streamed calls that do not go through `api`). */
export function mutationHeaders(): Record<string, string> {
  return { 'content-type': 'application/json', ...(csrfToken ? { 'x-csrf-token': csrfToken } : {}) };
}

/** A failed API call, with the error vocabulary's code and the field it names. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly field: string | undefined,
    readonly requestId: string,
  ) {
    super(message);
  }
}

type Options = { method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'; body?: unknown; background?: boolean };

/** Calls the console's own HTTP API; a lapsed session sends the browser back to sign-in. */
export async function api<T>(path: string, options: Options = {}): Promise<T> {
  const method = options.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  if (options.background) headers['x-sbx-background'] = '1';
  const res = await fetch(`/api/v1${path}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    credentials: 'same-origin',
    cache: 'no-store',
  });
  const json: unknown = await res.json().catch(() => null);
  if (res.ok) return json as T;
  const parsed = ErrorBody.safeParse(json);
  const err = parsed.success
    ? new ApiError(res.status, parsed.data.error.code, parsed.data.error.message, parsed.data.error.field, parsed.data.error.requestId)
    : new ApiError(res.status, 'internal', `The server answered ${res.status}.`, undefined, '');
  if (res.status === 401 && !path.startsWith('/auth/sign-in') && typeof window !== 'undefined') {
    window.location.assign(`/login?reason=expired`);
  }
  throw err;
}

/** The message to show for a field, when the error names it. */
export function fieldError(error: unknown, field: string): string | undefined {
  return error instanceof ApiError && error.field === field ? error.message.replace(/^[\w.]+: /, '') : undefined;
}
