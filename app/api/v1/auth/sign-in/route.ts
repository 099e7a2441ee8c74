import { SignInBody } from '@/lib/api/auth';
import { sessionCookie } from '@/server/auth/session-cookie';
import { sessionInfoOf } from '@/server/auth/session-info';
import { signIn } from '@/server/auth/sign-in';
import { apiRoute } from '@/server/http/api-route';

export const POST = apiRoute({ auth: false, body: SignInBody }, async ({ ctx, body, meta }) => {
  const { token, principal } = await signIn(ctx, body, meta);
  return Response.json(sessionInfoOf(principal, ctx.config.session.idleSeconds), {
    headers: { 'set-cookie': sessionCookie(token, principal.expiresAt) },
  });
});
