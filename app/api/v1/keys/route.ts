import { CreateKekBody } from '@/lib/api/keys';
import { apiRoute } from '@/server/http/api-route';
import { createKek } from '@/server/keys/create-kek';
import { listKeks } from '@/server/keys/list-keks';

/** Every key-encryption key with its versions (never key material). */
export const GET = apiRoute({ auth: true, permission: 'keys.read' }, async ({ ctx }) => ({ keys: await listKeks(ctx) }));

/** Creates a key-encryption key and its first version (admins only). */
export const POST = apiRoute({ auth: true, permission: 'keys.write', body: CreateKekBody }, async ({ ctx, body, meta }) => ({ key: await createKek(ctx, body, meta) }));
