import { randomUUID } from 'node:crypto';
import { audited } from '../audit/audited';
import { SYSTEM_ACTOR, auditEvent } from '../audit/event';
import type { ServerContext } from '../context';
import { generatePassword, hashPassword } from '../auth/password';

type Deps = Pick<ServerContext, 'db' | 'auditLock' | 'config' | 'pki'>;

/**
 * On first start (no users yet), creates the first admin with a random one-time password that must
 * be changed at first sign-in. Returns the password, or null when users already exist.
 */
export async function bootstrapAdmin(deps: Deps): Promise<{ username: string; password: string } | null> {
  if ((await deps.db.user.count()) > 0) return null;
  const username = deps.config.adminUsername;
  const password = generatePassword();
  const passwordHash = await hashPassword(password);
  const now = new Date();
  await audited(deps, async (tx, record) => {
    const user = await tx.user.create({
      data: { id: randomUUID(), username, displayName: 'Administrator', role: 'admin', passwordHash, mustChangePassword: true, createdAt: now, updatedAt: now },
    });
    await record(
      auditEvent(
        { actor: SYSTEM_ACTOR, sourceIp: null, userAgent: null, requestId: randomUUID() },
        { action: 'system.bootstrap', details: { admin: username, caFingerprint: deps.pki.caFingerprint } },
        { type: 'user', id: user.id, name: username },
      ),
    );
  });
  return { username, password };
}
