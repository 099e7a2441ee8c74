import { EnrollBody } from '@/lib/api/hosts';
import { enrollAgent } from '@/server/hosts/enroll-agent';
import { apiRoute } from '@/server/http/api-route';

/** Authenticated by the join token in the body, not by a session. */
export const POST = apiRoute({ auth: false, body: EnrollBody }, async ({ ctx, body, meta }) => enrollAgent(ctx, body, meta));
