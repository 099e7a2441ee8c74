import { SandboxState, type SandboxView } from '../../lib/api/sandboxes';
import { NetworkSpec } from '../../lib/api/network';
import { AppError } from '../../lib/errors';
import { can } from '../../lib/roles';
import type { Principal } from '../auth/principal';
import type { ServerContext } from '../context';
import type { Sandbox } from '../db/generated/client';

export function toSandboxView(s: Sandbox): SandboxView {
  return {
    id: s.id,
    hostId: s.agentId,
    owner: s.ownerName,
    image: s.image,
    cpus: s.cpus,
    memoryMiB: s.memoryMiB,
    pids: s.pids,
    diskMiB: s.diskMiB,
    state: SandboxState.parse(s.state),
    stateReason: s.stateReason,
    metadata: JSON.parse(s.metadata) as Record<string, string>,
    network: NetworkSpec.parse(JSON.parse(s.network)),
    kekId: s.kekId,
    createdAt: s.createdAt.toISOString(),
    deadlineAt: s.deadlineAt.toISOString(),
    endedAt: s.endedAt?.toISOString() ?? null,
  };
}

/** A sandbox the caller may act on: their own, or any for roles that manage sandboxes. */
export async function findSandbox(deps: Pick<ServerContext, 'db'>, caller: Principal, id: string): Promise<Sandbox> {
  const s = await deps.db.sandbox.findUnique({ where: { id } });
  // Someone else's sandbox is reported as missing, so ids cannot be probed.
  if (!s || (s.ownerId !== caller.userId && !can(caller.role, 'sandboxes.read'))) throw new AppError('not_found', `No sandbox with id ${id}.`);
  return s;
}
