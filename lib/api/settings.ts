import { z } from 'zod';

/** Appliance settings an admin changes in the console. */
export const Settings = z.strictObject({
  organizationName: z.string().trim().min(1, 'expected a name').max(100),
  /** Shown on the sign-in page: the system-use notice many security programmes require. */
  signInBanner: z.string().trim().max(2000, 'expected at most 2000 characters'),
});
export type Settings = z.infer<typeof Settings>;

export const DEFAULT_SETTINGS: Settings = {
  organizationName: 'Your organisation',
  signInBanner: 'Authorised use only. Activity on this system is recorded.',
};

export const UpdateSettingsBody = Settings.partial();
export type UpdateSettingsBody = z.infer<typeof UpdateSettingsBody>;
