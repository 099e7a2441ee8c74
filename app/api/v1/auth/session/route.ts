import type { SessionInfo } from '@/lib/api/auth';
import { AppError } from '@/lib/errors';
import { sessionInfoOf } from '@/server/auth/session-info';
import { apiRoute } from '@/server/http/api-route';

export const GET = apiRoute({ auth: true, beforePasswordChange: true }, async ({ ctx, principal }): Promise<SessionInfo> => {
  if (principal.kind !== 'session') throw new AppError('invalid_argument', 'This endpoint describes console sessions; API keys have none.');
  return sessionInfoOf(principal, ctx.config.session.idleSeconds);
});
