import fs from 'node:fs';
import type { Logger } from 'pino';
import type { NetworkSpec } from '../../lib/api/network';
import { checkAgainstPolicy, networkViolations, policyAllowsHost, type PolicyViolation, type SandboxAsk } from '../../lib/policy/policy-set';
import { SignedPolicySet, verifySignedPolicySet } from '../../lib/policy/signed-policy';
import type { AgentAuditEvent } from '../../lib/wire/protocol';
import { RpcError } from '../../lib/wire/rpc';
import { writeAtomic } from '../state';

/**
 * The signed policy set this agent enforces. A new version is taken only when its signer chains to
 * the CA pinned at enrolment and it is newer than the one held; it is written to disk before it is
 * acknowledged, and read back (and verified again) at start, so an agent that restarts while the
 * control plane is unreachable enforces its last good policy rather than none.
 */
export class PolicyHolder {
  private held: SignedPolicySet | null = null;

  constructor(
    private readonly file: string,
    private readonly caPem: string,
    private readonly labels: Record<string, string>,
    private readonly audit: (e: AgentAuditEvent) => void,
    private readonly log: Logger,
  ) {}

  /** Loads the last-known-good version; one that no longer verifies is not enforced (and said so). */
  load(): void {
    if (!fs.existsSync(this.file)) return;
    try {
      const s = SignedPolicySet.parse(JSON.parse(fs.readFileSync(this.file, 'utf8')));
      const v = verifySignedPolicySet(s, this.caPem);
      if (!v.ok) throw new Error(v.message);
      this.held = s;
      this.log.info({ version: s.version, hash: s.hash }, 'enforcing the last known good policy');
    } catch (error) {
      this.log.error({ err: (error as Error).message, file: this.file }, 'the stored policy does not verify; no sandbox is accepted until a signed one arrives');
    }
  }

  /** The version enforced, for heartbeats and the console. */
  current(): { version: number; hash: string } | null {
    return this.held ? { version: this.held.version, hash: this.held.hash } : null;
  }

  /** Takes a pushed version (see the class comment); a refusal is audited and answered as `policy_refused`. */
  accept(next: SignedPolicySet): { version: number; hash: string } {
    const held = this.held;
    if (held && next.version === held.version && next.hash === held.hash) return { version: held.version, hash: held.hash };
    const verdict = verifySignedPolicySet(next, this.caPem);
    const refusal = !verdict.ok
      ? { reason: verdict.reason, message: verdict.message }
      : held && next.version <= held.version
        ? { reason: 'not_newer', message: `policy version ${next.version} is not newer than version ${held.version}, which this host enforces` }
        : null;
    if (refusal) {
      this.audit({ type: 'policy_refused', version: next.version, hash: next.hash.slice(0, 128), reason: refusal.reason, message: refusal.message.slice(0, 500) });
      this.log.warn({ version: next.version, ...refusal }, 'policy refused');
      throw new RpcError('policy_refused', refusal.message);
    }
    writeAtomic(this.file, `${JSON.stringify(next)}\n`, 0o600);
    this.held = next;
    this.log.info({ version: next.version, hash: next.hash }, 'policy applied');
    return { version: next.version, hash: next.hash };
  }

  /** Throws `policy_denied` unless the sandbox fits policy `name` and that policy may run on this host. */
  check(name: string, ask: SandboxAsk): void {
    const problems = this.violations(name, ask);
    if (problems.length > 0) throw new RpcError('policy_denied', problems.map((p) => `${p.field}: ${p.message}`).join('; '));
  }

  /** Throws `policy_denied` unless a network change stays within policy `name`. */
  checkNetwork(name: string, network: NetworkSpec): void {
    // Taking every rule away is always within policy (a policy change narrows running sandboxes so).
    if (network.mode !== 'open' && network.allow.length === 0) return;
    const policy = this.held?.policies.find((p) => p.name === name);
    if (!policy) throw new RpcError('policy_denied', `this host holds no policy named "${name}"`);
    const problems = networkViolations(policy, network);
    if (problems.length > 0) throw new RpcError('policy_denied', problems.map((p) => `${p.field}: ${p.message}`).join('; '));
  }

  private violations(name: string, ask: SandboxAsk): PolicyViolation[] {
    const held = this.held;
    if (!held) return [{ field: 'policy', message: 'this host holds no signed policy yet: it takes no sandbox until one arrives' }];
    const policy = held.policies.find((p) => p.name === name);
    if (!policy) return [{ field: 'policy', message: `this host's policy version ${held.version} has no policy named "${name}"` }];
    if (!policyAllowsHost(held.policies, policy, this.labels)) return [{ field: 'policy', message: `policy "${name}" does not apply to this host's labels` }];
    return checkAgainstPolicy(policy, ask);
  }
}
