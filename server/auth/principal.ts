import type { AuditActor } from '../../lib/audit/events';
import type { Role } from '../../lib/roles';

/** An authenticated caller: a console session or an API key. */
export type Principal =
  | {
      kind: 'session';
      userId: string;
      username: string;
      displayName: string;
      role: Role;
      mustChangePassword: boolean;
      sessionId: string;
      csrfToken: string;
      expiresAt: Date;
    }
  | { kind: 'api_key'; userId: string; username: string; role: Role; apiKeyId: string; keyName: string; team: string | null };

export function actorOf(p: Principal): AuditActor {
  return p.kind === 'session'
    ? { type: 'user', id: p.userId, name: p.username }
    : { type: 'api_key', id: p.apiKeyId, name: `${p.username}/${p.keyName}` };
}
