import type { HostView } from '@/lib/api/hosts';
import { Badge, Time } from '../../_ui/common';

export function HostStatus({ host }: { host: HostView }) {
  if (host.status === 'revoked') return <Badge tone="danger">revoked</Badge>;
  if (host.status === 'offline') return <Badge tone="warn">offline</Badge>;
  return host.health?.status === 'ok' ? <Badge tone="ok">online</Badge> : <Badge tone="warn">online, {host.health?.status ?? 'unknown'}</Badge>;
}

export function LabelList({ labels }: { labels: Record<string, string> }) {
  const entries = Object.entries(labels);
  if (entries.length === 0) return <span className="muted">—</span>;
  return (
    <span style={{ display: 'inline-flex', gap: 4, flexWrap: 'wrap' }}>
      {entries.map(([k, v]) => (
        <Badge key={k} tone="info">{k}={v}</Badge>
      ))}
    </span>
  );
}

/** Expiry, with a warning once 80 % of the certificate's life has passed without renewal. */
export function CertificateCell({ host }: { host: HostView }) {
  if (!host.certificate) return <span className="muted">—</span>;
  return (
    <>
      expires <Time iso={host.certificate.notAfter} />
      {host.renewalOverdue ? (
        <div>
          <Badge tone="warn">renewal overdue ({Math.round(host.certificate.lifeSpent * 100)} % of life used)</Badge>
        </div>
      ) : null}
    </>
  );
}

/** How much of the host's audit spool the ledger holds; events that never arrived are shown, not hidden. */
export function AuditSpoolCell({ host }: { host: HostView }) {
  if (!host.auditSpool) return <span className="muted">no events yet</span>;
  return (
    <>
      {host.auditSpool.lastSeq.toLocaleString()} received
      {host.auditSpool.missing > 0 ? (
        <div>
          <Badge tone="danger">{host.auditSpool.missing.toLocaleString()} missing</Badge>
        </div>
      ) : null}
    </>
  );
}
