import type { CreateJoinTokenBody, CreatedJoinToken } from '../../lib/api/hosts';
import { formatJoinToken } from '../../lib/wire/join-token';
import { audited } from '../audit/audited';
import { auditEvent, type RequestMeta } from '../audit/event';
import type { ServerContext } from '../context';
import { randomId, randomToken, sha256Hex } from '../auth/tokens';

type Deps = Pick<ServerContext, 'db' | 'ledger' | 'config' | 'pki'>;

/** Makes a single-use join token for a new host; the token itself is returned once, never stored. */
export async function createJoinToken(deps: Deps, body: CreateJoinTokenBody, meta: RequestMeta): Promise<CreatedJoinToken> {
  const id = randomId(12);
  const secret = randomToken(32);
  const now = new Date();
  const expiresAt = new Date(now.getTime() + body.ttlMinutes * 60_000);
  await audited(deps, async (tx, record) => {
    await tx.joinToken.create({
      data: { id, secretHash: sha256Hex(secret), labels: JSON.stringify(body.labels), createdBy: meta.actor.name, createdAt: now, expiresAt },
    });
    await record(
      auditEvent(meta, { action: 'jointoken.create', details: { labels: body.labels, expiresAt: expiresAt.toISOString() } }, { type: 'join_token', id, name: null }),
    );
  });
  const token = formatJoinToken({ id, secret, caFingerprint: deps.pki.caFingerprint });
  return {
    id,
    token,
    expiresAt: expiresAt.toISOString(),
    labels: body.labels,
    command: `sudo ./bin/sbx-agent join --url ${deps.config.console.publicUrl} --token ${token}`,
  };
}
