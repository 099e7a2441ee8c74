import { timingSafeEqual } from 'node:crypto';
import { API_KEY_PATTERN } from '../../lib/api/api-keys';
import { AppError } from '../../lib/errors';
import { Role, canDelegate } from '../../lib/roles';
import type { ServerContext } from '../context';
import type { Principal } from './principal';
import { sha256Hex } from './tokens';

type Deps = Pick<ServerContext, 'db'>;

/** Resolves an `Authorization: Bearer sbx_...` API key, refusing revoked, expired or orphaned keys. */
export async function authenticateApiKey(deps: Deps, bearer: string): Promise<Principal> {
  const match = API_KEY_PATTERN.exec(bearer);
  const refuse = (why: string) => new AppError('unauthenticated', why);
  if (!match) throw refuse('The API key is malformed; expected sbx_<id>_<secret>.');
  const [, id, secret] = match as unknown as [string, string, string];
  const key = await deps.db.apiKey.findUnique({ where: { id }, include: { user: true } });
  const given = Buffer.from(sha256Hex(secret), 'hex');
  const stored = Buffer.from(key?.secretHash ?? '0'.repeat(64), 'hex');
  if (!key || !timingSafeEqual(given, stored)) throw refuse(`The API key sbx_${id} is not valid.`);
  const now = new Date();
  if (key.revokedAt) throw refuse(`The API key sbx_${id} (${key.name}) was revoked.`);
  if (key.expiresAt <= now) throw refuse(`The API key sbx_${id} (${key.name}) expired at ${key.expiresAt.toISOString()}.`);
  if (key.user.disabled) throw refuse(`The owner of API key sbx_${id} is disabled.`);
  const role = Role.parse(key.role);
  // A key never outranks its owner as they are now: a demoted owner's stronger keys stop working.
  if (!canDelegate(Role.parse(key.user.role), role)) {
    throw refuse(`The API key sbx_${id} has role ${role}, above its owner's current role.`);
  }
  if (!key.lastUsedAt || now.getTime() - key.lastUsedAt.getTime() > 60_000) {
    await deps.db.apiKey.update({ where: { id }, data: { lastUsedAt: now } });
  }
  return { kind: 'api_key', userId: key.userId, username: key.user.username, role, apiKeyId: id, keyName: key.name, team: key.team };
}
