import { AppError } from '../../lib/errors';
import { audited } from '../audit/audited';
import { auditEvent, type RequestMeta } from '../audit/event';
import type { ServerContext } from '../context';
import { issueAgentCertificate, publicKeyOfCsr } from '../pki/certificates';

type Deps = Pick<ServerContext, 'db' | 'ledger' | 'config' | 'pki'>;

/** Issues a fresh certificate to a connected, unrevoked agent over its channel. */
export async function renewAgentCertificate(deps: Deps, agentId: string, csr: string, meta: RequestMeta) {
  const agent = await deps.db.agent.findUnique({ where: { id: agentId } });
  if (!agent || agent.revokedAt) throw new AppError('permission_denied', `agent ${agentId} is revoked`);
  const cert = issueAgentCertificate(deps.pki.ca, publicKeyOfCsr(csr), agentId, deps.config.agentGateway.agentCertTtlSeconds);
  await audited(deps, async (tx, record) => {
    await tx.agentCertificate.create({ data: { serial: cert.serial, agentId, issuedAt: new Date(), notBefore: cert.notBefore, notAfter: cert.notAfter } });
    await record(
      auditEvent(
        meta,
        { action: 'certificate.issue', details: { serial: cert.serial, notAfter: cert.notAfter.toISOString(), renewal: true, purpose: 'agent' } },
        { type: 'certificate', id: cert.serial, name: agent.hostname },
      ),
    );
  });
  return { certificate: cert.certPem, notAfter: cert.notAfter.toISOString() };
}
