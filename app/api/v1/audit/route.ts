import { AuditQuery } from '@/lib/api/audit';
import { listAuditEvents } from '@/server/audit/list-events';
import { apiRoute } from '@/server/http/api-route';

export const GET = apiRoute({ auth: true, permission: 'audit.read', query: AuditQuery }, async ({ ctx, query }) =>
  listAuditEvents(ctx, query),
);
