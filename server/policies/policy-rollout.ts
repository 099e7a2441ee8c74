import type { PolicyRollout } from '../../lib/api/policies';
import { AppError } from '../../lib/errors';
import type { ServerContext } from '../context';

/**
 * Where every enrolled host stands with the version in force: applied (acknowledged it), failed
 * (refused it or could not take it) or pending (offline, or on its way), and drift (it enforces
 * another version).
 */
export async function policyRollout(deps: Pick<ServerContext, 'db' | 'policies' | 'agents'>): Promise<PolicyRollout> {
  const current = deps.policies.current;
  if (!current) throw new AppError('unavailable', 'The control plane has no policy loaded yet; try again in a moment.');
  const agents = await deps.db.agent.findMany({ where: { revokedAt: null }, orderBy: { hostname: 'asc' } });
  return {
    version: current.version,
    hash: current.hash,
    hosts: agents.map((a) => {
      const applied = a.policyHash === current.hash;
      const connected = deps.agents.isConnected(a.id);
      return {
        hostId: a.id,
        hostname: a.hostname,
        connected,
        state: applied ? 'applied' : a.policyError && connected ? 'failed' : 'pending',
        version: a.policyVersion,
        hash: a.policyHash,
        at: a.policyAt?.toISOString() ?? null,
        error: applied ? null : a.policyError,
        drift: !applied,
      };
    }),
  };
}
