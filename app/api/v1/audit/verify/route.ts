import { selfCheckLedger } from '@/server/audit/self-check';
import { apiRoute } from '@/server/http/api-route';

/** Runs the ledger's integrity self-check now (recorded as a `ledger.self_check` event). */
export const POST = apiRoute({ auth: true, permission: 'audit.read' }, async ({ ctx }) => selfCheckLedger(ctx, 'manual'));
