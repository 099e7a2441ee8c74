import type { SandboxView } from '../../lib/api/sandboxes';
import { can } from '../../lib/roles';
import type { Principal } from '../auth/principal';
import type { ServerContext } from '../context';
import { toSandboxView } from './sandbox-view';

/** Newest first; developers see their own sandboxes, operators and admins all of them. */
export async function listSandboxes(deps: Pick<ServerContext, 'db'>, caller: Principal): Promise<SandboxView[]> {
  const rows = await deps.db.sandbox.findMany({
    where: can(caller.role, 'sandboxes.read') ? {} : { ownerId: caller.userId },
    orderBy: { createdAt: 'desc' },
    take: 500,
  });
  return rows.map(toSandboxView);
}
