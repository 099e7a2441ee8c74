import { CommandState, type CommandView } from '../../lib/api/sandboxes';
import { AppError } from '../../lib/errors';
import type { Principal } from '../auth/principal';
import type { ServerContext } from '../context';
import type { SandboxCommand } from '../db/generated/client';
import { findSandbox } from './sandbox-view';

export function toCommandView(c: SandboxCommand): CommandView {
  return {
    id: c.id,
    sandboxId: c.sandboxId,
    actor: c.actorName,
    command: c.command,
    background: c.background,
    state: CommandState.parse(c.state),
    exitCode: c.exitCode,
    signal: c.signal,
    startedAt: c.startedAt.toISOString(),
    endedAt: c.endedAt?.toISOString() ?? null,
    durationMs: c.durationMs,
  };
}

/** A command of a sandbox the caller may see; a command of another sandbox is reported as missing. */
export async function findCommand(deps: Pick<ServerContext, 'db'>, caller: Principal, sandboxId: string, commandId: string): Promise<SandboxCommand> {
  await findSandbox(deps, caller, sandboxId);
  const c = await deps.db.sandboxCommand.findUnique({ where: { id: commandId } });
  if (!c || c.sandboxId !== sandboxId) throw new AppError('not_found', `No command ${commandId} in sandbox ${sandboxId}.`);
  return c;
}
