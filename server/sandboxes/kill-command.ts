import type { CommandView } from '../../lib/api/sandboxes';
import { audited } from '../audit/audited';
import { auditEvent, type RequestMeta } from '../audit/event';
import type { Principal } from '../auth/principal';
import type { ServerContext } from '../context';
import { findCommand, toCommandView } from './command-view';
import { askAgent } from './running-sandbox';

type Deps = Pick<ServerContext, 'db' | 'ledger' | 'agents' | 'log' | 'commands'>;

/**
 * Kills a running command (the sandbox goes on). Audited before the kill is sent; the command's
 * end is then recorded as for any command (killed by SIGKILL). A command that already ended is
 * answered as it is.
 */
export async function killCommand(deps: Deps, caller: Principal, sandboxId: string, commandId: string, meta: RequestMeta): Promise<CommandView> {
  const c = await findCommand(deps, caller, sandboxId, commandId);
  const live = deps.commands.get(commandId);
  if (c.state !== 'running' || !live || live.final) return toCommandView(c);
  await audited(deps, (_tx, record) =>
    record(auditEvent(meta, { action: 'sandbox.exec', details: { phase: 'kill', command: c.command, commandId } }, { type: 'sandbox', id: sandboxId, name: null })),
  );
  await askAgent(deps, live.agentId, sandboxId, 'sandbox.exec.kill', { id: sandboxId, execId: commandId }, 10_000);
  // The end arrives from the agent a moment later; answer with it once it is recorded.
  await Promise.race([live.recorded, new Promise((resolve) => setTimeout(resolve, 5000))]);
  return toCommandView(await findCommand(deps, caller, sandboxId, commandId));
}
