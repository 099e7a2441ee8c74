import type { SandboxUsage } from '../../lib/wire/protocol';
import type { Principal } from '../auth/principal';
import type { ServerContext } from '../context';
import { askAgent, findRunningSandbox } from './running-sandbox';

/** What a running sandbox uses now (memory, peak memory, CPU time, processes), from its host. */
export async function sandboxUsage(deps: Pick<ServerContext, 'db' | 'agents'>, caller: Principal, id: string): Promise<SandboxUsage> {
  const sandbox = await findRunningSandbox(deps, caller, id);
  return askAgent(deps, sandbox.agentId, id, 'sandbox.usage', { id }, 5000);
}
