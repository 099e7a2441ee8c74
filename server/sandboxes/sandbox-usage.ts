import type { SandboxUsage } from '../../lib/wire/protocol';
import type { Principal } from '../auth/principal';
import type { ServerContext } from '../context';
import { appErrorOf, findRunningSandbox } from './running-sandbox';

/** What a running sandbox uses now (memory, peak memory, CPU time, processes), from its host. */
export async function sandboxUsage(deps: Pick<ServerContext, 'db' | 'agents'>, caller: Principal, id: string): Promise<SandboxUsage> {
  const sandbox = await findRunningSandbox(deps, caller, id);
  try {
    return await deps.agents.call(sandbox.agentId, 'sandbox.usage', { id }, 5000);
  } catch (error) {
    throw appErrorOf(error, id);
  }
}
