import type { PolicyVersionView } from '../../lib/api/policies';
import type { ServerContext } from '../context';
import { versionView } from './policy-store';

/** Every version, newest first (at most `limit`). */
export async function listPolicyVersions(deps: Pick<ServerContext, 'db'>, limit = 200): Promise<PolicyVersionView[]> {
  const rows = await deps.db.policyVersion.findMany({ orderBy: { version: 'desc' }, take: limit });
  return rows.map(versionView);
}
