import { randomBytes } from 'node:crypto';
import type { CreateKekBody, KekView } from '../../lib/api/keys';
import { AppError } from '../../lib/errors';
import { audited, type AuditDeps } from '../audit/audited';
import { auditEvent, type RequestMeta } from '../audit/event';
import { findKek, kekView, sealedNewVersion } from './kek-store';

/** A KEK id: `kek-` and 20 letters or digits. */
export function newKekId(): string {
  return `kek-${randomBytes(15).toString('base64url').toLowerCase().replace(/[^a-z0-9]/g, '0').slice(0, 20)}`;
}

/** Creates a KEK with its first version; audited, or nothing is made. */
export async function createKek(deps: AuditDeps & { rootKey: Buffer }, body: CreateKekBody, meta: RequestMeta): Promise<KekView> {
  if (await deps.db.kek.findUnique({ where: { name: body.name } })) throw new AppError('conflict', `A key named ${body.name} exists already.`);
  const id = newKekId();
  await audited(deps, async (tx, record) => {
    await tx.kek.create({ data: { id, name: body.name, createdBy: meta.actor.name, latestVersion: 1, versions: { create: { version: 1, state: 'active', sealed: sealedNewVersion(deps.rootKey, id, 1) } } } });
    await record(auditEvent(meta, { action: 'key.create', details: { name: body.name, version: 1 } }, { type: 'kek', id, name: body.name }));
  });
  return kekView(await findKek(deps.db, id));
}
