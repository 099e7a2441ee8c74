import type { RequestMeta } from '../audit/event';
import { audited } from '../audit/audited';
import { auditEvent } from '../audit/event';
import type { Principal } from '../auth/principal';
import type { ServerContext } from '../context';
import { appErrorOf, findRunningSandbox } from './running-sandbox';

export type Deps = Pick<ServerContext, 'db' | 'auditLock' | 'agents' | 'log'>;

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
  await audited(deps, (_tx, record) => record(auditEvent(meta, { action: 'sandbox.file', details: { op, phase: 'start', path, recursive } }, target)));
  try {
    const result = await act(sandbox.agentId);
    await audited(deps, (_tx, record) => record(auditEvent(meta, { action: 'sandbox.file', details: { op, phase: 'end', path } }, target))).catch((err: unknown) =>
      deps.log.error({ err }, 'could not record the end of a file change'),
    );
    return result;
  } catch (error) {
    const failure = appErrorOf(error, id);
    await audited(deps, (_tx, record) =>
      record(auditEvent(meta, { action: 'sandbox.file', details: { op, phase: 'end', path, error: failure.message.slice(0, 500) } }, target, 'failure')),
    ).catch((err: unknown) => deps.log.error({ err }, 'could not record a failed file change'));
    throw failure;
  }
}
