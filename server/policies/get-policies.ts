import type { CurrentPolicies } from '../../lib/api/policies';
import { AppError } from '../../lib/errors';
import type { ServerContext } from '../context';
import { latestPolicyRow, signedOf, versionView } from './policy-store';

/** The policies in force with their version; `version` picks an earlier one. */
export async function getPolicies(deps: Pick<ServerContext, 'db'>, version?: number): Promise<CurrentPolicies> {
  const row = version === undefined ? await latestPolicyRow(deps.db) : await deps.db.policyVersion.findUnique({ where: { version } });
  if (!row) throw new AppError('not_found', version === undefined ? 'No policy version exists yet.' : `No policy version ${version}.`);
  return { version: versionView(row), policies: signedOf(row).policies };
}
