import type { UpdateUserBody, UserView } from '../../lib/api/users';
import { AppError } from '../../lib/errors';
import { Role } from '../../lib/roles';
import { audited } from '../audit/audited';
import { auditEvent, type RequestMeta } from '../audit/event';
import type { ServerContext } from '../context';
import type { Principal } from '../auth/principal';
import { toUserView } from './user-view';

type Deps = Pick<ServerContext, 'db' | 'ledger'>;

/**
 * Changes a user's role, disables or enables them, or lifts a sign-in lock-out. Users are never
 * deleted, so that the audit trail keeps its actors. An admin cannot demote or disable themself,
 * and the last enabled admin cannot be removed.
 */
export async function updateUser(
  deps: Deps,
  caller: Principal,
  userId: string,
  body: UpdateUserBody,
  meta: RequestMeta,
): Promise<UserView> {
  const user = await deps.db.user.findUnique({ where: { id: userId } });
  if (!user) throw new AppError('not_found', `No user with id ${userId}.`);
  const fromRole = Role.parse(user.role);
  const losesAdmin =
    fromRole === 'admin' && !user.disabled && ((body.role !== undefined && body.role !== 'admin') || body.disabled === true);
  if (losesAdmin && caller.userId === user.id) {
    throw new AppError('conflict', 'You cannot remove your own admin rights; ask another admin.');
  }
  if (losesAdmin) {
    const admins = await deps.db.user.count({ where: { role: 'admin', disabled: false } });
    if (admins <= 1) throw new AppError('conflict', `${user.username} is the last enabled admin.`);
  }
  const details: { role?: { from: Role; to: Role }; disabled?: { from: boolean; to: boolean }; unlocked?: boolean } = {};
  if (body.role !== undefined && body.role !== fromRole) details.role = { from: fromRole, to: body.role };
  if (body.disabled !== undefined && body.disabled !== user.disabled) details.disabled = { from: user.disabled, to: body.disabled };
  if (body.unlock) details.unlocked = true;
  if (Object.keys(details).length === 0) return toUserView(user);

  const updated = await audited(deps, async (tx, record) => {
    const next = await tx.user.update({
      where: { id: user.id },
      data: {
        role: details.role?.to,
        disabled: details.disabled?.to,
        ...(body.unlock ? { failedSignIns: 0, lockedUntil: null } : {}),
        updatedAt: new Date(),
      },
    });
    if (details.disabled?.to === true) {
      await tx.session.updateMany({ where: { userId: user.id, endedAt: null }, data: { endedAt: new Date() } });
    }
    await record(auditEvent(meta, { action: 'user.update', details }, { type: 'user', id: user.id, name: user.username }));
    return next;
  });
  return toUserView(updated);
}
