import type { SessionInfo } from '@/lib/api/auth';
import { AppError } from '@/lib/errors';
import { apiRoute } from '@/server/http/api-route';

export const GET = apiRoute({ auth: true, beforePasswordChange: true }, async ({ ctx, principal }): Promise<SessionInfo> => {
  if (principal.kind !== 'session') throw new AppError('invalid_argument', 'This endpoint describes console sessions; API keys have none.');
  return {
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
});
