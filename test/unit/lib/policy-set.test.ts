import { createPrivateKey, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { diffPolicies, formatDiff } from '../../../lib/policy/diff';
import { Policy } from '../../../lib/policy/model';
import { checkAgainstPolicy, narrowNetwork, policyAllowsHost, PolicySet, resolvePolicy, ruleAllowedBy } from '../../../lib/policy/policy-set';
import { POLICY_SIGNER_NAME, policySetHash, signedPayload, verifySignedPolicySet, type SignedPolicySet } from '../../../lib/policy/signed-policy';
import { EgressRule } from '../../../lib/api/network';
import { createCaCertificate, issueServerCertificate, issueSigningCertificate, type KeyPair } from '../../../server/pki/certificates';

const base = Policy.parse({ name: 'base' });
const team = Policy.parse({ name: 'ds', scope: { teams: ['data-science'] }, network: { mode: 'allowlist', allow: [{ domain: '*.pypi.org' }, { cidr: '203.0.113.0/24', ports: [443, 8443] }] } });
const keyed = Policy.parse({ name: 'ci', scope: { apiKeys: ['ci-runner'] }, sandbox: { maxCpus: 4 } });
const regulated = Policy.parse({ name: 'phi', scope: { hostLabels: { zone: 'regulated' } }, network: { mode: 'none' } });
const set = PolicySet.parse([team, base, keyed, regulated]);
const rule = (r: object) => EgressRule.parse(r);
const ask = { image: 'debian-host', cpus: 1, memoryMiB: 512, pids: 256, diskMiB: 256, timeoutSeconds: 60, network: { mode: 'allowlist' as const, allow: [] } };

function signed(ca: KeyPair, signer: KeyPair, policies = set, version = 3): SignedPolicySet {
  const hash = policySetHash(policies);
  const createdAt = new Date().toISOString();
  const signature = sign('sha256', signedPayload({ version, hash, createdAt }), createPrivateKey(signer.keyPem)).toString('base64');
  return { version, hash, createdAt, policies, signature, signer: signer.certPem };
}

describe('policy sets', () => {
  it('are sorted by name and refuse a name twice, naming the field', () => {
    expect(set.map((p) => p.name)).toEqual(['base', 'ci', 'ds', 'phi']);
    const r = PolicySet.safeParse([base, base]);
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]).toMatchObject({ path: [1, 'name'], message: 'expected a unique name; "base" appears twice' });
  });

  it('resolve the policy of a sandbox: API key, then team, then the unscoped one fitting the labels asked for', () => {
    expect(resolvePolicy(set, { apiKey: { id: 'k1', name: 'ci-runner' }, team: 'data-science', hostLabels: {} })?.name).toBe('ci');
    expect(resolvePolicy(set, { apiKey: { id: 'k2', name: 'other' }, team: 'data-science', hostLabels: {} })?.name).toBe('ds');
    expect(resolvePolicy(set, { team: 'marketing', hostLabels: {} })?.name).toBe('base');
    expect(resolvePolicy(set, { hostLabels: { zone: 'regulated' } })?.name).toBe('phi');
    expect(resolvePolicy([team], { hostLabels: {} })).toBeNull();
  });

  it('keep hosts claimed by a labelled policy for its sandboxes only', () => {
    expect(policyAllowsHost(set, base, { zone: 'regulated' })).toBe(false);
    expect(policyAllowsHost(set, regulated, { zone: 'regulated', rack: '3' })).toBe(true);
    expect(policyAllowsHost(set, regulated, { zone: 'general' })).toBe(false);
    expect(policyAllowsHost(set, base, { zone: 'general' })).toBe(true);
  });

  it('hold a sandbox to limits, image, network mode and allowlist, naming each field', () => {
    expect(checkAgainstPolicy(base, ask)).toEqual([]);
    expect(checkAgainstPolicy(base, { ...ask, cpus: 3, memoryMiB: 4096, timeoutSeconds: 90_000 }).map((v) => v.field)).toEqual(['cpus', 'memoryMiB', 'timeoutSeconds']);
    expect(checkAgainstPolicy(regulated, { ...ask, network: { mode: 'open', allow: [] } })).toEqual([{ field: 'network.mode', message: 'expected "none": policy "phi" gives its sandboxes no network' }]);
    expect(checkAgainstPolicy(team, { ...ask, network: { mode: 'allowlist', allow: [rule({ domain: 'files.pypi.org' }), rule({ domain: 'evil.example' })] } }).map((v) => v.field)).toEqual(['network.allow.1']);
    expect(checkAgainstPolicy(team, { ...ask, network: { mode: 'open', allow: [] } })[0]?.field).toBe('network.mode');
  });

  it('cover a rule only within the allowed names, networks and ports', () => {
    const allow = team.network.allow;
    expect(ruleAllowedBy(allow, rule({ domain: 'a.pypi.org' }))).toBe(true);
    expect(ruleAllowedBy(allow, rule({ domain: '*.a.pypi.org' }))).toBe(true);
    expect(ruleAllowedBy(allow, rule({ domain: 'pypi.org' }))).toBe(false);
    expect(ruleAllowedBy(allow, rule({ domain: 'xpypi.org' }))).toBe(false);
    expect(ruleAllowedBy(allow, rule({ domain: 'a.pypi.org', ports: [22] }))).toBe(false);
    expect(ruleAllowedBy(allow, rule({ cidr: '203.0.113.128/25', ports: [8443] }))).toBe(true);
    expect(ruleAllowedBy(allow, rule({ cidr: '203.0.112.0/23' }))).toBe(false);
    expect(ruleAllowedBy(allow, rule({ cidr: '198.51.100.1' }))).toBe(false);
  });

  it('narrow a running sandbox\'s network to what a new policy allows, never widening it', () => {
    const wide = { mode: 'allowlist' as const, allow: [rule({ domain: 'a.pypi.org' }), rule({ domain: 'evil.example' })] };
    expect(narrowNetwork(team, wide)).toEqual({ mode: 'allowlist', allow: [rule({ domain: 'a.pypi.org' })] });
    expect(narrowNetwork(regulated, wide)).toEqual({ mode: 'allowlist', allow: [] });
    expect(narrowNetwork(undefined, wide)).toEqual({ mode: 'allowlist', allow: [] });
    expect(narrowNetwork(team, { mode: 'open', allow: [] })).toEqual({ mode: 'allowlist', allow: [] });
    expect(narrowNetwork(Policy.parse({ name: 'open', network: { mode: 'open' } }), wide)).toEqual(wide);
    expect(narrowNetwork(team, { mode: 'none', allow: [] })).toEqual({ mode: 'none', allow: [] });
  });

  it('diff field by field and print a plan', () => {
    const changed = PolicySet.parse([{ ...base, sandbox: { ...base.sandbox, maxCpus: 4 } }, team, Policy.parse({ name: 'new-one' })]);
    const d = diffPolicies(set, changed);
    expect(d).toEqual({ added: ['new-one'], removed: ['ci', 'phi'], changed: [{ name: 'base', fields: [{ path: 'sandbox.maxCpus', before: 2, after: 4 }] }] });
    expect(formatDiff(d)).toEqual(['+ policy new-one', '~ policy base', '    sandbox.maxCpus: 2 -> 4', '- policy ci', '- policy phi', 'Plan: 1 to add, 1 to change, 2 to remove.']);
    expect(formatDiff(diffPolicies(set, set))).toEqual(['No changes: the control plane holds these policies.']);
  });
});

