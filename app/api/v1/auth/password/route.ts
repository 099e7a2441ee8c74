import { ChangePasswordBody } from '@/lib/api/auth';
import { AppError } from '@/lib/errors';
import { changePassword } from '@/server/auth/change-password';
import { apiRoute } from '@/server/http/api-route';

export const POST = apiRoute({ auth: true, body: ChangePasswordBody, beforePasswordChange: true }, async ({ ctx, body, principal, meta }) => {
  if (principal.kind !== 'session') throw new AppError('invalid_argument', 'Passwords are changed from a console session.');
  await changePassword(ctx, principal, body, meta);
  return { ok: true };
});
