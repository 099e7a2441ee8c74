import type { CreateApiKeyBody, CreatedApiKey } from '../../lib/api/api-keys';
import { AppError } from '../../lib/errors';
import { can, canDelegate } from '../../lib/roles';
import { audited } from '../audit/audited';
import { auditEvent, type RequestMeta } from '../audit/event';
import type { ServerContext } from '../context';
import type { Principal } from '../auth/principal';
import { randomId, randomToken, sha256Hex } from '../auth/tokens';
import { toApiKeyView } from './api-key-view';

type Deps = Pick<ServerContext, 'db' | 'ledger'>;

/** Mints an API key for the caller, scoped to their role or a lesser one. The secret is returned once. */
export async function createApiKey(
  deps: Deps,
  caller: Principal,
  body: CreateApiKeyBody,
  meta: RequestMeta,
): Promise<CreatedApiKey> {
  if (!canDelegate(caller.role, body.role)) {
    throw new AppError('permission_denied', `role: a ${caller.role} cannot create a key with role ${body.role}`, 'role');
  }
  // A team picks the policy of the key's sandboxes: choosing one is an admin's decision.
  if (body.team !== undefined && !can(caller.role, 'policies.write')) {
    throw new AppError('permission_denied', `team: a ${caller.role} cannot assign a key to a team (its policy decides what the key's sandboxes may do); ask an admin`, 'team');
  }
  const id = randomId(12);
  const secret = randomToken(32);
  const now = new Date();
  const expiresAt = new Date(now.getTime() + body.expiresInDays * 86_400_000);
  const key = await audited(deps, async (tx, record) => {
    const created = await tx.apiKey.create({
      data: { id, name: body.name, team: body.team ?? null, role: body.role, userId: caller.userId, secretHash: sha256Hex(secret), createdAt: now, expiresAt },
      include: { user: { select: { username: true } } },
    });
    await record(
      auditEvent(
        meta,
        { action: 'apikey.create', details: { name: body.name, team: body.team, role: body.role, expiresAt: expiresAt.toISOString(), owner: caller.username } },
        { type: 'api_key', id, name: body.name },
      ),
    );
    return created;
  });
  return { apiKey: toApiKeyView(key), secret: `sbx_${id}_${secret}` };
}
