'use client';

import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import type { ExportView } from '@/lib/api/audit';
import { api, fieldError } from '../../_client/api';
import { Alert } from '../../_ui/common';
import { Field } from '../../_ui/field';

/** Makes an evidence bundle of a time range, shows its progress, then offers the download. */
export function ExportPanel() {
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [id, setId] = useState<string | null>(null);
  const start = useMutation({
    mutationFn: () =>
      api<{ export: ExportView }>('/audit/exports', {
        method: 'POST',
        body: { ...(from ? { from: new Date(from).toISOString() } : {}), ...(to ? { to: new Date(to).toISOString() } : {}) },
      }),
    onSuccess: (r) => setId(r.export.id),
  });
  const job = useQuery({
    queryKey: ['export', id],
    queryFn: () => api<{ export: ExportView }>(`/audit/exports/${id}`, { background: true }),
    enabled: id !== null,
    refetchInterval: (q) => (q.state.data?.export.state === 'running' ? 500 : false),
  });
  const view = job.data?.export ?? start.data?.export;
  const pct = view && view.total > 0 ? Math.floor((view.done / view.total) * 100) : 0;
  return (
    <div className="card" data-testid="export-panel">
      <h2 style={{ marginTop: 0 }}>Export evidence</h2>
      <p className="muted">A bundle anyone can check offline with sbx audit verify: events (JSONL, OCSF, CSV), signed checkpoints, proofs, keys and a report mapped to SOC 2 and HIPAA.</p>
      <div className="toolbar">
        <Field label="From" htmlFor="x-from" error={fieldError(start.error, 'from')}>
          <input id="x-from" type="datetime-local" value={from} onChange={(e) => setFrom(e.target.value)} />
        </Field>
        <Field label="To" htmlFor="x-to" error={fieldError(start.error, 'to')}>
          <input id="x-to" type="datetime-local" value={to} onChange={(e) => setTo(e.target.value)} />
        </Field>
        <button className="btn primary" onClick={() => start.mutate()} disabled={start.isPending || view?.state === 'running'}>
          Export
        </button>
      </div>
      {view ? (
        view.state === 'running' ? (
          <div data-testid="export-progress">
            <progress max={100} value={pct} /> {pct}% — {view.done.toLocaleString()} of {view.total.toLocaleString()} ledger positions, {view.events.toLocaleString()} events
          </div>
        ) : view.state === 'done' ? (
          <Alert kind="ok">
            Bundle ready: {view.events.toLocaleString()} events, {view.bytes?.toLocaleString()} bytes, SHA-256 <span className="mono">{view.sha256}</span>.{' '}
            <a href={`/api/v1/audit/exports/${view.id}/bundle`} download={view.fileName} data-testid="export-download">
              Download {view.fileName}
            </a>
          </Alert>
        ) : (
          <Alert kind="error">{view.error}</Alert>
        )
      ) : null}
      {start.error && !fieldError(start.error, 'from') && !fieldError(start.error, 'to') ? <Alert kind="error">{start.error.message}</Alert> : null}
    </div>
  );
}
