import type { CommandView } from '../../lib/api/sandboxes';
import type { Principal } from '../auth/principal';
import type { ServerContext } from '../context';
import { toCommandView } from './command-view';
import { findSandbox } from './sandbox-view';

/** A sandbox's command history, newest first (at most `limit`). */
export async function listCommands(deps: Pick<ServerContext, 'db'>, caller: Principal, sandboxId: string, limit = 200): Promise<CommandView[]> {
  await findSandbox(deps, caller, sandboxId);
  const rows = await deps.db.sandboxCommand.findMany({ where: { sandboxId }, orderBy: { startedAt: 'desc' }, take: limit });
  return rows.map(toCommandView);
}
