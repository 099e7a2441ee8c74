import { SignOutBody } from '@/lib/api/auth';
import { AppError } from '@/lib/errors';
import { clearedSessionCookie } from '@/server/auth/session-cookie';
import { signOut } from '@/server/auth/sign-out';
import { apiRoute } from '@/server/http/api-route';

export const POST = apiRoute({ auth: true, body: SignOutBody, beforePasswordChange: true }, async ({ ctx, body, principal, meta }) => {
  if (principal.kind !== 'session') throw new AppError('invalid_argument', 'API keys do not sign out; revoke the key instead.');
  await signOut(ctx, principal, body.reason, meta);
  return Response.json({ ok: true }, { headers: { 'set-cookie': clearedSessionCookie() } });
});
