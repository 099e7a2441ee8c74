import type { RequestMeta } from '../audit/event';
import type { Principal } from '../auth/principal';
import { auditedFileChange, type Deps } from './change-files';

/** Makes a directory and any missing parents in a sandbox. */
export function makeDirectory(deps: Deps, caller: Principal, id: string, path: string, meta: RequestMeta): Promise<{ created: boolean }> {
  return auditedFileChange(deps, caller, id, path, meta, 'mkdir', undefined, (agentId) => deps.agents.call(agentId, 'files.mkdir', { id, path }, 30_000));
}
