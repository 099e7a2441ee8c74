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
  const tick = async () => {
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
      ctx.log.info({ certificate: t.name }, 'server certificate renewed');
    }
  };
  const timer = setInterval(() => void tick().catch((err: unknown) => ctx.log.error({ err }, 'certificate renewal failed')), intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
