import { UpdateKekBody } from '@/lib/api/keys';
import { apiRoute } from '@/server/http/api-route';
import { findKek, kekView } from '@/server/keys/kek-store';
import { updateKek } from '@/server/keys/update-kek';

/** One key-encryption key (by id or name). */
export const GET = apiRoute({ auth: true, permission: 'keys.read' }, async ({ ctx, params }) => ({ key: kekView(await findKek(ctx.db, params.id ?? '')) }));

/** Sets the key's minimum decryption version. */
export const PATCH = apiRoute({ auth: true, permission: 'keys.write', body: UpdateKekBody }, async ({ ctx, params, body, meta }) => ({ key: await updateKek(ctx, params.id ?? '', body, meta) }));
