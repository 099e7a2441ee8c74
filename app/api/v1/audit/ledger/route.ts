import { ledgerStatus } from '@/server/audit/ledger-status';
import { apiRoute } from '@/server/http/api-route';

/** The ledger now: size, root, latest signed checkpoint, key versions, last integrity self-check. */
export const GET = apiRoute({ auth: true, permission: 'audit.read' }, async ({ ctx }) => ledgerStatus(ctx.ledger));
