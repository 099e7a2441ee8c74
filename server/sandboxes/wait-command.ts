import type { ExecEvent } from '../../lib/api/sandboxes';
import type { Principal } from '../auth/principal';
import type { ServerContext } from '../context';
import { findCommand } from './command-view';

/**
 * Follows a command: what is kept of its output, then its output as it comes, then its end. A
 * command whose output is no longer kept (ended long ago, or the control plane restarted) is
 * answered with its recorded end alone.
 */
export async function waitCommand(
  deps: Pick<ServerContext, 'db' | 'commands'>,
  caller: Principal,
  sandboxId: string,
  commandId: string,
): Promise<(listener: (e: ExecEvent) => void) => () => void> {
  const c = await findCommand(deps, caller, sandboxId, commandId);
  const live = deps.commands.get(commandId);
  if (live) return (listener) => live.listen(listener);
  return (listener) => {
    listener({ type: 'start', commandId });
    if (c.state === 'running' || c.state === 'lost' || c.state === 'failed') {
      listener({ type: 'error', error: { code: 'unavailable', message: `Command ${commandId} was lost: the control plane restarted while it ran, or it could not be run.` } });
    } else {
      listener({ type: 'exit', exitCode: c.exitCode, signal: c.signal, timedOut: c.state === 'timed_out', memoryLimitExceeded: false, durationMs: c.durationMs ?? 0 });
    }
    return () => undefined;
  };
}
