import { verifyAuditTrail } from '@/server/audit/verify-trail';
import { apiRoute } from '@/server/http/api-route';

/** Recomputes the hash chain now and reports the first break, if any. */
export const GET = apiRoute({ auth: true, permission: 'audit.read' }, async ({ ctx }) => verifyAuditTrail(ctx));
