import type { Settings, UpdateSettingsBody } from '../../lib/api/settings';
import { AppError } from '../../lib/errors';
import { audited } from '../audit/audited';
import { auditEvent, type RequestMeta } from '../audit/event';
import type { ServerContext } from '../context';
import { getSettings } from './get-settings';

type Deps = Pick<ServerContext, 'db' | 'ledger'>;

/** Saves changed settings; the audit event records each change's before and after. */
export async function updateSettings(deps: Deps, body: UpdateSettingsBody, meta: RequestMeta): Promise<Settings> {
  const current = await getSettings(deps);
  if (body.auditRetentionYears !== undefined && body.auditRetentionYears < current.auditRetentionYears) {
    throw new AppError('invalid_argument', `auditRetentionYears: expected at least ${current.auditRetentionYears} years: retention can only be extended`, 'auditRetentionYears');
  }
  const changes: Record<string, { from: string; to: string }> = {};
  for (const [key, value] of Object.entries(body) as [keyof Settings, string | number | undefined][]) {
    if (value !== undefined && value !== current[key]) changes[key] = { from: String(current[key]), to: String(value) };
  }
  if (Object.keys(changes).length === 0) return current;
  await audited(deps, async (tx, record) => {
    for (const key of Object.keys(changes)) {
      const value = JSON.stringify(body[key as keyof Settings]);
      await tx.setting.upsert({ where: { key }, create: { key, value, updatedAt: new Date() }, update: { value, updatedAt: new Date() } });
    }
    await record(auditEvent(meta, { action: 'settings.update', details: { changes } }, { type: 'setting', id: null, name: Object.keys(changes).join(', ') }));
  });
  return { ...current, ...body } as Settings;
}
