'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { KekView, RewrapStatus } from '@/lib/api/keys';
import { ApiError, api } from '../../_client/api';
import { Alert, Badge, Time } from '../../_ui/common';

const TONE = { active: 'ok', disabled: 'warn', destroyed: 'danger' } as const;

/** One KEK: its versions and what each wraps, rotate, rewrap with progress, disable/enable, destroy (typed confirmation). */
export function KeyCard({ kek, writable }: { kek: KekView; writable: boolean }) {
  const qc = useQueryClient();
  const rewrap = useQuery({
    queryKey: ['rewrap', kek.id],
    queryFn: () => api<{ rewrap: RewrapStatus }>(`/keys/${kek.id}/rewrap`, { background: true }),
    refetchInterval: (q) => (q.state.data?.rewrap.running ? 500 : 5000),
  });
  const done = () => {
    void qc.invalidateQueries({ queryKey: ['keys'] });
    void qc.invalidateQueries({ queryKey: ['rewrap', kek.id] });
  };
  const act = useMutation({ mutationFn: (a: { path: string; method: 'POST' | 'PATCH'; body?: object }) => api(a.path, { method: a.method, body: a.body ?? {} }), onSuccess: done });
  const [destroying, setDestroying] = useState<number | null>(null);
  const [confirm, setConfirm] = useState('');
  const status = rewrap.data?.rewrap;
  const objectsAt = (v: number) => status?.byVersion.find((b) => b.version === v)?.objects ?? 0;
  return (
    <div className="card" data-testid={`key-${kek.name}`}>
      <div className="page-head" style={{ marginBottom: 8 }}>
        <div>
          <h2 style={{ margin: 0 }}>{kek.name}</h2>
          <p className="muted mono">{kek.id} · latest v{kek.latestVersion} · decrypts from v{kek.minDecryptVersion} · made by {kek.createdBy}</p>
        </div>
        {writable ? (
          <div className="form-actions">
            <button className="btn" onClick={() => act.mutate({ path: `/keys/${kek.id}/rotate`, method: 'POST' })}>Rotate</button>
            <button className="btn" disabled={status?.running} onClick={() => act.mutate({ path: `/keys/${kek.id}/rewrap`, method: 'POST' })}>Rewrap</button>
          </div>
        ) : null}
      </div>
      {act.error instanceof ApiError ? <Alert kind="error">{act.error.message}</Alert> : null}
      {status ? (
        <p data-testid="rewrap-status">
          {status.total === 0
            ? 'No stored data is wrapped by this key.'
            : `${status.current} of ${status.total} stored objects at v${status.latestVersion}${status.running ? ' (rewrapping…)' : ''}`}
          {status.lastError ? <span className="muted"> · last failure: {status.lastError}</span> : null}
        </p>
      ) : null}
      <table className="table">
        <thead>
          <tr><th>Version</th><th>State</th><th>Made</th><th>Wraps</th><th /></tr>
        </thead>
        <tbody>
          {[...kek.versions].reverse().map((v) => (
            <tr key={v.version} data-testid={`key-version-${v.version}`}>
              <td>v{v.version}{v.version === kek.latestVersion ? ' (latest)' : ''}</td>
              <td><Badge tone={TONE[v.state]}>{v.state}</Badge>{v.destroyedAt ? <> <Time iso={v.destroyedAt} /></> : null}</td>
              <td><Time iso={v.createdAt} /></td>
              <td>{objectsAt(v.version)} paused sandbox image(s)</td>
              <td>
                {writable && v.state !== 'destroyed' && v.version !== kek.latestVersion ? (
                  <div className="form-actions">
                    <button className="btn small" onClick={() => act.mutate({ path: `/keys/${kek.id}/versions/${v.version}`, method: 'PATCH', body: { state: v.state === 'active' ? 'disabled' : 'active' } })}>
                      {v.state === 'active' ? 'Disable' : 'Enable'}
                    </button>
                    <button className="btn small danger" onClick={() => (setDestroying(v.version), setConfirm(''))}>Destroy…</button>
                  </div>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {destroying !== null ? (
        <div className="alert warn" data-testid="destroy-confirm">
          <p>
            Destroying v{destroying} of {kek.name} erases its key material for good: everything it wraps ({objectsAt(destroying)} paused sandbox image(s)) can never be read
            again. Rewrap first to keep them. Type <b className="mono">{kek.name}:v{destroying}</b> to confirm.
          </p>
          <input aria-label="Confirmation" value={confirm} onChange={(e) => setConfirm(e.target.value)} />
          <div className="form-actions" style={{ marginTop: 8 }}>
            <button className="btn" onClick={() => setDestroying(null)}>Cancel</button>
            <button
              className="btn danger"
              disabled={confirm !== `${kek.name}:v${destroying}`}
              onClick={() => act.mutate({ path: `/keys/${kek.id}/versions/${destroying}/destroy`, method: 'POST', body: { confirm } }, { onSuccess: () => setDestroying(null) })}
            >
              Destroy v{destroying} for good
            </button>
          </div>
        </div>
      ) : null}
    </div>
  );
}
