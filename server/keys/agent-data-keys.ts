import { AppError } from '../../lib/errors';
import { audited, type AuditDeps } from '../audit/audited';
import { auditEvent, type RequestMeta } from '../audit/event';
import type { Db } from '../db/client';
import { issueDataKey, rewrapKey, unwrapKey, type KekRef } from './data-keys';
import { DEFAULT_KEK } from './ensure-default-kek';
import { findKek } from './kek-store';

type Deps = AuditDeps & { db: Db; rootKey: Buffer };

/** The sandbox must be this agent's, and the object one of that sandbox's. */
async function checkOwnership(deps: Deps, agentId: string, sandboxId: string, context: string): Promise<{ image: string; kekId: string | null }> {
  const sandbox = await deps.db.sandbox.findUnique({ where: { id: sandboxId }, select: { agentId: true, image: true, state: true, kekId: true } });
  if (!sandbox || sandbox.agentId !== agentId) throw new AppError('permission_denied', `Sandbox ${sandboxId} does not run on this host.`);
  if (!context.startsWith(`checkpoint:${sandboxId}:`)) throw new AppError('permission_denied', `The object ${context} is not one of sandbox ${sandboxId}.`);
  return sandbox;
}

/**
 * A data key for an object of one of the agent's sandboxes, wrapped with the latest version of the
 * sandbox's KEK; the hand-out is recorded in the ledger before the key leaves (no record, no key).
 */
export async function issueKeyForAgent(deps: Deps, agentId: string, p: { sandboxId: string; context: string }, meta: RequestMeta) {
  const sandbox = await checkOwnership(deps, agentId, p.sandboxId, p.context);
  const kek = await findKek(deps.db, sandbox.kekId ?? DEFAULT_KEK);
  const issued = await issueDataKey(deps, kek.id, { context: p.context, host: agentId });
  await audited(deps, (_tx, record) =>
    record(auditEvent(meta, { action: 'key.use', details: { name: kek.name, version: issued.kek.version, op: 'issue', context: p.context, sandboxId: p.sandboxId } }, { type: 'sandbox', id: p.sandboxId, name: sandbox.image })),
  );
  return { dataKey: issued.dataKey.toString('base64'), kek: issued.kek, wrappedKey: issued.wrappedKey };
}

/** The data key of a stored object wrapped again with its KEK's latest version (it never leaves in clear). */
export async function rewrapKeyForAgent(deps: Deps, agentId: string, p: { sandboxId: string; context: string; kek: KekRef; wrappedKey: string }, meta: RequestMeta) {
  const sandbox = await checkOwnership(deps, agentId, p.sandboxId, p.context);
  const kek = await findKek(deps.db, p.kek.id);
  const moved = await rewrapKey(deps, p.kek, { context: p.context, host: agentId }, p.wrappedKey);
  await audited(deps, (_tx, record) =>
    record(auditEvent(meta, { action: 'key.use', details: { name: kek.name, version: moved.kek.version, op: 'rewrap', context: p.context, sandboxId: p.sandboxId } }, { type: 'sandbox', id: p.sandboxId, name: sandbox.image })),
  );
  return moved;
}

/** The data key of a stored object of one of the agent's sandboxes; a refusal is recorded too. */
export async function unwrapKeyForAgent(deps: Deps, agentId: string, p: { sandboxId: string; context: string; kek: KekRef; wrappedKey: string }, meta: RequestMeta) {
  const sandbox = await checkOwnership(deps, agentId, p.sandboxId, p.context);
  const kek = await findKek(deps.db, p.kek.id);
  const target = { type: 'sandbox' as const, id: p.sandboxId, name: sandbox.image };
  const details = { name: kek.name, version: p.kek.version, op: 'unwrap' as const, context: p.context, sandboxId: p.sandboxId };
  let key: Buffer;
  try {
    key = await unwrapKey(deps, p.kek, { context: p.context, host: agentId }, p.wrappedKey);
  } catch (error) {
    await audited(deps, (_tx, record) => record(auditEvent(meta, { action: 'key.use', details: { ...details, reason: (error as Error).message } }, target, 'denied')));
    throw error;
  }
  try {
    await audited(deps, (_tx, record) => record(auditEvent(meta, { action: 'key.use', details }, target)));
    return { dataKey: key.toString('base64') };
  } finally {
    key.fill(0);
  }
}
