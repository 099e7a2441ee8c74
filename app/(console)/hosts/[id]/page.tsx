'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useParams } from 'next/navigation';
import type { HostView } from '@/lib/api/hosts';
import { api } from '../../../_client/api';
import { Alert, EmptyState, PageHead, Time } from '../../../_ui/common';
import { AuditSpoolCell, CertificateCell, HostStatus, LabelList } from '../host-parts';

export default function HostDetailPage() {
  const { id } = useParams<{ id: string }>();
  const qc = useQueryClient();
  const host = useQuery({
    queryKey: ['host', id],
    queryFn: () => api<{ host: HostView }>(`/hosts/${id}`, { background: true }),
    refetchInterval: 3000,
  });
  const revoke = useMutation({
    mutationFn: () => api(`/hosts/${id}/revoke`, { method: 'POST' }),
    onSettled: () => qc.invalidateQueries({ queryKey: ['host', id] }),
  });
  const h = host.data?.host;
  return (
    <>
      <PageHead
        title={h ? h.hostname : 'Host'}
        description="A host agent and what it last reported."
        actions={
          <>
            <Link className="btn" href="/hosts">All hosts</Link>
            {h && h.status !== 'revoked' ? (
              <button
                className="btn danger"
                disabled={revoke.isPending}
                onClick={() => {
                  if (window.confirm(`Revoke ${h.hostname}? Its certificates stop working at once and its channel is closed.`)) revoke.mutate();
                }}
              >
                Revoke host
              </button>
            ) : null}
          </>
        }
      />
      {revoke.error ? <Alert kind="error">{(revoke.error as Error).message}</Alert> : null}
      <div className="card">
        {host.error ? (
          <Alert kind="error">{(host.error as Error).message}</Alert>
        ) : !h ? (
          <EmptyState title="Loading host…"> </EmptyState>
        ) : (
          <dl className="details-grid" data-testid="host-detail">
            <dt>Status</dt><dd><HostStatus host={h} /></dd>
            <dt>Agent id</dt><dd className="mono">{h.id}</dd>
            <dt>Labels</dt><dd><LabelList labels={h.labels} /></dd>
            <dt>Enrolled</dt><dd><Time iso={h.enrolledAt} /></dd>
            <dt>Last seen</dt><dd><Time iso={h.lastSeenAt} /></dd>
            {h.revokedAt ? (<><dt>Revoked</dt><dd><Time iso={h.revokedAt} /></dd></>) : null}
            <dt>Agent</dt><dd className="mono">{h.agentVersion ?? '—'}</dd>
            <dt>runsc</dt><dd className="mono">{h.runscVersion ?? 'not installed'}</dd>
            <dt>Kernel</dt><dd className="mono">{h.kernel ?? '—'}</dd>
            <dt>Platform</dt><dd className="mono">{h.platform ?? '—'}</dd>
            <dt>Capacity</dt>
            <dd>{h.capacity ? `${h.capacity.cpus} CPUs, ${h.capacity.memoryMiB} MiB, ${h.capacity.sandboxSlots} sandbox slots` : '—'}</dd>
            <dt>Health</dt>
            <dd>{h.health ? (h.health.problems.length ? h.health.problems.join('; ') : h.health.status) : '—'}</dd>
            <dt>Sandboxes</dt><dd>{h.sandboxes}</dd>
            <dt>Certificate</dt>
            <dd>{h.certificate ? <><span className="mono">{h.certificate.serial}</span><br /><CertificateCell host={h} /></> : '—'}</dd>
            <dt>Audit spool</dt>
            <dd data-testid="audit-spool"><AuditSpoolCell host={h} /></dd>
          </dl>
        )}
      </div>
    </>
  );
}
