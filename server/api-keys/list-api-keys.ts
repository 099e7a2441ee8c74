import type { ApiKeyView } from '../../lib/api/api-keys';
import { can } from '../../lib/roles';
import type { ServerContext } from '../context';
import type { Principal } from '../auth/principal';
import { toApiKeyView } from './api-key-view';

/** Admins see every key; everyone else sees their own. */
export async function listApiKeys(deps: Pick<ServerContext, 'db'>, caller: Principal): Promise<ApiKeyView[]> {
  const keys = await deps.db.apiKey.findMany({
    where: can(caller.role, 'apikeys.read_all') ? {} : { userId: caller.userId },
    include: { user: { select: { username: true } } },
    orderBy: { createdAt: 'desc' },
  });
  return keys.map(toApiKeyView);
}
