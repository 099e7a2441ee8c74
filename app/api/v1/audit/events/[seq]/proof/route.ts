import { z } from 'zod';
import { fromZodError } from '@/lib/errors';
import { proveInclusion } from '@/server/audit/prove-inclusion';
import { apiRoute } from '@/server/http/api-route';

const Params = z.object({ seq: z.coerce.number().int().positive({ message: 'expected an event number (1 or more)' }) });

/** The event's inclusion proof in the latest signed checkpoint (RFC 9162), checked before it is sent. */
export const GET = apiRoute({ auth: true, permission: 'audit.read' }, async ({ ctx, params }) => {
  const parsed = Params.safeParse(params);
  if (!parsed.success) throw fromZodError(parsed.error);
  return proveInclusion(ctx, parsed.data.seq);
});
