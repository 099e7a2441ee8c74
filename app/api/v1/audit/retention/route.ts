import { retentionStatus } from '@/server/audit/retention/retention';
import { apiRoute } from '@/server/http/api-route';

/** The audit retention in force, how many events are past it, and the purges asked for or done. */
export const GET = apiRoute({ auth: true, permission: 'audit.read' }, async ({ ctx }) => retentionStatus(ctx));
