import { Role } from '../../lib/roles';
import { audited } from '../audit/audited';
import { auditEvent, type RequestMeta } from '../audit/event';
import type { ServerContext } from '../context';
import type { Principal } from './principal';
import { sha256Hex } from './tokens';

type Deps = Pick<ServerContext, 'db' | 'ledger' | 'config'>;
export type SessionResult =
  | { ok: true; principal: Extract<Principal, { kind: 'session' }> }
  | { ok: false; reason: 'none' | 'idle' | 'expired' };

/**
 * Resolves a session token. Sessions end after the idle timeout (HIPAA automatic logoff) or at
 * their absolute lifetime; ending one is audited. `touch` marks the caller active: background
 * polling passes false so that an unattended console still logs off.
 */
export async function authenticateSession(
  deps: Deps,
  token: string,
  origin: Omit<RequestMeta, 'actor'>,
  touch: boolean,
): Promise<SessionResult> {
  const id = sha256Hex(token);
  const session = await deps.db.session.findUnique({ where: { id }, include: { user: true } });
  if (!session || session.endedAt || session.user.disabled) return { ok: false, reason: 'none' };
  const now = Date.now();
  const idleMs = deps.config.session.idleSeconds * 1000;
  const expired = now >= session.expiresAt.getTime();
  const idle = now - session.lastSeenAt.getTime() >= idleMs;
  if (expired || idle) {
    const meta: RequestMeta = { ...origin, actor: { type: 'user', id: session.userId, name: session.user.username } };
    await audited(deps, async (tx, record) => {
      const ended = await tx.session.updateMany({ where: { id, endedAt: null }, data: { endedAt: new Date(now) } });
      if (ended.count > 0) {
        await record(auditEvent(meta, { action: 'auth.sign_out', details: { reason: expired ? 'expired' : 'idle' } }, { type: 'session', id: id.slice(0, 16), name: session.user.username }));
      } else {
        await record(auditEvent(meta, { action: 'auth.sign_out', details: { reason: 'expired' } }, { type: 'session', id: id.slice(0, 16), name: session.user.username }, 'failure'));
      }
    });
    return { ok: false, reason: expired ? 'expired' : 'idle' };
  }
  // Touch at most every few seconds: enough precision for the idle timer, few writes.
  if (touch && now - session.lastSeenAt.getTime() > Math.min(15_000, idleMs / 4)) {
    await deps.db.session.update({ where: { id }, data: { lastSeenAt: new Date(now) } });
  }
  return {
    ok: true,
    principal: {
      kind: 'session',
      userId: session.userId,
      username: session.user.username,
      displayName: session.user.displayName,
      role: Role.parse(session.user.role),
      mustChangePassword: session.user.mustChangePassword,
      sessionId: id,
      csrfToken: session.csrfToken,
      expiresAt: session.expiresAt,
    },
  };
}
