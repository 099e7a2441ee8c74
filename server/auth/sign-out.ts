import { audited } from '../audit/audited';
import { auditEvent, type RequestMeta } from '../audit/event';
import type { ServerContext } from '../context';
import type { Principal } from './principal';

type Deps = Pick<ServerContext, 'db' | 'ledger'>;

/** Ends a console session; `idle` is the console's automatic logoff. */
export async function signOut(
  deps: Deps,
  principal: Extract<Principal, { kind: 'session' }>,
  reason: 'user' | 'idle',
  meta: RequestMeta,
): Promise<void> {
  await audited(deps, async (tx, record) => {
    await tx.session.updateMany({ where: { id: principal.sessionId, endedAt: null }, data: { endedAt: new Date() } });
    await record(
      auditEvent(meta, { action: 'auth.sign_out', details: { reason } }, { type: 'session', id: principal.sessionId.slice(0, 16), name: principal.username }),
    );
  });
}
