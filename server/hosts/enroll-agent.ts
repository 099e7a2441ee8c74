import { timingSafeEqual } from 'node:crypto';
import { parseJoinToken } from '../../lib/wire/join-token';
import { Labels, type EnrollBody, type EnrollResult } from '../../lib/api/hosts';
import { AppError } from '../../lib/errors';
import { audited } from '../audit/audited';
import { auditEvent, type RequestMeta } from '../audit/event';
import type { ServerContext } from '../context';
import { randomId, sha256Hex } from '../auth/tokens';
import { issueAgentCertificate, publicKeyOfCsr } from '../pki/certificates';

type Deps = Pick<ServerContext, 'db' | 'ledger' | 'config' | 'pki'>;
type Refusal = 'unknown' | 'reused' | 'expired' | 'malformed';

const messages: Record<Refusal, string> = {
  unknown: 'token: this join token is not known; create a new one on the Hosts page.',
  reused: 'token: this join token was already used; join tokens work once. Create a new one.',
  expired: 'token: this join token has expired; create a new one.',
  malformed: 'token: expected a join token of the form sbxj1.<id>.<secret>.<ca-fingerprint>',
};

/**
 * Enrols a host agent with a single-use join token: checks the token, ignores every name the
 * certificate request asks for, and issues a short-lived client certificate naming a new agent id.
 * Refusals are audited too.
 */
export async function enrollAgent(deps: Deps, body: EnrollBody, origin: Omit<RequestMeta, 'actor'>): Promise<EnrollResult> {
  const meta: RequestMeta = { ...origin, actor: { type: 'anonymous', id: null, name: body.hostname } };
  const parts = parseJoinToken(body.token);
  const row = parts ? await deps.db.joinToken.findUnique({ where: { id: parts.id } }) : null;
  const refuse = async (reason: Refusal): Promise<never> => {
    await audited(deps, (_tx, record) =>
      record(auditEvent(meta, { action: 'jointoken.use', details: { reason, hostname: body.hostname } }, { type: 'join_token', id: parts?.id ?? null, name: null }, 'failure')),
    );
    throw new AppError(reason === 'malformed' ? 'invalid_argument' : 'unauthenticated', messages[reason], 'token');
  };
  if (!parts) return refuse('malformed');
  const given = Buffer.from(sha256Hex(parts.secret), 'hex');
  if (!row || !timingSafeEqual(given, Buffer.from(row.secretHash, 'hex'))) return refuse('unknown');
  if (row.usedAt) return refuse('reused');
  if (row.expiresAt <= new Date()) return refuse('expired');

  let publicKey;
  try {
    publicKey = publicKeyOfCsr(body.csr);
  } catch (error) {
    throw new AppError('invalid_argument', `csr: ${(error as Error).message}`, 'csr');
  }
  const agentId = randomId(16);
  const labels = Labels.parse(JSON.parse(row.labels));
  const cert = issueAgentCertificate(deps.pki.ca, publicKey, agentId, deps.config.agentGateway.agentCertTtlSeconds);
  const now = new Date();
  await audited(deps, async (tx, record) => {
    // Single use even under a race: only the first transaction to mark the token wins.
    const claimed = await tx.joinToken.updateMany({ where: { id: row.id, usedAt: null }, data: { usedAt: now, usedByAgentId: agentId } });
    if (claimed.count !== 1) throw new AppError('unauthenticated', messages.reused, 'token');
    await tx.agent.create({ data: { id: agentId, hostname: body.hostname, labels: JSON.stringify(labels), enrolledAt: now } });
    await tx.agentCertificate.create({ data: { serial: cert.serial, agentId, issuedAt: now, notBefore: cert.notBefore, notAfter: cert.notAfter } });
    const agentMeta: RequestMeta = { ...origin, actor: { type: 'agent', id: agentId, name: body.hostname } };
    const target = { type: 'agent' as const, id: agentId, name: body.hostname };
    await record(auditEvent(agentMeta, { action: 'jointoken.use', details: { hostname: body.hostname } }, { type: 'join_token', id: row.id, name: null }));
    await record(auditEvent(agentMeta, { action: 'agent.enroll', details: { hostname: body.hostname, labels, tokenId: row.id } }, target));
    await record(
      auditEvent(
        agentMeta,
        { action: 'certificate.issue', details: { serial: cert.serial, notAfter: cert.notAfter.toISOString(), renewal: false, purpose: 'agent' } },
        { type: 'certificate', id: cert.serial, name: body.hostname },
      ),
    );
  });
  return {
    agentId,
    certificate: cert.certPem,
    caCertificate: deps.pki.ca.certPem,
    gatewayUrl: deps.config.agentGateway.url,
    notAfter: cert.notAfter.toISOString(),
    labels,
  };
}
