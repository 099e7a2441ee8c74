import type { ChangePasswordBody } from '../../lib/api/auth';
import { AppError } from '../../lib/errors';
import { audited } from '../audit/audited';
import { auditEvent, type RequestMeta } from '../audit/event';
import type { ServerContext } from '../context';
import { hashPassword, verifyPassword } from './password';
import type { Principal } from './principal';

type Deps = Pick<ServerContext, 'db' | 'ledger'>;

/** Changes the caller's own password and ends their other sessions. */
export async function changePassword(
  deps: Deps,
  principal: Extract<Principal, { kind: 'session' }>,
  body: ChangePasswordBody,
  meta: RequestMeta,
): Promise<void> {
  const user = await deps.db.user.findUniqueOrThrow({ where: { id: principal.userId } });
  const target = { type: 'user' as const, id: user.id, name: user.username };
  if (!(await verifyPassword(body.currentPassword, user.passwordHash))) {
    await audited(deps, (_tx, record) =>
      record(auditEvent(meta, { action: 'auth.password_change', details: { forced: user.mustChangePassword, reason: 'wrong current password' } }, target, 'failure')),
    );
    throw new AppError('invalid_argument', 'currentPassword: the current password is wrong', 'currentPassword');
  }
  const passwordHash = await hashPassword(body.newPassword);
  await audited(deps, async (tx, record) => {
    await tx.user.update({
      where: { id: user.id },
      data: { passwordHash, mustChangePassword: false, passwordChangedAt: new Date(), updatedAt: new Date() },
    });
    await tx.session.updateMany({
      where: { userId: user.id, endedAt: null, NOT: { id: principal.sessionId } },
      data: { endedAt: new Date() },
    });
    await record(auditEvent(meta, { action: 'auth.password_change', details: { forced: user.mustChangePassword } }, target));
  });
}
