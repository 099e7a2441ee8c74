import { rotateLedgerSigningKey } from '@/server/audit/rotate-ledger-key';
import { apiRoute } from '@/server/http/api-route';

/** Makes a new checkpoint signing key version (admins only); old versions stay for verification. */
export const POST = apiRoute({ auth: true, permission: 'settings.write' }, async ({ ctx, meta }) => rotateLedgerSigningKey(ctx, meta));
