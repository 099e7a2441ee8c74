import { z } from 'zod';
import { parseCidr, type EgressRule, type NetworkSpec } from '../api/network';
import { Policy } from './model';

/** Policies in the set's order (by name), as sets are hashed and shown. */
export function sortPolicies<P extends { name: string }>(ps: readonly P[]): P[] {
  return [...ps].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * The appliance's policies as one set: what `sbx policy apply DIR` sends and what every version
 * holds. Names are unique; the set is kept sorted by name so equal sets hash and diff alike.
 */
export const PolicySet = z
  .array(Policy)
  .min(1, 'expected at least one policy')
  .max(200, 'expected at most 200 policies')
  .superRefine((ps, ctx) => {
    const seen = new Set<string>();
    ps.forEach((p, i) => {
      if (seen.has(p.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `expected a unique name; "${p.name}" appears twice` });
      seen.add(p.name);
    });
  })
  .transform((ps) => sortPolicies(ps));
export type PolicySet = z.infer<typeof PolicySet>;

/** Who asks for a sandbox, as a policy's scope sees it. */
export type PolicySubject = { apiKey?: { id: string; name: string } | undefined; team?: string | undefined; hostLabels: Record<string, string> };

function labelsMatch(want: Record<string, string>, have: Record<string, string>): boolean {
  return Object.entries(want).every(([k, v]) => have[k] === v);
}

/** Policies scoped by host labels that a host carrying `labels` matches: such hosts run sandboxes of these policies only. */
export function policiesClaimingHost(policies: readonly Policy[], labels: Record<string, string>): Policy[] {
  return policies.filter((p) => Object.keys(p.scope.hostLabels).length > 0 && labelsMatch(p.scope.hostLabels, labels));
}

/** Whether a sandbox of `policy` may run on a host carrying `labels`. */
export function policyAllowsHost(policies: readonly Policy[], policy: Policy, labels: Record<string, string>): boolean {
  if (!labelsMatch(policy.scope.hostLabels, labels)) return false;
  const claims = policiesClaimingHost(policies, labels);
  return claims.length === 0 || claims.some((p) => p.name === policy.name);
}

/**
 * The policy a new sandbox falls under: one naming its API key, else one naming its team, else
 * one naming neither. Among those, the one whose host labels the request asks for (most labels
 * first, then by name). Null when none applies: then no sandbox may be made.
 */
export function resolvePolicy(policies: readonly Policy[], subject: PolicySubject): Policy | null {
  const key = subject.apiKey;
  const byKey = key ? policies.filter((p) => p.scope.apiKeys.includes(key.id) || p.scope.apiKeys.includes(key.name)) : [];
  const team = subject.team;
  const byTeam = team ? policies.filter((p) => p.scope.teams.includes(team)) : [];
  const unscoped = policies.filter((p) => p.scope.apiKeys.length === 0 && p.scope.teams.length === 0);
  const level = byKey.length > 0 ? byKey : byTeam.length > 0 ? byTeam : unscoped;
  const fitting = level.filter((p) => labelsMatch(p.scope.hostLabels, subject.hostLabels));
  fitting.sort((a, b) => Object.keys(b.scope.hostLabels).length - Object.keys(a.scope.hostLabels).length || (a.name < b.name ? -1 : 1));
  return fitting[0] ?? null;
}

/** What a sandbox asks for, as a policy checks it. */
export type SandboxAsk = {
  image: string;
  cpus: number;
  memoryMiB: number;
  pids: number;
  diskMiB: number;
  timeoutSeconds: number;
  idleTimeoutSeconds?: number | undefined;
  network: NetworkSpec;
};

/** One way a request exceeds its policy: the field and what the policy allows. */
export type PolicyViolation = { field: string; message: string };

function covers(allowed: EgressRule, wanted: EgressRule): boolean {
  if (!wanted.ports.every((p) => allowed.ports.includes(p))) return false;
  if (wanted.domain !== undefined && allowed.domain !== undefined) {
    if (allowed.domain === wanted.domain) return true;
    // `*.example.com` covers `a.example.com` and `*.a.example.com`, never `example.com` itself.
    return allowed.domain.startsWith('*.') && wanted.domain.endsWith(allowed.domain.slice(1));
  }
  if (wanted.cidr !== undefined && allowed.cidr !== undefined) {
    const a = parseCidr(allowed.cidr);
    const w = parseCidr(wanted.cidr);
    if (!a || !w || w.bits < a.bits) return false;
    const mask = a.bits === 0 ? 0 : (~0 << (32 - a.bits)) >>> 0;
    return ((w.base & mask) >>> 0) === a.base;
  }
  return false;
}

/** Whether an egress rule is within a policy's allowlist (a name, network and ports it allows). */
export function ruleAllowedBy(allow: readonly EgressRule[], rule: EgressRule): boolean {
  return allow.some((a) => covers(a, rule));
}

/**
 * A running sandbox's network under a (new) policy: the rules it still allows, nothing when the
 * policy is gone or gives no network. Only ever narrows: nothing is added.
 */
export function narrowNetwork(policy: Policy | undefined, network: NetworkSpec): NetworkSpec {
  if (network.mode === 'none') return network;
  if (!policy || policy.network.mode === 'none') return { mode: 'allowlist', allow: [] };
  if (policy.network.mode === 'open') return network;
  if (network.mode === 'open') return { mode: 'allowlist', allow: [] };
  return { mode: 'allowlist', allow: network.allow.filter((r) => ruleAllowedBy(policy.network.allow, r)) };
}

/**
 * Everything in `ask` the policy does not allow, each naming the request's field. The control
 * plane refuses such a sandbox before it is made; the host agent checks again against its own
 * signed copy of the policy, so a control plane cannot start what the policy forbids.
 */
export function checkAgainstPolicy(policy: Policy, ask: SandboxAsk): PolicyViolation[] {
  const s = policy.sandbox;
  const v: PolicyViolation[] = [];
  const at = `policy "${policy.name}"`;
  if (!s.images.includes(ask.image as (typeof s.images)[number])) v.push({ field: 'image', message: `expected one of ${s.images.join(', ')} (${at})` });
  if (ask.cpus > s.maxCpus) v.push({ field: 'cpus', message: `expected at most ${s.maxCpus} (${at})` });
  if (ask.memoryMiB > s.maxMemoryMiB) v.push({ field: 'memoryMiB', message: `expected at most ${s.maxMemoryMiB} (${at})` });
  if (ask.pids > s.maxPids) v.push({ field: 'pids', message: `expected at most ${s.maxPids} (${at})` });
  if (ask.diskMiB > s.maxDiskMiB) v.push({ field: 'diskMiB', message: `expected at most ${s.maxDiskMiB} (${at})` });
  if (ask.timeoutSeconds > s.maxTimeoutSeconds) v.push({ field: 'timeoutSeconds', message: `expected at most ${s.maxTimeoutSeconds} (${at})` });
  if (s.idleTimeoutSeconds !== undefined && (ask.idleTimeoutSeconds === undefined || ask.idleTimeoutSeconds > s.idleTimeoutSeconds)) {
    v.push({ field: 'idleTimeoutSeconds', message: `expected at most ${s.idleTimeoutSeconds} (${at})` });
  }
  v.push(...networkViolations(policy, ask.network));
  return v;
}

/** What of a sandbox network the policy does not allow (fields under `network.`). */
export function networkViolations(policy: Policy, network: NetworkSpec): PolicyViolation[] {
  const v: PolicyViolation[] = [];
  const at = `policy "${policy.name}"`;
  const net = policy.network;
  if (net.mode === 'none' && network.mode !== 'none' && !(network.mode === 'allowlist' && network.allow.length === 0)) {
    v.push({ field: 'network.mode', message: `expected "none": ${at} gives its sandboxes no network` });
  } else if (net.mode === 'allowlist') {
    if (network.mode === 'open') v.push({ field: 'network.mode', message: `expected "allowlist" or "none": ${at} allows only its listed destinations` });
    network.allow.forEach((r, i) => {
      if (!ruleAllowedBy(net.allow, r)) v.push({ field: `network.allow.${i}`, message: `expected a destination ${at} allows; ${r.domain ?? r.cidr} port ${r.ports.join(',')} is not in its allowlist` });
    });
  }
  return v;
}
