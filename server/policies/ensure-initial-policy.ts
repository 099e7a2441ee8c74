import { randomUUID } from 'node:crypto';
import { DEFAULT_SANDBOX_IMAGE } from '../../lib/api/sandboxes';
import type { Policy } from '../../lib/policy/model';
import { SYSTEM_ACTOR } from '../audit/event';
import { DEFAULT_KEK } from '../keys/ensure-default-kek';
import { createPolicyVersion, type PolicyDeps } from './create-policy-version';
import { latestPolicyRow, signedOf } from './policy-store';

/**
 * The policy of a new appliance, until an admin applies a policy repository: it adds no limit of
 * its own beyond the appliance's (Settings still decide the longest lifetime and whether `open`
 * egress is allowed; sandboxes still get no egress unless they list it).
 */
export const INITIAL_POLICY: Policy = {
  name: 'default',
  description: 'Made at first start: no limits beyond the appliance settings. Apply your policy repository to replace it.',
  scope: { hostLabels: {}, teams: [], apiKeys: [] },
  sandbox: { images: [DEFAULT_SANDBOX_IMAGE], maxCpus: 16, maxMemoryMiB: 16_384, maxPids: 4096, maxDiskMiB: 16_384, maxTimeoutSeconds: 31_536_000 },
  network: { mode: 'open', allow: [] },
  audit: { recordCommands: true, recordFileAccess: true, recordEgress: true, retentionYears: 6 },
  encryption: { kek: DEFAULT_KEK },
};

/** Loads the version in force, making version 1 on first start. */
export async function ensureInitialPolicy(deps: PolicyDeps): Promise<void> {
  const latest = await latestPolicyRow(deps.db);
  if (latest) {
    deps.policies.current = signedOf(latest);
    return;
  }
  await createPolicyVersion(deps, [INITIAL_POLICY], { kind: 'initial' }, { actor: SYSTEM_ACTOR, sourceIp: null, userAgent: null, requestId: randomUUID() });
}
