'use client';

import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import type { AuditPage } from '@/lib/api/audit';
import { auditActionNames, type AuditRecord } from '@/lib/audit/events';
import { ApiError, api, fieldError } from '../../_client/api';
import { Alert, Badge, EmptyState, PageHead, Time } from '../../_ui/common';
import { Field } from '../../_ui/field';
import { EventProof } from './event-proof';
import { ExportPanel } from './export-panel';
import { LedgerPanel } from './ledger-panel';
import { RetentionPanel } from './retention-panel';

type Filters = { actor: string; action: string; target: string; outcome: string; from: string; to: string };
const EMPTY: Filters = { actor: '', action: '', target: '', outcome: '', from: '', to: '' };

function queryString(f: Filters, before: number | null): string {
  const p = new URLSearchParams();
  if (f.actor) p.set('actor', f.actor);
  if (f.action) p.set('action', f.action);
  if (f.target) p.set('target', f.target);
  if (f.outcome) p.set('outcome', f.outcome);
  if (f.from) p.set('from', new Date(f.from).toISOString());
  if (f.to) p.set('to', new Date(f.to).toISOString());
  if (before) p.set('before', String(before));
  p.set('limit', '50');
  return p.toString();
}

function outcomeBadge(o: AuditRecord['outcome']) {
  return <Badge tone={o === 'success' ? 'ok' : o === 'failure' ? 'danger' : 'warn'}>{o}</Badge>;
}

export default function AuditPageView() {
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const [cursors, setCursors] = useState<number[]>([]);
  const [open, setOpen] = useState<number | null>(null);
  const [live, setLive] = useState(false);
  const before = cursors.at(-1) ?? null;
  const page = useQuery({
    queryKey: ['audit', filters, before],
    queryFn: () => api<AuditPage>(`/audit?${queryString(filters, before)}`, { background: live }),
    placeholderData: keepPreviousData,
    // The live tail: the newest page, fetched again every two seconds while it is on.
    refetchInterval: live && before === null ? 2000 : false,
  });
  const apply = (e: FormEvent) => {
    e.preventDefault();
    setCursors([]);
    setFilters(draft);
  };
  const err = page.error;
  return (
    <>
      <PageHead
        title="Audit"
        description="Every change, sign-in, command and egress decision, newest first, in one append-only ledger: a Merkle tree whose signed checkpoints show any removed, altered or reordered event."
        actions={
          <label className="checkbox">
            <input type="checkbox" checked={live} onChange={(e) => { setLive(e.target.checked); setCursors([]); }} data-testid="live-tail" /> Live tail
          </label>
        }
      />
      <div className="grid-2">
        <LedgerPanel />
        <ExportPanel />
      </div>
      <RetentionPanel />
      <div className="card flush">
        <form className="toolbar" onSubmit={apply} noValidate>
          <Field label="Actor" htmlFor="f-actor" error={fieldError(err, 'actor')}>
            <input id="f-actor" placeholder="user name" value={draft.actor} onChange={(e) => setDraft({ ...draft, actor: e.target.value })} />
          </Field>
          <Field label="Action" htmlFor="f-action" error={fieldError(err, 'action')}>
            <select id="f-action" value={draft.action} onChange={(e) => setDraft({ ...draft, action: e.target.value })}>
              <option value="">any</option>
              {auditActionNames.map((a) => <option key={a} value={a}>{a}</option>)}
            </select>
          </Field>
          <Field label="Target id" htmlFor="f-target" error={fieldError(err, 'target')}>
            <input id="f-target" placeholder="sandbox, user, host id" value={draft.target} onChange={(e) => setDraft({ ...draft, target: e.target.value })} />
          </Field>
          <Field label="Outcome" htmlFor="f-outcome" error={fieldError(err, 'outcome')}>
            <select id="f-outcome" value={draft.outcome} onChange={(e) => setDraft({ ...draft, outcome: e.target.value })}>
              <option value="">any</option>
              <option value="success">success</option>
              <option value="failure">failure</option>
              <option value="denied">denied</option>
            </select>
          </Field>
          <Field label="From" htmlFor="f-from" error={fieldError(err, 'from')}>
            <input id="f-from" type="datetime-local" value={draft.from} onChange={(e) => setDraft({ ...draft, from: e.target.value })} />
          </Field>
          <Field label="To" htmlFor="f-to" error={fieldError(err, 'to')}>
            <input id="f-to" type="datetime-local" value={draft.to} onChange={(e) => setDraft({ ...draft, to: e.target.value })} />
          </Field>
          <button className="btn primary" type="submit">Apply</button>
          <button className="btn" type="button" onClick={() => { setDraft(EMPTY); setFilters(EMPTY); setCursors([]); }}>Clear</button>
        </form>
        {err instanceof ApiError && !err.field ? <Alert kind="error">{err.message}</Alert> : null}
        {page.isPending ? (
          <EmptyState title="Loading events…"> </EmptyState>
        ) : !page.data || page.data.events.length === 0 ? (
          <EmptyState title="No events match">Change or clear the filters.</EmptyState>
        ) : (
          <table className="table" data-testid="audit-table">
            <thead>
              <tr><th>#</th><th>Time</th><th>Actor</th><th>Action</th><th>Target</th><th>Outcome</th><th>Source</th></tr>
            </thead>
            <tbody>
              {page.data.events.map((e) => (
                <AuditRow key={e.seq} event={e} open={open === e.seq} onToggle={() => setOpen(open === e.seq ? null : e.seq)} />
              ))}
            </tbody>
          </table>
        )}
        <div className="pager">
          <span>{cursors.length > 0 ? `Page ${cursors.length + 1}` : 'Newest events'}</span>
          <span className="form-actions">
            <button className="btn small" disabled={cursors.length === 0} onClick={() => setCursors(cursors.slice(0, -1))}>Newer</button>
            <button className="btn small" disabled={!page.data?.nextCursor} onClick={() => page.data?.nextCursor && setCursors([...cursors, page.data.nextCursor])}>Older</button>
          </span>
        </div>
      </div>
    </>
  );
}

function AuditRow({ event: e, open, onToggle }: { event: AuditRecord; open: boolean; onToggle: () => void }) {
  return (
    <>
      <tr className="clickable" onClick={onToggle} data-testid="audit-row" data-action={e.action} data-outcome={e.outcome}>
        <td className="mono">{e.seq}</td>
        <td><Time iso={e.at} /></td>
        <td>{e.actor.name} <span className="muted">({e.actor.type})</span></td>
        <td className="mono">{e.action}</td>
        <td>{e.target ? `${e.target.type}: ${e.target.name ?? e.target.id ?? ''}` : '—'}</td>
        <td>{outcomeBadge(e.outcome)}</td>
        <td className="mono">{e.sourceIp ?? '—'}</td>
      </tr>
      {open ? (
        <tr>
          <td colSpan={7}>
            <dl className="details-grid">
              <dt>Details</dt><dd className="mono">{JSON.stringify(e.details)}</dd>
              <dt>Request id</dt><dd className="mono">{e.requestId}</dd>
              <dt>User agent</dt><dd>{e.userAgent ?? '—'}</dd>
              <dt>Previous hash</dt><dd className="mono">{e.prevHash}</dd>
              <dt>Event hash</dt><dd className="mono">{e.hash}</dd>
              <dt>Inclusion proof</dt><dd><EventProof seq={e.seq} /></dd>
            </dl>
          </td>
        </tr>
      ) : null}
    </>
  );
}
