import type { Logger } from 'pino';
import type { RewrapStatus } from '../../lib/api/keys';
import { audited, type AuditDeps } from '../audit/audited';
import { auditEvent, type RequestMeta } from '../audit/event';
import type { ServerContext } from '../context';
import { findKek } from './kek-store';

type Deps = AuditDeps & Pick<ServerContext, 'agents'> & { log: Logger };

/** The rewraps under way, by KEK id, with their last failure (in this control plane process). */
const running = new Map<string, { lastError: string | null }>();
const lastErrors = new Map<string, string | null>();

/** How far the stored data keys of a KEK are: paused sandboxes' images by the version that wraps them. */
export async function rewrapStatus(deps: Pick<Deps, 'db'>, idOrName: string): Promise<RewrapStatus> {
  const kek = await findKek(deps.db, idOrName);
  const rows = await deps.db.sandbox.groupBy({ by: ['imageKekVersion'], where: { state: 'paused', imageKekId: kek.id }, _count: { _all: true } });
  const byVersion = rows.map((r) => ({ version: r.imageKekVersion ?? 0, objects: r._count._all })).sort((a, b) => a.version - b.version);
  const total = byVersion.reduce((n, r) => n + r.objects, 0);
  const current = byVersion.find((r) => r.version === kek.latestVersion)?.objects ?? 0;
  return { latestVersion: kek.latestVersion, total, current, byVersion, running: running.has(kek.id), lastError: running.get(kek.id)?.lastError ?? lastErrors.get(kek.id) ?? null };
}

/**
 * Starts moving every stored data key of a KEK to its latest version: the agents rewrite the
 * headers of their paused sandboxes' images (the data is not touched), one sandbox at a time, in
 * the background; the status shows how far it got. Audited before it starts.
 */
export async function startRewrap(deps: Deps, idOrName: string, meta: RequestMeta): Promise<RewrapStatus> {
  const kek = await findKek(deps.db, idOrName);
  if (!running.has(kek.id)) {
    const behind = await deps.db.sandbox.findMany({ where: { state: 'paused', imageKekId: kek.id, imageKekVersion: { lt: kek.latestVersion } }, select: { id: true, agentId: true } });
    await audited(deps, (_tx, record) => record(auditEvent(meta, { action: 'key.rewrap', details: { name: kek.name, version: kek.latestVersion, objects: behind.length } }, { type: 'kek', id: kek.id, name: kek.name })));
    const state = { lastError: null as string | null };
    running.set(kek.id, state);
    void (async () => {
      for (const s of behind) {
        try {
          const r = await deps.agents.call(s.agentId, 'sandbox.rewrap', { id: s.id, kekId: kek.id }, 5 * 60_000);
          if (r.kek) await deps.db.sandbox.updateMany({ where: { id: s.id, state: 'paused' }, data: { imageKekVersion: r.kek.version } });
        } catch (error) {
          state.lastError = `sandbox ${s.id}: ${(error as Error).message}`;
          deps.log.warn({ sandbox: s.id, err: (error as Error).message }, 'rewrap of a paused sandbox failed');
        }
      }
    })().finally(() => {
      lastErrors.set(kek.id, state.lastError);
      running.delete(kek.id);
    });
  }
  return rewrapStatus(deps, kek.id);
}