describe('signed policy versions', () => {
  const ca = createCaCertificate('Test CA', 'Test', 1);
  const signer = issueSigningCertificate(ca, POLICY_SIGNER_NAME, 1);

  it('verify when the signer chains to the CA and the hash is the policies\' own', () => {
    expect(verifySignedPolicySet(signed(ca, signer), ca.certPem)).toEqual({ ok: true });
  });

  it('are refused when forged: another CA, a certificate that is not the signer, a changed field, a changed policy', () => {
    const otherCa = createCaCertificate('Other CA', 'Other', 1);
    expect(verifySignedPolicySet(signed(otherCa, issueSigningCertificate(otherCa, POLICY_SIGNER_NAME, 1)), ca.certPem)).toMatchObject({ ok: false, reason: 'bad_signer' });
    const server = issueServerCertificate(ca, { commonName: POLICY_SIGNER_NAME, dnsNames: ['x'], ipAddresses: [], days: 1 });
    expect(verifySignedPolicySet(signed(ca, server), ca.certPem)).toMatchObject({ ok: false, reason: 'bad_signer' });
    expect(verifySignedPolicySet(signed(ca, issueSigningCertificate(ca, 'someone-else', 1)), ca.certPem)).toMatchObject({ ok: false, reason: 'bad_signer' });
    const good = signed(ca, signer);
    expect(verifySignedPolicySet({ ...good, version: good.version + 1 }, ca.certPem)).toMatchObject({ ok: false, reason: 'bad_signature' });
    const loosened = set.map((p) => (p.name === 'base' ? { ...p, sandbox: { ...p.sandbox, maxCpus: 16 } } : p));
    expect(verifySignedPolicySet({ ...good, policies: loosened }, ca.certPem)).toMatchObject({ ok: false, reason: 'hash_mismatch' });
    expect(verifySignedPolicySet({ ...good, signature: Buffer.alloc(256).toString('base64') }, ca.certPem)).toMatchObject({ ok: false, reason: 'bad_signature' });
  });

  it('are refused once the signer certificate is out of date', () => {
    const later = new Date(Date.now() + 3 * 86_400_000);
    expect(verifySignedPolicySet(signed(ca, signer), ca.certPem, later)).toMatchObject({ ok: false, reason: 'bad_signer' });
  });
});
