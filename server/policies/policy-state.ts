import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { POLICY_SIGNER_NAME, signedPayload, type SignedPolicySet } from '../../lib/policy/signed-policy';
import { issueSigningCertificate, type KeyPair } from '../pki/certificates';
import { SerialLock } from '../serial-lock';

/**
 * The policy set in force and this process's policy signer. The signer's key is made at start and
 * kept in memory only: its certificate (issued by the appliance CA) travels with every version it
 * signs, so versions signed by an earlier start stay verifiable and no signing key rests on disk.
 */
export class PolicyState {
  readonly signerCert: string;
  private readonly key: KeyObject;
  /** The newest version (set at start, then by every apply or rollback). */
  current: SignedPolicySet | null = null;
  /** Pushes on their way, by agent: one at a time per agent. */
  readonly inflight = new Map<string, Promise<void>>();
  /** The version each agent last refused or failed to take: not pushed again on every heartbeat (only on its next connect). */
  readonly refused = new Map<string, string>();

  private readonly lock = new SerialLock();

  constructor(ca: KeyPair) {
    const pair = issueSigningCertificate(ca, POLICY_SIGNER_NAME, 3650);
    this.signerCert = pair.certPem;
    this.key = createPrivateKey(pair.keyPem);
  }

  /** Runs version changes one at a time (a version number is taken once). */
  serial<T>(task: () => Promise<T>): Promise<T> {
    return this.lock.run(task);
  }

  /** Signs a version: its number, hash and time. */
  sign(v: { version: number; hash: string; createdAt: string }): string {
    return sign('sha256', signedPayload(v), this.key).toString('base64');
  }
}
