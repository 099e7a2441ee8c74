import type { AuditPage } from '../../lib/api/audit';
import type { Principal } from '../auth/principal';
import type { ServerContext } from '../context';
import { listAuditEvents } from '../audit/list-events';
import { findSandbox } from './sandbox-view';

/** A sandbox's recent egress decisions (its `sandbox.egress` audit events), newest first. */
export async function listEgressDecisions(deps: Pick<ServerContext, 'db'>, caller: Principal, id: string, before?: number, limit = 100): Promise<AuditPage> {
  await findSandbox(deps, caller, id);
  return listAuditEvents(deps, { action: 'sandbox.egress', target: id, limit, ...(before ? { before } : {}) });
}
