import type { RequestMeta } from '../audit/event';
import type { Principal } from '../auth/principal';
import { auditedFileChange, type Deps } from './change-files';

/** Removes a file (or, with `recursive`, a directory and all in it) in a sandbox. */
export function removeFile(deps: Deps, caller: Principal, id: string, path: string, recursive: boolean, meta: RequestMeta): Promise<{ removed: boolean }> {
  return auditedFileChange(deps, caller, id, path, meta, 'remove', recursive, (agentId) => deps.agents.call(agentId, 'files.remove', { id, path, recursive }, 60_000));
}
