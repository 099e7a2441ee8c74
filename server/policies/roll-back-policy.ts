import type { PolicyVersionView } from '../../lib/api/policies';
import { AppError } from '../../lib/errors';
import type { RequestMeta } from '../audit/event';
import { createPolicyVersion, type PolicyDeps } from './create-policy-version';
import { signedOf, versionView } from './policy-store';

/**
 * Rolls back to an earlier version: its policies become a new version (numbers only grow, so
 * agents, which take only newer versions, take it too).
 */
export async function rollBackPolicy(deps: PolicyDeps, version: number, meta: RequestMeta): Promise<{ version: PolicyVersionView; changed: boolean }> {
  const row = await deps.db.policyVersion.findUnique({ where: { version } });
  if (!row) throw new AppError('not_found', `No policy version ${version} to roll back to.`);
  const made = await createPolicyVersion(deps, signedOf(row).policies, { kind: 'rollback', to: version }, meta);
  return { version: versionView(made.row), changed: made.changed };
}
