import { DEFAULT_SETTINGS, Settings } from '../../lib/api/settings';
import type { ServerContext } from '../context';

/** The appliance settings, defaults filled in for anything never set. */
export async function getSettings(deps: Pick<ServerContext, 'db'>): Promise<Settings> {
  const rows = await deps.db.setting.findMany();
  const stored = Object.fromEntries(rows.map((r) => [r.key, JSON.parse(r.value) as unknown]));
  const parsed = Settings.safeParse({ ...DEFAULT_SETTINGS, ...stored });
  return parsed.success ? parsed.data : DEFAULT_SETTINGS;
}
