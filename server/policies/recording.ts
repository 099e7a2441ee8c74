import type { PolicyState } from './policy-state';

/** What the policy of a sandbox asks to be recorded of it. */
export type Recording = { commands: boolean; fileAccess: boolean; egress: boolean; policy: string | null };

/**
 * The recording settings of a sandbox's policy (by name, in the version in force). A policy no
 * longer in force records everything: the choice to record less is only ever an explicit one.
 */
export function recordingOf(state: Pick<PolicyState, 'current'>, policyName: string | null): Recording {
  const p = policyName ? state.current?.policies.find((x) => x.name === policyName) : undefined;
  if (!p) return { commands: true, fileAccess: true, egress: true, policy: null };
  return { commands: p.audit.recordCommands, fileAccess: p.audit.recordFileAccess, egress: p.audit.recordEgress, policy: p.name };
}
