import type { KekView } from '../../lib/api/keys';
import type { Db } from '../db/client';
import { kekView } from './kek-store';

/** Every KEK with its versions, by name. */
export async function listKeks(deps: { db: Db }): Promise<KekView[]> {
  const rows = await deps.db.kek.findMany({ orderBy: { name: 'asc' }, include: { versions: { orderBy: { version: 'asc' } } } });
  return rows.map(kekView);
}
