import { NO_NETWORK } from '../../lib/api/network';
import type { SandboxView } from '../../lib/api/sandboxes';
import { AppError } from '../../lib/errors';
import { audited } from '../audit/audited';
import { auditEvent, type RequestMeta } from '../audit/event';
import type { Principal } from '../auth/principal';
import type { ServerContext } from '../context';
import { narrowRunningSandboxes } from '../policies/narrow-running-sandboxes';
import { findKek } from '../keys/kek-store';
import { askAgent, findRunningSandbox } from './running-sandbox';
import { findSandbox, toSandboxView } from './sandbox-view';

type Deps = Pick<ServerContext, 'db' | 'ledger' | 'agents' | 'log' | 'policies'>;

/**
 * Pauses a running sandbox: its agent checkpoints it into an image encrypted with a data key from
 * here (issuing it is recorded) and frees it. The agent is asked outside the audit transaction,
 * since it asks back for its key; if the pause cannot be recorded, the sandbox is resumed again.
 * Its clock stands still while paused.
 */
export async function pauseSandbox(deps: Deps, caller: Principal, id: string, meta: RequestMeta): Promise<SandboxView> {
  const sandbox = await findRunningSandbox(deps, caller, id);
  const remaining = Math.max(1, Math.round((sandbox.deadlineAt.getTime() - Date.now()) / 1000));
  const paused = await askAgent(deps, sandbox.agentId, id, 'sandbox.pause', { id }, 10 * 60_000);
  const kek = await findKek(deps.db, paused.kek.id);
  try {
    const row = await audited(deps, async (tx, record) => {
      const network = paused.networkRemoved ? { network: JSON.stringify(NO_NETWORK) } : {};
      const r = await tx.sandbox.update({ where: { id }, data: { state: 'paused', pausedSeconds: remaining, imageKekId: paused.kek.id, imageKekVersion: paused.kek.version, ...network } });
      const details = { bytes: paused.bytes, kek: { name: kek.name, version: paused.kek.version }, ...(paused.networkRemoved ? { networkRemoved: true as const } : {}) };
      await record(auditEvent(meta, { action: 'sandbox.pause', details }, { type: 'sandbox', id, name: sandbox.image }));
      return r;
    });
    return toSandboxView(row);
  } catch (error) {
    await deps.agents.call(sandbox.agentId, 'sandbox.resume', { id, timeoutSeconds: remaining }, 10 * 60_000).catch((err: unknown) => deps.log.error({ err, sandbox: id }, 'a pause that could not be recorded could not be undone'));
    throw error;
  }
}

/** Resumes a paused sandbox with the time it had left; a destroyed key makes it fail, saying so. */
export async function resumeSandbox(deps: Deps, caller: Principal, id: string, meta: RequestMeta): Promise<SandboxView> {
  const sandbox = await findSandbox(deps, caller, id);
  if (sandbox.state !== 'paused') throw new AppError('conflict', `Sandbox ${id} is ${sandbox.state}; only a paused sandbox can be resumed.`);
  const remaining = sandbox.pausedSeconds ?? 60;
  await askAgent(deps, sandbox.agentId, id, 'sandbox.resume', { id, timeoutSeconds: remaining }, 10 * 60_000);
  const row = await audited(deps, async (tx, record) => {
    const r = await tx.sandbox.update({ where: { id }, data: { state: 'running', pausedSeconds: null, imageKekId: null, imageKekVersion: null, deadlineAt: new Date(Date.now() + remaining * 1000) } });
    await record(auditEvent(meta, { action: 'sandbox.resume', details: { remainingSeconds: remaining } }, { type: 'sandbox', id, name: sandbox.image }));
    return r;
  });
  // A policy that changed while it was paused applies to its egress now.
  if ((await narrowRunningSandboxes(deps, id)) === 0) return toSandboxView(row);
  return toSandboxView(await deps.db.sandbox.findUniqueOrThrow({ where: { id } }));
}
