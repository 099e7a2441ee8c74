'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { PurgeView, RetentionView } from '@/lib/api/audit';
import { api } from '../../_client/api';
import { Alert, Time } from '../../_ui/common';

/** Retention: what is past it, and the two-admin removal (ask, then another admin approves). */
export function RetentionPanel() {
  const qc = useQueryClient();
  const status = useQuery({ queryKey: ['retention'], queryFn: () => api<RetentionView>('/audit/retention', { background: true }) });
  const done = () => void qc.invalidateQueries({ queryKey: ['retention'] });
  const ask = useMutation({ mutationFn: () => api<{ purge: PurgeView }>('/audit/retention/purges', { method: 'POST', body: {} }), onSuccess: done });
  const approve = useMutation({ mutationFn: (id: string) => api<{ purge: PurgeView }>(`/audit/retention/purges/${id}/approve`, { method: 'POST', body: {} }), onSuccess: done });
  const s = status.data;
  if (!s) return null;
  const pending = s.purges.filter((p) => p.state === 'pending');
  return (
    <div className="card" data-testid="retention-panel">
      <h2 style={{ marginTop: 0 }}>Retention</h2>
      <p>
        Events are kept {s.retentionYears} years{s.legalHold ? ' and a legal hold is on: none is removed' : ''}. Past retention (before <Time iso={s.cutoff} />): {s.expiredEvents.toLocaleString()} events.
        Removed events become tombstones that keep their place in the signed tree.
      </p>
      {ask.error ? <Alert kind="error">{ask.error.message}</Alert> : null}
      {approve.error ? <Alert kind="error">{approve.error.message}</Alert> : null}
      {pending.map((p) => (
        <div key={p.id} className="toolbar">
          <span>
            {p.requestedBy} asked to remove {p.events.toLocaleString()} events before <Time iso={p.cutoff} />.
          </span>
          <button className="btn danger" onClick={() => approve.mutate(p.id)} disabled={approve.isPending}>Approve and remove</button>
        </div>
      ))}
      <button className="btn" onClick={() => ask.mutate()} disabled={ask.isPending || s.legalHold || s.expiredEvents === 0}>
        Ask to remove expired events
      </button>
    </div>
  );
}
