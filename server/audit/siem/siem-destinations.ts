import { randomUUID } from 'node:crypto';
import type { SiemDestinationBody, SiemDestinationView } from '../../../lib/api/siem';
import { AppError } from '../../../lib/errors';
import type { ServerContext } from '../../context';
import type { SiemDestination } from '../../db/generated/client';
import { audited } from '../audited';
import { auditEvent, type RequestMeta } from '../event';
import { loadedConfig, storedConfig } from './destination-config';
import { targetOf } from './deliver';

type Deps = Pick<ServerContext, 'db' | 'ledger' | 'rootKey' | 'siem'>;

function view(row: SiemDestination, rootKey: Buffer, head: number): SiemDestinationView {
  const config = loadedConfig(row.config, rootKey);
  return {
    id: row.id,
    name: row.name,
    kind: config.kind,
    target: targetOf(config),
    createdAt: row.createdAt.toISOString(),
    lastSeq: row.lastSeq,
    lastSentAt: row.lastSentAt?.toISOString() ?? null,
    lastError: row.lastError,
    behind: Math.max(0, head - row.lastSeq),
  };
}

/** Every SIEM destination with how far it got. */
export async function listSiemDestinations(deps: Deps): Promise<SiemDestinationView[]> {
  const rows = await deps.db.siemDestination.findMany({ orderBy: { createdAt: 'asc' } });
  return rows.map((r) => view(r, deps.rootKey, deps.ledger.size));
}

/** Adds a destination; it starts from the first event (the whole ledger streams to it). */
export async function createSiemDestination(deps: Deps, body: SiemDestinationBody, meta: RequestMeta): Promise<SiemDestinationView> {
  const id = `siem-${randomUUID().slice(0, 8)}`;
  const row = await audited(deps, async (tx, record) => {
    const created = await tx.siemDestination.create({ data: { id, name: body.name, kind: body.kind, config: storedConfig(body, deps.rootKey) } });
    await record(auditEvent(meta, { action: 'siem.create', details: { name: body.name, kind: body.kind, target: targetOf(body) } }, { type: 'siem', id, name: body.name }));
    return created;
  });
  deps.siem.kick();
  return view(row, deps.rootKey, deps.ledger.size);
}

/** Removes a destination (its cursor goes with it). */
export async function deleteSiemDestination(deps: Deps, id: string, meta: RequestMeta): Promise<void> {
  const row = await deps.db.siemDestination.findUnique({ where: { id } });
  if (!row) throw new AppError('not_found', `There is no SIEM destination ${id}.`);
  const config = loadedConfig(row.config, deps.rootKey);
  await audited(deps, async (tx, record) => {
    await tx.siemDestination.delete({ where: { id } });
    await record(auditEvent(meta, { action: 'siem.delete', details: { name: row.name, kind: row.kind, target: targetOf(config), lastSeq: row.lastSeq } }, { type: 'siem', id, name: row.name }));
  });
  deps.siem.drop(id);
}
