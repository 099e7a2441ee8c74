import type { ApiKeyView } from '../../lib/api/api-keys';
import { Role } from '../../lib/roles';
import type { ApiKey, User } from '../db/generated/client';

export function toApiKeyView(k: ApiKey & { user: Pick<User, 'username'> }): ApiKeyView {
  return {
    id: k.id,
    name: k.name,
    role: Role.parse(k.role),
    team: k.team,
    owner: k.user.username,
    prefix: `sbx_${k.id}`,
    createdAt: k.createdAt.toISOString(),
    expiresAt: k.expiresAt.toISOString(),
    revokedAt: k.revokedAt?.toISOString() ?? null,
    lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
  };
}
