import type { PolicySource } from '../../lib/api/policies';
import { AppError } from '../../lib/errors';
import { diffPolicies } from '../../lib/policy/diff';
import type { Policy } from '../../lib/policy/model';
import { policySetHash } from '../../lib/policy/signed-policy';
import { canonicalJson } from '../../lib/canonical-json';
import { audited } from '../audit/audited';
import { auditEvent, type RequestMeta } from '../audit/event';
import type { ServerContext } from '../context';
import type { PolicyVersion } from '../db/generated/client';
import { latestPolicyRow, signedOf } from './policy-store';
import { narrowRunningSandboxes } from './narrow-running-sandboxes';
import { rollOutToAll } from './roll-out-policy';

export type PolicyDeps = Pick<ServerContext, 'db' | 'ledger' | 'agents' | 'log' | 'policies'>;

/**
 * Makes the next version of the policy set: hashed, signed, stored with its diff and source, and
 * audited in one transaction (no change unrecorded); then rolled out to every connected host. A
 * set equal to the one in force makes no version. `expectedVersion` guards a plan against a change
 * that landed since.
 */
export async function createPolicyVersion(
  deps: PolicyDeps,
  policies: Policy[],
  source: PolicySource,
  meta: RequestMeta,
  expectedVersion?: number,
): Promise<{ row: PolicyVersion; changed: boolean }> {
  const keks = [...new Set(policies.map((p) => p.encryption.kek))];
  const known = new Set((await deps.db.kek.findMany({ where: { name: { in: keks } }, select: { name: true } })).map((k) => k.name));
  const i = policies.findIndex((p) => !known.has(p.encryption.kek));
  const missing = policies[i];
  if (missing) {
    throw new AppError('invalid_argument', `policies.${i}.encryption.kek: policy "${missing.name}" names key "${missing.encryption.kek}", which does not exist; create it on the Keys page first`, `policies.${i}.encryption.kek`);
  }
  const hash = policySetHash(policies);
  const result = await deps.policies.serial(async () => {
    const latest = await latestPolicyRow(deps.db);
    if (expectedVersion !== undefined && latest && latest.version !== expectedVersion) {
      throw new AppError('conflict', `expectedVersion: the policies changed since version ${expectedVersion} (now version ${latest.version}); plan again`, 'expectedVersion');
    }
    if (latest && latest.hash === hash) return { row: latest, changed: false };
    const version = (latest?.version ?? 0) + 1;
    const createdAt = new Date();
    const at = createdAt.toISOString();
    const before = latest ? signedOf(latest).policies : [];
    const changes = diffPolicies(before, policies);
    const addedPolicies = policies.filter((p) => changes.added.includes(p.name));
    const removedPolicies = before.filter((p) => changes.removed.includes(p.name));
    const row = await audited(deps, async (tx, record) => {
      const created = await tx.policyVersion.create({
        data: {
          version, hash, policies: canonicalJson(policies), signature: deps.policies.sign({ version, hash, createdAt: at }), signer: deps.policies.signerCert, createdAt,
          actorType: meta.actor.type, actorId: meta.actor.id ?? '', actorName: meta.actor.name ?? '', source: JSON.stringify(source), changes: JSON.stringify(changes),
        },
      });
      await record(auditEvent(meta, { action: 'policy.apply', details: { version, hash, previousVersion: latest?.version ?? null, source, changes, addedPolicies, removedPolicies } }, { type: 'policy', id: String(version), name: hash.slice(0, 16) }));
      return created;
    });
    deps.policies.current = signedOf(row);
    return { row, changed: true };
  });
  if (result.changed) {
    void rollOutToAll(deps)
      .then(() => narrowRunningSandboxes(deps))
      .catch((err: unknown) => deps.log.error({ err }, 'policy rollout failed'));
  }
  return result;
}
