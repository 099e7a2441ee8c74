import { z } from 'zod';
import { Policy } from '../policy/model';
import { PolicyDiff } from '../policy/diff';
import { PolicySet } from '../policy/policy-set';

/** Where a policy change came from: the console, the CLI, a git commit (with its author), or a rollback. */
const FromConsole = z.object({ kind: z.literal('console') });
const FromCli = z.object({ kind: z.literal('cli') });
const FromGit = z.object({
  kind: z.literal('git'),
  commit: z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/, 'expected a full git commit hash'),
  author: z.string().min(1).max(200),
  /** Whether the directory had uncommitted changes (then the commit is only where they started). */
  dirty: z.boolean().default(false),
});

/** Where an applied set comes from, as its caller says. */
export const ApplySource = z.discriminatedUnion('kind', [FromConsole, FromCli, FromGit]);
export type ApplySource = z.infer<typeof ApplySource>;

export const PolicySource = z.discriminatedUnion('kind', [
  FromConsole,
  FromCli,
  FromGit,
  z.object({ kind: z.literal('rollback'), to: z.number().int().positive() }),
  z.object({ kind: z.literal('initial') }),
]);
export type PolicySource = z.infer<typeof PolicySource>;

/** `PUT /api/v1/policies`: replaces the whole set at once (nothing half-applied). */
export const ApplyPoliciesBody = z.strictObject({
  policies: PolicySet,
  source: ApplySource.default({ kind: 'cli' }),
  /** The version the caller planned against: refused if another change landed since. */
  expectedVersion: z.number().int().positive().optional(),
});
export type ApplyPoliciesBody = z.infer<typeof ApplyPoliciesBody>;

/** `POST /api/v1/policies/plan`: what applying these policies would change. */
export const PlanPoliciesBody = z.strictObject({ policies: PolicySet });
export type PlanPoliciesBody = z.infer<typeof PlanPoliciesBody>;

/** One version of the policy set, as the API shows it. */
export const PolicyVersionView = z.object({
  version: z.number().int(),
  hash: z.string(),
  createdAt: z.string(),
  actor: z.string(),
  source: PolicySource,
  changes: PolicyDiff,
  policyCount: z.number().int(),
});
export type PolicyVersionView = z.infer<typeof PolicyVersionView>;

/** The policies in force. */
export const CurrentPolicies = z.object({ version: PolicyVersionView, policies: z.array(Policy) });

/** One version with its policies (`GET /api/v1/policies/versions/{version}`). */
export const PolicyVersionDetail = CurrentPolicies;
export type CurrentPolicies = z.infer<typeof CurrentPolicies>;
export type PolicyVersionDetail = CurrentPolicies;

/** What a plan finds. */
export const PolicyPlan = z.object({ version: z.number().int(), hash: z.string(), changes: PolicyDiff, changed: z.boolean() });
export type PolicyPlan = z.infer<typeof PolicyPlan>;

/** Where one host stands with the policy in force. */
export const HostRollout = z.object({
  hostId: z.string(),
  hostname: z.string(),
  connected: z.boolean(),
  /** applied: enforces the version in force; pending: not yet (offline, or on its way); failed: refused it. */
  state: z.enum(['applied', 'pending', 'failed']),
  version: z.number().int().nullable(),
  hash: z.string().nullable(),
  at: z.string().nullable(),
  error: z.string().nullable(),
  /** Enforcing another version than the one in force. */
  drift: z.boolean(),
});
export type HostRollout = z.infer<typeof HostRollout>;

export const PolicyRollout = z.object({ version: z.number().int(), hash: z.string(), hosts: z.array(HostRollout) });
export type PolicyRollout = z.infer<typeof PolicyRollout>;
