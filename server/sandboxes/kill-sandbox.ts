import type { SandboxView } from '../../lib/api/sandboxes';
import { audited } from '../audit/audited';
import { auditEvent, type RequestMeta } from '../audit/event';
import type { Principal } from '../auth/principal';
import type { ServerContext } from '../context';
import { findSandbox, toSandboxView } from './sandbox-view';

type Deps = Pick<ServerContext, 'db' | 'ledger' | 'agents' | 'log'>;

/** Kills a sandbox: recorded first, then the agent stops it (its tear-down runs in the background there). */
export async function killSandbox(deps: Deps, caller: Principal, id: string, meta: RequestMeta): Promise<SandboxView> {
  const sandbox = await findSandbox(deps, caller, id);
  if (sandbox.state !== 'running' && sandbox.state !== 'starting' && sandbox.state !== 'paused') return toSandboxView(sandbox);
  const row = await audited(deps, async (tx, record) => {
    const r = await tx.sandbox.update({ where: { id }, data: { state: 'stopped', endedAt: new Date() } });
    await record(auditEvent(meta, { action: 'sandbox.stop', details: { reason: 'killed' } }, { type: 'sandbox', id, name: sandbox.image }));
    return r;
  });
  await deps.agents.call(sandbox.agentId, 'sandbox.kill', { id }, 30_000).catch((err: unknown) => deps.log.warn({ err, sandbox: id }, 'agent did not confirm the kill'));
  return toSandboxView(row);
}
