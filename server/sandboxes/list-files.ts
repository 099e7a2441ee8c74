import type { FileList } from '../../lib/api/files';
import type { Principal } from '../auth/principal';
import type { ServerContext } from '../context';
import { askAgent, findRunningSandbox } from './running-sandbox';

/** The entries of a directory in a sandbox, by name (metadata only, so not audited as a read). */
export async function listFiles(deps: Pick<ServerContext, 'db' | 'agents'>, caller: Principal, id: string, path: string): Promise<FileList> {
  const sandbox = await findRunningSandbox(deps, caller, id);
  const { entries } = await askAgent(deps, sandbox.agentId, id, 'files.list', { id, path }, 30_000);
  return { path, entries };
}
