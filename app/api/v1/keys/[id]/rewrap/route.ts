import { apiRoute } from '@/server/http/api-route';
import { rewrapStatus, startRewrap } from '@/server/keys/rewrap-kek';

/** How far the key's stored data keys are (paused sandboxes' images by version), and whether a rewrap runs. */
export const GET = apiRoute({ auth: true, permission: 'keys.read' }, async ({ ctx, params }) => ({ rewrap: await rewrapStatus(ctx, params.id ?? '') }));

/** Starts moving every stored data key of the key to its latest version (the data is not touched). */
export const POST = apiRoute({ auth: true, permission: 'keys.write' }, async ({ ctx, params, meta }) => ({ rewrap: await startRewrap(ctx, params.id ?? '', meta) }));
