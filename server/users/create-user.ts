import { randomUUID } from 'node:crypto';
import type { CreateUserBody, CreatedUser } from '../../lib/api/users';
import { AppError } from '../../lib/errors';
import { audited } from '../audit/audited';
import { auditEvent, type RequestMeta } from '../audit/event';
import type { ServerContext } from '../context';
import { generatePassword, hashPassword } from '../auth/password';
import { toUserView } from './user-view';

type Deps = Pick<ServerContext, 'db' | 'ledger'>;

/** Creates a user who must change the first password at first sign-in. */
export async function createUser(deps: Deps, body: CreateUserBody, meta: RequestMeta): Promise<CreatedUser> {
  const existing = await deps.db.user.findUnique({ where: { username: body.username } });
  if (existing) throw new AppError('conflict', `username: a user named ${body.username} already exists`, 'username');
  const initialPassword = body.password ?? generatePassword();
  const passwordHash = await hashPassword(initialPassword);
  const now = new Date();
  const user = await audited(deps, async (tx, record) => {
    const created = await tx.user.create({
      data: {
        id: randomUUID(),
        username: body.username,
        displayName: body.displayName,
        role: body.role,
        passwordHash,
        mustChangePassword: true,
        createdAt: now,
        updatedAt: now,
      },
    });
    await record(
      auditEvent(meta, { action: 'user.create', details: { username: created.username, role: body.role } }, { type: 'user', id: created.id, name: created.username }),
    );
    return created;
  });
  return { user: toUserView(user), initialPassword: body.password ? null : initialPassword };
}
