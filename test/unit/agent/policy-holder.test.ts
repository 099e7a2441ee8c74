import { createPrivateKey, sign } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { PolicyHolder } from '../../../agent/policy/policy-holder';
import { Policy } from '../../../lib/policy/model';
import { PolicySet } from '../../../lib/policy/policy-set';
import { POLICY_SIGNER_NAME, policySetHash, signedPayload, type SignedPolicySet } from '../../../lib/policy/signed-policy';
import type { AgentAuditEvent } from '../../../lib/wire/protocol';
import { createCaCertificate, issueSigningCertificate } from '../../../server/pki/certificates';

const ca = createCaCertificate('Test CA', 'Test', 1);
const signer = issueSigningCertificate(ca, POLICY_SIGNER_NAME, 1);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-policy-holder-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function version(v: number, maxCpus: number): SignedPolicySet {
  const policies = PolicySet.parse([Policy.parse({ name: 'base', sandbox: { maxCpus } }), Policy.parse({ name: 'phi', scope: { hostLabels: { zone: 'regulated' } }, network: { mode: 'none' } })]);
  const hash = policySetHash(policies);
  const createdAt = new Date().toISOString();
  return { version: v, hash, createdAt, policies, signature: sign('sha256', signedPayload({ version: v, hash, createdAt }), createPrivateKey(signer.keyPem)).toString('base64'), signer: signer.certPem };
}

function holder(file: string, labels: Record<string, string> = {}) {
  const audited: AgentAuditEvent[] = [];
  const h = new PolicyHolder(file, ca.certPem, labels, (e) => audited.push(e), pino({ level: 'silent' }));
  return { h, audited };
}

const ask = { image: 'debian-host', cpus: 1, memoryMiB: 256, pids: 64, diskMiB: 64, timeoutSeconds: 60, network: { mode: 'none' as const, allow: [] } };

describe('the agent policy holder', () => {
  it('takes no sandbox before it holds a signed policy', () => {
    const { h } = holder(path.join(dir, 'none.json'));
    expect(() => h.check('base', ask)).toThrow(/holds no signed policy yet/);
  });

  it('takes newer signed versions only, stores each, and audits every refusal', () => {
    const file = path.join(dir, 'a.json');
    const { h, audited } = holder(file);
    expect(h.accept(version(2, 2))).toMatchObject({ version: 2 });
    expect(h.accept(version(2, 2)).version).toBe(2);
    expect(() => h.accept(version(1, 8))).toThrow(/not newer than version 2/);
    const forged = { ...version(3, 8), signature: version(3, 1).signature };
    expect(() => h.accept(forged)).toThrow(/does not hold/);
    expect(audited.map((e) => e.type === 'policy_refused' && `${e.version}:${e.reason}`)).toEqual(['1:not_newer', '3:bad_signature']);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toMatchObject({ version: 2 });
    expect(() => h.check('base', { ...ask, cpus: 4 })).toThrow(/cpus: expected at most 2/);
  });

  it('enforces its stored version after a restart, and none that no longer verifies', () => {
    const file = path.join(dir, 'a.json');
    const { h } = holder(file);
    h.load();
    expect(h.current()?.version).toBe(2);
    expect(() => h.check('base', { ...ask, cpus: 4 })).toThrow(/cpus: expected at most 2/);
    const stored = JSON.parse(fs.readFileSync(file, 'utf8')) as SignedPolicySet;
    fs.writeFileSync(path.join(dir, 'tampered.json'), JSON.stringify({ ...stored, policies: version(2, 16).policies }));
    const tampered = holder(path.join(dir, 'tampered.json')).h;
    tampered.load();
    expect(tampered.current()).toBeNull();
    expect(() => tampered.check('base', ask)).toThrow(/holds no signed policy yet/);
  });

  it('keeps hosts claimed by a labelled policy to that policy', () => {
    const { h } = holder(path.join(dir, 'b.json'), { zone: 'regulated' });
    h.accept(version(1, 2));
    expect(() => h.check('base', ask)).toThrow(/does not apply to this host's labels/);
    expect(() => h.check('phi', ask)).not.toThrow();
    expect(() => h.check('phi', { ...ask, network: { mode: 'open', allow: [] } })).toThrow(/network.mode/);
    expect(() => h.check('nope', ask)).toThrow(/has no policy named "nope"/);
  });
});
