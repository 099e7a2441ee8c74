'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import type { SiemDestinationView } from '@/lib/api/siem';
import { ApiError, api, fieldError } from '../../_client/api';
import { Alert, Badge, EmptyState } from '../../_ui/common';
import { Field } from '../../_ui/field';

type Kind = SiemDestinationView['kind'];
const KINDS: Record<Kind, string> = { splunk_hec: 'Splunk HTTP Event Collector (OCSF)', https_ocsf: 'HTTPS endpoint (OCSF JSON)', syslog_cef: 'Syslog over TLS (CEF)' };

/** SIEM destinations: where the ledger streams (at least once), how far each got, add and remove. */
export function SiemPanel() {
  const qc = useQueryClient();
  const list = useQuery({ queryKey: ['siem'], queryFn: () => api<{ destinations: SiemDestinationView[] }>('/audit/siem', { background: true }), refetchInterval: 5000 });
  const [kind, setKind] = useState<Kind>('splunk_hec');
  const [form, setForm] = useState({ name: '', url: '', token: '', authorization: '', host: '', port: '6514', caPem: '' });
  const add = useMutation({
    mutationFn: () => {
      const common = { kind, name: form.name, ...(form.caPem.trim() ? { caPem: form.caPem } : {}) };
      const body =
        kind === 'splunk_hec'
          ? { ...common, url: form.url, token: form.token }
          : kind === 'https_ocsf'
            ? { ...common, url: form.url, ...(form.authorization ? { authorization: form.authorization } : {}) }
            : { ...common, host: form.host, port: Number(form.port) };
      return api<{ destination: SiemDestinationView }>('/audit/siem', { method: 'POST', body });
    },
    onSuccess: () => {
      setForm({ ...form, name: '', url: '', token: '', authorization: '', host: '', caPem: '' });
      void qc.invalidateQueries({ queryKey: ['siem'] });
    },
  });
  const remove = useMutation({
    mutationFn: (id: string) => api(`/audit/siem/${id}`, { method: 'DELETE' }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['siem'] }),
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    add.mutate();
  };
  const err = add.error;
  const input = (key: keyof typeof form, label: string, props: Record<string, unknown> = {}) => (
    <Field label={label} htmlFor={`siem-${key}`} error={fieldError(err, key)}>
      <input id={`siem-${key}`} value={form[key]} onChange={(e) => setForm({ ...form, [key]: e.target.value })} {...props} />
    </Field>
  );
  return (
    <div className="card" data-testid="siem-panel">
      <h2 style={{ marginTop: 0 }}>SIEM streaming</h2>
      <p className="muted">Every audit event goes to each destination at least once, in order, from its saved position; failures are retried and shown here.</p>
      {list.data && list.data.destinations.length > 0 ? (
        <table className="table">
          <thead>
            <tr><th>Name</th><th>Kind</th><th>Target</th><th>Delivered up to</th><th>Status</th><th /></tr>
          </thead>
          <tbody>
            {list.data.destinations.map((d) => (
              <tr key={d.id} data-testid={`siem-row-${d.name}`}>
                <td>{d.name}</td>
                <td>{KINDS[d.kind]}</td>
                <td className="mono">{d.target}</td>
                <td>#{d.lastSeq}{d.behind > 0 ? ` (${d.behind} behind)` : ''}</td>
                <td>{d.lastError ? <Badge tone="danger">{d.lastError}</Badge> : <Badge tone="ok">ok</Badge>}</td>
                <td><button className="btn small" onClick={() => remove.mutate(d.id)}>Remove</button></td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <EmptyState title="No SIEM destinations">Add one below.</EmptyState>
      )}
      <form className="form" onSubmit={onSubmit} noValidate style={{ maxWidth: 560, marginTop: 16 }}>
        {err instanceof ApiError && !err.field ? <Alert kind="error">{err.message}</Alert> : null}
        <Field label="Kind" htmlFor="siem-kind" error={fieldError(err, 'kind')}>
          <select id="siem-kind" value={kind} onChange={(e) => setKind(e.target.value as Kind)}>
            {Object.entries(KINDS).map(([k, label]) => <option key={k} value={k}>{label}</option>)}
          </select>
        </Field>
        {input('name', 'Name')}
        {kind === 'syslog_cef' ? (
          <>
            {input('host', 'Host')}
            {input('port', 'Port', { type: 'number' })}
          </>
        ) : (
          input('url', 'URL', { placeholder: kind === 'splunk_hec' ? 'https://splunk.example:8088/services/collector/event' : 'https://siem.example/ingest' })
        )}
        {kind === 'splunk_hec' ? input('token', 'HEC token', { type: 'password', autoComplete: 'off' }) : null}
        {kind === 'https_ocsf' ? input('authorization', 'Authorization header (optional)', { type: 'password', autoComplete: 'off' }) : null}
        <Field label="CA certificate (PEM, optional)" htmlFor="siem-caPem" error={fieldError(err, 'caPem')}>
          <textarea id="siem-caPem" rows={3} value={form.caPem} onChange={(e) => setForm({ ...form, caPem: e.target.value })} />
        </Field>
        <div className="form-actions">
          <button className="btn primary" type="submit" disabled={add.isPending}>Add destination</button>
        </div>
      </form>
    </div>
  );
}
