import type { CreateSandboxBody } from '../../lib/api/sandboxes';
import { AppError } from '../../lib/errors';
import type { Policy } from '../../lib/policy/model';
import { checkAgainstPolicy, policyAllowsHost, resolvePolicy } from '../../lib/policy/policy-set';
import type { Principal } from '../auth/principal';
import type { PolicyState } from './policy-state';

/** A sandbox request under its policy: the policy, its defaults filled in, and which hosts may run it. */
export type PolicedSandbox = { policy: Policy; idleTimeoutSeconds: number | undefined; kek: string; hostAllowed: (labels: Record<string, string>) => boolean };

/**
 * Finds the policy a new sandbox falls under (by the caller's API key, its team, else the
 * unscoped policy) and holds the request to it: limits, image, network and key. Refused, naming
 * the field, when it asks for more than the policy allows; no policy at all means no sandbox.
 */
export function policeSandbox(state: PolicyState, caller: Principal, body: CreateSandboxBody): PolicedSandbox {
  const policies = state.current?.policies;
  if (!policies) throw new AppError('unavailable', 'The control plane has no policy loaded yet; try again in a moment.');
  const apiKey = caller.kind === 'api_key' ? { id: caller.apiKeyId, name: caller.keyName } : undefined;
  const team = caller.kind === 'api_key' ? (caller.team ?? undefined) : undefined;
  const policy = resolvePolicy(policies, { apiKey, team, hostLabels: body.hostLabels });
  if (!policy) {
    const who = apiKey ? `API key "${apiKey.name}"${team ? ` (team ${team})` : ''}` : `user ${caller.username}`;
    throw new AppError('permission_denied', `No policy applies to ${who}${Object.keys(body.hostLabels).length ? ' on hosts with these labels' : ''}: an admin adds one (or an unscoped default) with sbx policy apply.`, 'policy');
  }
  if (body.kek !== undefined && body.kek !== policy.encryption.kek) {
    throw new AppError('permission_denied', `kek: policy "${policy.name}" encrypts its sandboxes with key "${policy.encryption.kek}"; "${body.kek}" is not allowed`, 'kek');
  }
  const idleTimeoutSeconds = body.idleTimeoutSeconds ?? policy.sandbox.idleTimeoutSeconds;
  const problems = checkAgainstPolicy(policy, { ...body, idleTimeoutSeconds });
  const first = problems[0];
  if (first) throw new AppError('permission_denied', problems.map((p) => `${p.field}: ${p.message}`).join('; '), first.field);
  return { policy, idleTimeoutSeconds, kek: policy.encryption.kek, hostAllowed: (labels) => policyAllowsHost(policies, policy, labels) };
}
