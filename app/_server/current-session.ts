import { cookies, headers } from 'next/headers';
import { authenticateSession, type SessionResult } from '@/server/auth/authenticate-session';
import { SESSION_COOKIE } from '@/server/auth/session-cookie';
import { getServerContext } from '@/server/context';

/** The console session of the page request being rendered (server components only). */
export async function currentSession(touch: boolean): Promise<SessionResult> {
  const token = (await cookies()).get(SESSION_COOKIE)?.value;
  if (!token) return { ok: false, reason: 'none' };
  const h = await headers();
  const origin = { sourceIp: h.get('x-sbx-client-ip'), userAgent: h.get('user-agent'), requestId: h.get('x-request-id') ?? 'page' };
  return authenticateSession(getServerContext(), token, origin, touch);
}
