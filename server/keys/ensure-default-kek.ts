import { randomUUID } from 'node:crypto';
import type { AuditDeps } from '../audit/audited';
import { SYSTEM_ACTOR } from '../audit/event';
import { createKek } from './create-kek';

/** The KEK sandboxes use when nothing names another. */
export const DEFAULT_KEK = 'default';

/** On a first start, makes the default KEK (audited as the appliance's own act): encryption at rest needs no setting up. */
export async function ensureDefaultKek(deps: AuditDeps & { rootKey: Buffer }): Promise<void> {
  if ((await deps.db.kek.count()) > 0) return;
  await createKek(deps, { name: DEFAULT_KEK }, { actor: SYSTEM_ACTOR, sourceIp: null, userAgent: null, requestId: randomUUID() });
}
