import { SignInBody, type SessionInfo } from '@/lib/api/auth';
import { signIn } from '@/server/auth/sign-in';
import { sessionCookie } from '@/server/auth/session-cookie';
import { apiRoute } from '@/server/http/api-route';

export const POST = apiRoute({ auth: false, body: SignInBody }, async ({ ctx, body, meta }) => {
  const { token, principal } = await signIn(ctx, body, meta);
  const info: SessionInfo = {
    user: {
      id: principal.userId,
      username: principal.username,
      displayName: principal.displayName,
      role: principal.role,
      mustChangePassword: principal.mustChangePassword,
    },
    csrfToken: principal.csrfToken,
    idleTimeoutSeconds: ctx.config.session.idleSeconds,
    expiresAt: principal.expiresAt.toISOString(),
  };
  return Response.json(info, { headers: { 'set-cookie': sessionCookie(token, principal.expiresAt) } });
});
