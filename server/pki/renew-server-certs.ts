import { X509Certificate, randomUUID } from 'node:crypto';
import { audited } from '../audit/audited';
import { SYSTEM_ACTOR, auditEvent } from '../audit/event';
import type { ServerContext } from '../context';
import { lifeSpent, normalizeSerial, type KeyPair } from './certificates';
import { RENEW_AT, issueAndStoreServerCert, type ServerCertName } from './ensure-pki';

type Target = { name: ServerCertName; current: () => KeyPair; apply: (pair: KeyPair) => void };

/**
 * Renews the console's and the gateway's server certificates once two thirds of their life is
 * spent, without a restart (the listeners take the new context for new connections), and audits it.
 */
export function scheduleServerCertRenewal(ctx: ServerContext, targets: Target[], intervalMs = 10 * 60_000): () => void {
  const timer = setInterval(() => void renewDueCertificates(ctx, targets).catch((err: unknown) => ctx.log.error({ err }, 'certificate renewal failed')), intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** Renews each target whose certificate has spent two thirds of its life; returns the renewed names. */
export async function renewDueCertificates(
  ctx: Pick<ServerContext, 'db' | 'ledger' | 'config' | 'pki' | 'log'>,
  targets: Target[],
): Promise<ServerCertName[]> {
  const renewed: ServerCertName[] = [];
  for (const t of targets) {
    if (lifeSpent(t.current().certPem) < RENEW_AT) continue;
    const hostname = new URL(ctx.config.console.publicUrl).hostname;
    const pair = issueAndStoreServerCert(ctx.pki.ca, t.name, { dataDir: ctx.config.dataDir, hostname, certDays: ctx.config.tlsCertDays });
    const x509 = new X509Certificate(pair.certPem);
    await audited(ctx, (_tx, record) =>
      record(
        auditEvent(
          { actor: SYSTEM_ACTOR, sourceIp: null, userAgent: null, requestId: randomUUID() },
          { action: 'certificate.issue', details: { serial: normalizeSerial(x509.serialNumber), notAfter: new Date(x509.validTo).toISOString(), renewal: true, purpose: t.name } },
          { type: 'certificate', id: normalizeSerial(x509.serialNumber), name: t.name },
        ),
      ),
    );
    t.apply(pair);
    renewed.push(t.name);
    ctx.log.info({ certificate: t.name }, 'server certificate renewed');
  }
  return renewed;
}
