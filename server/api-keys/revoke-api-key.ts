import type { ApiKeyView } from '../../lib/api/api-keys';
import { AppError } from '../../lib/errors';
import { can } from '../../lib/roles';
import { audited } from '../audit/audited';
import { auditEvent, type RequestMeta } from '../audit/event';
import type { ServerContext } from '../context';
import type { Principal } from '../auth/principal';
import { toApiKeyView } from './api-key-view';

type Deps = Pick<ServerContext, 'db' | 'ledger'>;

/** Revokes a key at once. Owners revoke their own keys; admins any key. */
export async function revokeApiKey(deps: Deps, caller: Principal, id: string, meta: RequestMeta): Promise<ApiKeyView> {
  const key = await deps.db.apiKey.findUnique({ where: { id }, include: { user: { select: { username: true } } } });
  // Someone else's key is reported as missing, so key ids cannot be probed.
  if (!key || (key.userId !== caller.userId && !can(caller.role, 'apikeys.write_all'))) {
    throw new AppError('not_found', `No API key with id ${id}.`);
  }
  if (key.revokedAt) return toApiKeyView(key);
  const revoked = await audited(deps, async (tx, record) => {
    const updated = await tx.apiKey.update({
      where: { id },
      data: { revokedAt: new Date() },
      include: { user: { select: { username: true } } },
    });
    await record(auditEvent(meta, { action: 'apikey.revoke', details: { name: key.name, owner: key.user.username } }, { type: 'api_key', id, name: key.name }));
    return updated;
  });
  return toApiKeyView(revoked);
}
