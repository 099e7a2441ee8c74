import { randomUUID } from 'node:crypto';
import { audited } from '../audit/audited';
import { SYSTEM_ACTOR, auditEvent } from '../audit/event';
import type { ServerContext } from '../context';
import { generatePassword, hashPassword } from '../auth/password';
import { randomId, randomToken, sha256Hex } from '../auth/tokens';

type Deps = Pick<ServerContext, 'db' | 'ledger' | 'config' | 'pki'>;

/**
 * On first start (no users yet), creates the first admin with a random one-time password that must
 * be changed at first sign-in, and a developer-scoped API key of that admin so that `sbx` works on
 * the appliance host at once. Returns both secrets, or null when users already exist.
 */
export async function bootstrapAdmin(deps: Deps): Promise<{ username: string; password: string; developerApiKey: string } | null> {
  if ((await deps.db.user.count()) > 0) return null;
  const username = deps.config.adminUsername;
  const password = generatePassword();
  const passwordHash = await hashPassword(password);
  const now = new Date();
  const keyId = randomId(12);
  const keySecret = randomToken(32);
  const keyExpires = new Date(now.getTime() + 365 * 86_400_000);
  await audited(deps, async (tx, record) => {
    const user = await tx.user.create({
      data: { id: randomUUID(), username, displayName: 'Administrator', role: 'admin', passwordHash, mustChangePassword: true, createdAt: now, updatedAt: now },
    });
    await tx.apiKey.create({
      data: { id: keyId, name: 'bootstrap-developer', role: 'developer', userId: user.id, secretHash: sha256Hex(keySecret), createdAt: now, expiresAt: keyExpires },
    });
    const meta = { actor: SYSTEM_ACTOR, sourceIp: null, userAgent: null, requestId: randomUUID() };
    await record(
      auditEvent(meta, { action: 'system.bootstrap', details: { admin: username, caFingerprint: deps.pki.caFingerprint } }, { type: 'user', id: user.id, name: username }),
    );
    await record(
      auditEvent(
        meta,
        { action: 'apikey.create', details: { name: 'bootstrap-developer', role: 'developer', expiresAt: keyExpires.toISOString(), owner: username } },
        { type: 'api_key', id: keyId, name: 'bootstrap-developer' },
      ),
    );
  });
  return { username, password, developerApiKey: `sbx_${keyId}_${keySecret}` };
}
