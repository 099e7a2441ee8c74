import { UpdateSettingsBody } from '@/lib/api/settings';
import { getSettings } from '@/server/settings/get-settings';
import { updateSettings } from '@/server/settings/update-settings';
import { apiRoute } from '@/server/http/api-route';

export const GET = apiRoute({ auth: true, permission: 'settings.read' }, async ({ ctx }) => ({ settings: await getSettings(ctx) }));

export const PATCH = apiRoute({ auth: true, permission: 'settings.write', body: UpdateSettingsBody }, async ({ ctx, body, meta }) => ({
  settings: await updateSettings(ctx, body, meta),
}));
