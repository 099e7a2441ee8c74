'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useState, type FormEvent } from 'react';
import { parseLabelText, type CreatedJoinToken, type HostView } from '@/lib/api/hosts';
import { ApiError, api, fieldError } from '../../_client/api';
import { Alert, EmptyState, PageHead, Time } from '../../_ui/common';
import { Field } from '../../_ui/field';
import { QueryState } from '../../_ui/query-state';
import { CertificateCell, HostStatus, LabelList } from './host-parts';

export default function HostsPage() {
  const qc = useQueryClient();
  const hosts = useQuery({
    queryKey: ['hosts'],
    queryFn: () => api<{ hosts: HostView[] }>('/hosts', { background: true }),
    refetchInterval: 3000,
  });
  const [adding, setAdding] = useState(false);
  return (
    <>
      <PageHead
        title="Hosts"
        description="Host agents run the sandboxes. They join with a single-use token, speak only mutual TLS 1.3 and renew their day-long certificates themselves."
        actions={<button className="btn primary" onClick={() => setAdding((a) => !a)}>{adding ? 'Close' : 'Add host'}</button>}
      />
      {adding ? <AddHost onDone={() => void qc.invalidateQueries({ queryKey: ['hosts'] })} /> : null}
      <div className="card flush">
        <QueryState
          query={hosts}
          loading="Loading hosts…"
          isEmpty={(d) => d.hosts.length === 0}
          empty={<EmptyState title="No hosts yet">Add a host to create a join token and the command to run on it.</EmptyState>}
        >
          {(data) => (
          <table className="table" data-testid="hosts-table">
            <thead>
              <tr><th>Host</th><th>Labels</th><th>Status</th><th>Versions</th><th>Certificate</th><th>Sandboxes</th></tr>
            </thead>
            <tbody>
              {data.hosts.map((h) => (
                <tr key={h.id} data-testid={`host-row-${h.hostname}`}>
                  <td><Link href={`/hosts/${h.id}`}><b>{h.hostname}</b></Link><div className="muted mono">{h.id}</div></td>
                  <td><LabelList labels={h.labels} /></td>
                  <td><HostStatus host={h} /><div className="muted">seen <Time iso={h.lastSeenAt} /></div></td>
                  <td className="mono">agent {h.agentVersion ?? '—'}<div className="muted">{h.runscVersion ?? 'runsc missing'}</div><div className="muted">policy {h.policyVersion === null ? 'none yet' : `v${h.policyVersion}`}</div></td>
                  <td><CertificateCell host={h} /></td>
                  <td>{h.sandboxes}{h.capacity ? <span className="muted"> / {h.capacity.sandboxSlots}</span> : null}</td>
                </tr>
              ))}
            </tbody>
          </table>
          )}
        </QueryState>
      </div>
    </>
  );
}

function AddHost({ onDone }: { onDone: () => void }) {
  const [labels, setLabels] = useState('');
  const [ttl, setTtl] = useState('15');
  const [typed, setTyped] = useState<string | undefined>();
  const create = useMutation({
    mutationFn: () => api<CreatedJoinToken>('/hosts/join-tokens', { method: 'POST', body: { labels: parseLabelText(labels), ttlMinutes: Number(ttl) } }),
    onSuccess: onDone,
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    try {
      parseLabelText(labels);
      setTyped(undefined);
      create.mutate();
    } catch (error) {
      setTyped((error as Error).message);
    }
  };
  const err = create.error;
  const labelError = typed ?? (err instanceof ApiError && err.field?.startsWith('labels') ? err.message : undefined);
  return (
    <div className="card">
      <h2>Add a host</h2>
      {create.data ? (
        <Alert kind="ok">
          Run this on the new host as root within {ttl} minutes (until <Time iso={create.data.expiresAt} />). The token works once and is shown only now:
          <div className="secret" data-testid="join-command">{create.data.command}</div>
        </Alert>
      ) : null}
      {err instanceof ApiError && !err.field ? <Alert kind="error">{err.message}</Alert> : null}
      <form className="form inline" onSubmit={onSubmit} noValidate>
        <Field label="Labels" htmlFor="host-labels" error={labelError} hint="e.g. zone=eu-1, tier=gpu">
          <input id="host-labels" value={labels} onChange={(e) => setLabels(e.target.value)} />
        </Field>
        <Field label="Token lifetime (minutes)" htmlFor="host-ttl" error={fieldError(err, 'ttlMinutes')} hint="1 to 1440">
          <input id="host-ttl" inputMode="numeric" value={ttl} onChange={(e) => setTtl(e.target.value)} />
        </Field>
        <div className="field">
          <label>&nbsp;</label>
          <button className="btn primary" type="submit" disabled={create.isPending}>Create join token</button>
        </div>
      </form>
    </div>
  );
}
