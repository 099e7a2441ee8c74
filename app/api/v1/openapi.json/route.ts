import { openApiDocument } from '@/lib/api/openapi';
import { apiRoute } from '@/server/http/api-route';

/** The OpenAPI document of this API, generated from the shared zod schemas. */
export const GET = apiRoute({ auth: false }, async ({ ctx }) => openApiDocument(ctx.version));
