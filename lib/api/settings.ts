import { z } from 'zod';

/** The schema's own bound on a sandbox lifetime setting: a year. */
export const MAX_LIFETIME_HOURS = 8760;

/** The shortest audit retention the appliance accepts. */
export const MIN_RETENTION_YEARS = 6;

/** Appliance settings an admin changes in the console. */
export const Settings = z.strictObject({
  organizationName: z.string().trim().min(1, 'expected a name').max(100),
  /** Shown on the sign-in page: the system-use notice many security programmes require. */
  signInBanner: z.string().trim().max(2000, 'expected at most 2000 characters'),
  /** The longest a sandbox may be asked to live (its timeout); there is no cap beyond the one set here. */
  sandboxMaxLifetimeHours: z.number().int('expected whole hours').min(1, 'expected at least 1 hour').max(MAX_LIFETIME_HOURS, `expected at most ${MAX_LIFETIME_HOURS} hours (a year)`),
  /** Whether sandboxes may use network mode `open` (anywhere but the deny floor). */
  egressOpenAllowed: z.boolean(),
  /** How long audit events are kept: six years at least (HIPAA 164.316(b)(2)(i)); it can only grow. */
  auditRetentionYears: z.number().int('expected whole years').min(MIN_RETENTION_YEARS, `expected at least ${MIN_RETENTION_YEARS} years`).max(100, 'expected at most 100 years'),
  /** While on, no audit event is removed, however old. */
  auditLegalHold: z.boolean(),
});
export type Settings = z.infer<typeof Settings>;

export const DEFAULT_SETTINGS: Settings = {
  organizationName: 'Your organisation',
  signInBanner: 'Authorised use only. Activity on this system is recorded.',
  sandboxMaxLifetimeHours: 24,
  egressOpenAllowed: false,
  auditRetentionYears: MIN_RETENTION_YEARS,
  auditLegalHold: false,
};

export const UpdateSettingsBody = Settings.partial();
export type UpdateSettingsBody = z.infer<typeof UpdateSettingsBody>;
