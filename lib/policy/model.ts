import { z } from 'zod';
import { KekName } from '../api/keys';
import { NetworkMode, EgressRule } from '../api/network';
import { DEFAULT_SANDBOX_IMAGE } from '../api/images';

const label = z.string().min(1).max(63);

/**
 * The one policy model: what sandboxes in a scope may be and do, and what is recorded of them. The
 * console's forms, the YAML files of a policy repository and the agents all read this schema.
 */
export const Policy = z.strictObject({
  /** How the policy is referred to: lower-case letters, digits and dashes. */
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'expected 2 to 63 lower-case letters, digits or dashes'),
  description: z.string().max(500).optional(),
  /** Where it applies: hosts carrying all these labels, these teams, these API keys (empty: everywhere). */
  scope: z
    .strictObject({
      hostLabels: z.record(label, label).default({}),
      teams: z.array(label).max(100).default([]),
      apiKeys: z.array(z.string().min(1).max(64)).max(100).default([]),
    })
    .default({ hostLabels: {}, teams: [], apiKeys: [] }),
  /** Sandbox defaults and limits. */
  sandbox: z
    .strictObject({
      images: z.array(z.literal(DEFAULT_SANDBOX_IMAGE, { message: `expected image "${DEFAULT_SANDBOX_IMAGE}"` })).min(1, 'expected at least one image').default([DEFAULT_SANDBOX_IMAGE]),
      maxCpus: z.number().positive('expected more than 0 CPUs').max(16, 'expected at most 16 CPUs').default(2),
      maxMemoryMiB: z.number().int().min(64, 'expected at least 64 MiB').max(16_384, 'expected at most 16384 MiB').default(2048),
      maxPids: z.number().int().min(64, 'expected at least 64').max(4096, 'expected at most 4096').default(512),
      maxDiskMiB: z.number().int().min(16, 'expected at least 16 MiB').max(16_384, 'expected at most 16384 MiB').default(1024),
      maxTimeoutSeconds: z.number().int().min(1, 'expected at least 1 second').max(31_536_000, 'expected at most a year').default(86_400),
      idleTimeoutSeconds: z.number().int().min(1, 'expected at least 1 second').max(31_536_000, 'expected at most a year').optional(),
    })
    .default({ images: [DEFAULT_SANDBOX_IMAGE], maxCpus: 2, maxMemoryMiB: 2048, maxPids: 512, maxDiskMiB: 1024, maxTimeoutSeconds: 86_400 }),
  /** Egress: mode and rules (domains by name, or CIDRs, with TCP ports). */
  network: z
    .strictObject({ mode: NetworkMode, allow: z.array(EgressRule).max(256, 'expected at most 256 rules').default([]) })
    .default({ mode: 'allowlist', allow: [] }),
  /** What is recorded of the sandboxes; audit events are kept at least 6 years. */
  audit: z
    .strictObject({
      recordCommands: z.boolean().default(true),
      recordFileAccess: z.boolean().default(true),
      recordEgress: z.boolean().default(true),
      retentionYears: z.number().int().min(6, 'expected at least 6 years (HIPAA 164.316(b)(2)(i))').max(100, 'expected at most 100 years').default(6),
    })
    .default({ recordCommands: true, recordFileAccess: true, recordEgress: true, retentionYears: 6 }),
  /** Encryption at rest: the key-encryption key of its sandboxes' data. */
  encryption: z.strictObject({ kek: KekName }).default({ kek: 'default' }),
});
export type Policy = z.infer<typeof Policy>;
export type PolicyInput = z.input<typeof Policy>;

/** The JSON Schema of a policy file, for editor completion (policies/schema.json is generated from it). */
export function policyJsonSchema(): Record<string, unknown> {
  return { ...z.toJSONSchema(Policy, { io: 'input', unrepresentable: 'any' }), $id: 'https://sbx.invalid/policy.schema.json', title: 'Sandbox appliance policy' };
}
