import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { z } from 'zod';
import { AppError, fromZodError, httpStatusOf, type ErrorBody } from '../../lib/errors';
import { can, type Permission } from '../../lib/roles';
import { actorOf, type Principal } from '../auth/principal';
import { authenticateApiKey } from '../auth/authenticate-api-key';
import { authenticateSession } from '../auth/authenticate-session';
import { clearedSessionCookie, sessionTokenFrom } from '../auth/session-cookie';
import type { RequestMeta } from '../audit/event';
import { getServerContext, type ServerContext } from '../context';

const MAX_BODY_BYTES = 1024 * 1024;

type Spec<B extends z.ZodType | undefined, Q extends z.ZodType | undefined, A extends boolean> = {
  /** false for the few routes anyone may call (sign-in, health). */
  auth: A;
  permission?: Permission;
  body?: B;
  query?: Q;
  /** Reachable while a forced password change is pending (session info, sign-out, the change itself). */
  beforePasswordChange?: boolean;
};

type Args<B, Q, A extends boolean> = {
  ctx: ServerContext;
  req: Request;
  params: Record<string, string>;
  body: B extends z.ZodType ? z.infer<B> : undefined;
  query: Q extends z.ZodType ? z.infer<Q> : undefined;
  principal: A extends true ? Principal : null;
  meta: RequestMeta;
};

type NextRouteContext = { params: Promise<Record<string, string | string[] | undefined>> };

/**
 * The one wrapper every /api/v1 route handler uses: it authenticates (API key or session, with the
 * CSRF check for cookie-authenticated mutations), checks the permission, parses body and query
 * with the shared zod schemas, calls the handler and maps every failure to the one error shape.
 */
export function apiRoute<B extends z.ZodType | undefined = undefined, Q extends z.ZodType | undefined = undefined, A extends boolean = true>(
  spec: Spec<B, Q, A>,
  handler: (args: Args<B, Q, A>) => Promise<unknown>,
): (req: Request, route: NextRouteContext) => Promise<Response> {
  return async (req, route) => {
    const requestId = req.headers.get('x-request-id') ?? randomUUID();
    const headers = { 'x-request-id': requestId, 'cache-control': 'no-store' };
    try {
      const ctx = getServerContext();
      const origin = {
        sourceIp: req.headers.get('x-sbx-client-ip'),
        userAgent: req.headers.get('user-agent')?.slice(0, 512) ?? null,
        requestId,
      };
      const principal = spec.auth ? await authenticate(ctx, req, origin, spec.beforePasswordChange ?? false) : null;
      if (principal && spec.permission && !can(principal.role, spec.permission)) {
        throw new AppError('permission_denied', `Your role (${principal.role}) does not allow ${spec.permission}.`);
      }
      const meta: RequestMeta = {
        ...origin,
        actor: principal ? actorOf(principal) : { type: 'anonymous', id: null, name: 'anonymous' },
      };
      const rawParams = (await route?.params) ?? {};
      const params = Object.fromEntries(Object.entries(rawParams).map(([k, v]) => [k, String(v)]));
      const body = spec.body ? await parseBody(req, spec.body) : undefined;
      const query = spec.query ? parseQuery(req, spec.query) : undefined;
      const result = await handler({ ctx, req, params, body, query, principal, meta } as Args<B, Q, A>);
      if (result instanceof Response) {
        for (const [k, v] of Object.entries(headers)) result.headers.set(k, v);
        return result;
      }
      return Response.json(result ?? { ok: true }, { headers });
    } catch (error) {
      return errorResponse(error, requestId, headers);
    }
  };
}

async function authenticate(
  ctx: ServerContext,
  req: Request,
  origin: Omit<RequestMeta, 'actor'>,
  beforePasswordChange: boolean,
): Promise<Principal> {
  const authorization = req.headers.get('authorization');
  if (authorization) {
    const [scheme, credential] = authorization.split(' ');
    if (scheme !== 'Bearer' || !credential) {
      throw new AppError('unauthenticated', 'Authorization: expected "Bearer sbx_<id>_<secret>".');
    }
    return authenticateApiKey(ctx, credential);
  }
  const token = sessionTokenFrom(req.headers.get('cookie'));
  if (!token) throw new AppError('unauthenticated', 'Sign in first, or send an API key as "Authorization: Bearer ...".');
  const background = req.headers.get('x-sbx-background') === '1';
  const result = await authenticateSession(ctx, token, origin, !background);
  if (!result.ok) {
    const why =
      result.reason === 'idle'
        ? `Your session ended after ${Math.round(ctx.config.session.idleSeconds / 60)} minutes without activity; sign in again.`
        : result.reason === 'expired'
          ? 'Your session reached its maximum lifetime; sign in again.'
          : 'Your session is not valid; sign in again.';
    throw new AppError('unauthenticated', why);
  }
  const principal = result.principal;
  if (req.method !== 'GET' && req.method !== 'HEAD') checkCsrf(req, principal.csrfToken);
  if (principal.mustChangePassword && !beforePasswordChange) {
    throw new AppError('permission_denied', 'Change your password first: it was set by someone else.');
  }
  return principal;
}

/** Cookie-authenticated mutations must come from our own pages: same Origin and the session's token. */
function checkCsrf(req: Request, expected: string): void {
  const originHeader = req.headers.get('origin');
  const host = req.headers.get('host');
  if (originHeader && host && new URL(originHeader).host !== host) {
    throw new AppError('permission_denied', `Cross-origin request from ${originHeader} refused.`);
  }
  const given = Buffer.from(req.headers.get('x-csrf-token') ?? '');
  const want = Buffer.from(expected);
  if (given.length !== want.length || !timingSafeEqual(given, want)) {
    throw new AppError('permission_denied', 'Missing or wrong X-CSRF-Token header; reload the page.');
  }
}

async function parseBody<S extends z.ZodType>(req: Request, schema: S): Promise<z.infer<S>> {
  const text = await req.text();
  if (Buffer.byteLength(text) > MAX_BODY_BYTES) {
    throw new AppError('invalid_argument', `body: expected at most ${MAX_BODY_BYTES} bytes`, 'body');
  }
  let json: unknown;
  try {
    json = text.length === 0 ? {} : JSON.parse(text);
  } catch {
    throw new AppError('invalid_argument', 'body: expected a JSON object', 'body');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw fromZodError(parsed.error);
  return parsed.data;
}

function parseQuery<S extends z.ZodType>(req: Request, schema: S): z.infer<S> {
  const raw = Object.fromEntries(new URL(req.url).searchParams.entries());
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw fromZodError(parsed.error);
  return parsed.data;
}

function errorResponse(error: unknown, requestId: string, headers: Record<string, string>): Response {
  let appError: AppError;
  if (error instanceof AppError) {
    appError = error;
  } else {
    appError = new AppError('internal', `An internal error occurred; quote request id ${requestId} to your administrator.`);
    try {
      getServerContext().log.error({ err: error, requestId }, 'request failed');
    } catch {
      console.error(error);
    }
  }
  if (appError.code === 'audit_unavailable') {
    try {
      getServerContext().metrics.auditUnavailable.inc();
    } catch {
      // metrics are best effort; the 503 itself is what matters
    }
  }
  const body: ErrorBody = {
    error: { code: appError.code, message: appError.message, ...(appError.field ? { field: appError.field } : {}), requestId },
  };
  const extra: Record<string, string> = appError.code === 'unauthenticated' ? { 'set-cookie': clearedSessionCookie() } : {};
  return Response.json(body, { status: httpStatusOf(appError.code), headers: { ...headers, ...extra } });
}
