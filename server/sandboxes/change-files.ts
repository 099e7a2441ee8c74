import type { RequestMeta } from '../audit/event';
import type { Principal } from '../auth/principal';
import type { ServerContext } from '../context';
import { recordFileEnd, recordFileStart } from './file-audit';
import { appErrorOf, findRunningSandbox } from './running-sandbox';

export type Deps = Pick<ServerContext, 'db' | 'ledger' | 'agents' | 'log'>;

/**
 * A change to a sandbox's files (remove, mkdir): audited before it is made (no audit, no change)
 * and again with its outcome.
 */
export async function auditedFileChange<T>(
  deps: Deps,
  caller: Principal,
  id: string,
  path: string,
  meta: RequestMeta,
  op: 'remove' | 'mkdir',
  recursive: boolean | undefined,
  act: (agentId: string) => Promise<T>,
): Promise<T> {
  const sandbox = await findRunningSandbox(deps, caller, id);
  const target = { type: 'sandbox' as const, id, name: sandbox.image };
  await recordFileStart(deps, meta, target, { op, path, recursive });
  try {
    const result = await act(sandbox.agentId);
    await recordFileEnd(deps, meta, target, { op, path });
    return result;
  } catch (error) {
    const failure = appErrorOf(error, id);
    await recordFileEnd(deps, meta, target, { op, path, error: failure.message.slice(0, 500) });
    throw failure;
  }
}
