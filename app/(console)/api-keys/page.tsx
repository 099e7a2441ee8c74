'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import type { ApiKeyView, CreatedApiKey } from '@/lib/api/api-keys';
import { Role } from '@/lib/roles';
import { ApiError, api, fieldError } from '../../_client/api';
import { Alert, Badge, EmptyState, PageHead, Time } from '../../_ui/common';
import { Field } from '../../_ui/field';
import { QueryState } from '../../_ui/query-state';

function status(k: ApiKeyView) {
  if (k.revokedAt) return <Badge tone="danger">revoked</Badge>;
  if (new Date(k.expiresAt) <= new Date()) return <Badge tone="warn">expired</Badge>;
  return <Badge tone="ok">active</Badge>;
}

export default function ApiKeysPage() {
  const qc = useQueryClient();
  const keys = useQuery({ queryKey: ['api-keys'], queryFn: () => api<{ apiKeys: ApiKeyView[] }>('/api-keys') });
  const revoke = useMutation({
    mutationFn: (id: string) => api(`/api-keys/${id}`, { method: 'DELETE' }),
    onSettled: () => qc.invalidateQueries({ queryKey: ['api-keys'] }),
  });
  return (
    <>
      <PageHead title="API keys" description="Keys let the SDK, the sbx CLI and your automation call the API. A key never has more rights than its owner." />
      <CreateKeyForm onDone={() => void qc.invalidateQueries({ queryKey: ['api-keys'] })} />
      {revoke.error ? <Alert kind="error">{(revoke.error as Error).message}</Alert> : null}
      <div className="card flush">
        <QueryState
          query={keys}
          loading="Loading keys…"
          isEmpty={(d) => d.apiKeys.length === 0}
          empty={<EmptyState title="No API keys">Create one above to use the SDK or the CLI.</EmptyState>}
        >
          {(data) => (
          <table className="table">
            <thead>
              <tr><th>Name</th><th>Key</th><th>Role</th><th>Owner</th><th>Status</th><th>Expires</th><th>Last used</th><th /></tr>
            </thead>
            <tbody>
              {data.apiKeys.map((k) => (
                <tr key={k.id} data-testid={`key-row-${k.name}`}>
                  <td><b>{k.name}</b></td>
                  <td className="mono">{k.prefix}_…</td>
                  <td>{k.role}</td>
                  <td>{k.owner}</td>
                  <td>{status(k)}</td>
                  <td><Time iso={k.expiresAt} /></td>
                  <td><Time iso={k.lastUsedAt} /></td>
                  <td>
                    <div className="row-actions">
                      {k.revokedAt ? null : (
                        <button className="btn small danger" disabled={revoke.isPending} onClick={() => { if (window.confirm(`Revoke the key "${k.name}"? Programs using it stop working at once.`)) revoke.mutate(k.id); }}>
                          Revoke
                        </button>
                      )}
                    </div>
                  </td>
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

function CreateKeyForm({ onDone }: { onDone: () => void }) {
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('developer');
  const [days, setDays] = useState('90');
  const [team, setTeam] = useState('');
  const create = useMutation({
    mutationFn: () => api<CreatedApiKey>('/api-keys', { method: 'POST', body: { name, role, expiresInDays: Number(days), ...(team.trim() ? { team: team.trim() } : {}) } }),
    onSuccess: () => {
      setName('');
      onDone();
    },
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  const err = create.error;
  return (
    <div className="card">
      <h2>Create API key</h2>
      {create.data ? (
        <Alert kind="ok">
          Key <b>{create.data.apiKey.name}</b> created. Copy the secret now: it is shown only once and cannot be recovered.
          <div className="secret" data-testid="api-key-secret">{create.data.secret}</div>
        </Alert>
      ) : null}
      {err instanceof ApiError && !err.field ? <Alert kind="error">{err.message}</Alert> : null}
      <form className="form inline" onSubmit={onSubmit} noValidate>
        <Field label="Name" htmlFor="key-name" error={fieldError(err, 'name')} hint="What uses it, e.g. ci-pipeline">
          <input id="key-name" value={name} onChange={(e) => setName(e.target.value)} />
        </Field>
        <Field label="Role" htmlFor="key-role" error={fieldError(err, 'role')}>
          <select id="key-role" value={role} onChange={(e) => setRole(Role.parse(e.target.value))}>
            {Role.options.map((r) => <option key={r} value={r}>{r}</option>)}
          </select>
        </Field>
        <Field label="Team" htmlFor="key-team" error={fieldError(err, 'team')} hint="Optional: policies scoped to this team apply">
          <input id="key-team" value={team} onChange={(e) => setTeam(e.target.value)} placeholder="data-science" />
        </Field>
        <Field label="Expires in (days)" htmlFor="key-days" error={fieldError(err, 'expiresInDays')}>
          <input id="key-days" inputMode="numeric" value={days} onChange={(e) => setDays(e.target.value)} />
        </Field>
        <div className="field">
          <label>&nbsp;</label>
          <button className="btn primary" type="submit" disabled={create.isPending}>Create key</button>
        </div>
      </form>
    </div>
  );
}
