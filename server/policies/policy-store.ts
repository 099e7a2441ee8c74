import { PolicySource, type PolicyVersionView } from '../../lib/api/policies';
import { PolicyDiff } from '../../lib/policy/diff';
import { Policy } from '../../lib/policy/model';
import type { SignedPolicySet } from '../../lib/policy/signed-policy';
import type { Db, Tx } from '../db/client';
import type { PolicyVersion } from '../db/generated/client';

/** The newest policy version, or null before the first. */
export function latestPolicyRow(db: Db | Tx): Promise<PolicyVersion | null> {
  return db.policyVersion.findFirst({ orderBy: { version: 'desc' } });
}

/** A stored version as agents receive it. */
export function signedOf(row: PolicyVersion): SignedPolicySet {
  return {
    version: row.version,
    hash: row.hash,
    createdAt: row.createdAt.toISOString(),
    policies: Policy.array().parse(JSON.parse(row.policies)),
    signature: row.signature,
    signer: row.signer,
  };
}

/** A stored version as the API shows it. */
export function versionView(row: PolicyVersion): PolicyVersionView {
  const policies = JSON.parse(row.policies) as unknown[];
  return {
    version: row.version,
    hash: row.hash,
    createdAt: row.createdAt.toISOString(),
    actor: row.actorName,
    source: PolicySource.parse(JSON.parse(row.source)),
    changes: PolicyDiff.parse(JSON.parse(row.changes)),
    policyCount: policies.length,
  };
}
