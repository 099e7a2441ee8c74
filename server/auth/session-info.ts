import type { SessionInfo } from '../../lib/api/auth';
import type { Principal } from './principal';

/** What the console is told about its own session. */
export function sessionInfoOf(p: Extract<Principal, { kind: 'session' }>, idleTimeoutSeconds: number): SessionInfo {
  return {
    user: { id: p.userId, username: p.username, displayName: p.displayName, role: p.role, mustChangePassword: p.mustChangePassword },
    csrfToken: p.csrfToken,
    idleTimeoutSeconds,
    expiresAt: p.expiresAt.toISOString(),
  };
}
