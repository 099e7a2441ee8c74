'use client';

import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import type { CurrentPolicies, PolicyRollout } from '@/lib/api/policies';
import type { SessionInfo } from '@/lib/api/auth';
import { can } from '@/lib/roles';
import { api } from '../../_client/api';
import { Badge, EmptyState, PageHead, Time } from '../../_ui/common';
import { PolicyEditor } from './policy-editor';
import { PolicyVersions } from './policy-versions';

const TONE = { applied: 'ok', pending: 'warn', failed: 'danger' } as const;

/** Policies: the set in force, rollout per host with drift, version history with diffs and rollback, and an editor. */
export default function PoliciesPage() {
  const session = useQuery({ queryKey: ['session'], queryFn: () => api<SessionInfo>('/auth/session') });
  const writable = session.data ? can(session.data.user.role, 'policies.write') : false;
  const current = useQuery({ queryKey: ['policies'], queryFn: () => api<CurrentPolicies>('/policies'), refetchInterval: 5000 });
  const rollout = useQuery({ queryKey: ['policy-rollout'], queryFn: () => api<PolicyRollout>('/policies/rollout', { background: true }), refetchInterval: 2000 });
  const [editing, setEditing] = useState<string | null>(null);
  const c = current.data;
  return (
    <>
      <PageHead
        title="Policies"
        description="What sandboxes may be and do, per scope. The same policies live as YAML in git (sbx policy plan / apply); every change is a signed version that each host verifies, stores and acknowledges."
      />
      <div className="card" data-testid="policy-rollout">
        <h2 style={{ marginTop: 0 }}>Rollout{rollout.data ? ` of version ${rollout.data.version}` : ''}</h2>
        {rollout.data && rollout.data.hosts.length > 0 ? (
          <table className="table">
            <thead>
              <tr><th>Host</th><th>State</th><th>Enforces</th><th>Acknowledged</th><th>Problem</th></tr>
            </thead>
            <tbody>
              {rollout.data.hosts.map((h) => (
                <tr key={h.hostId} data-testid={`rollout-${h.hostname}`}>
                  <td>{h.hostname}{h.connected ? '' : <span className="muted"> (offline)</span>}</td>
                  <td><Badge tone={TONE[h.state]}>{h.state}</Badge>{h.drift ? <> <Badge tone="warn">drift</Badge></> : null}</td>
                  <td className="mono">{h.version === null ? 'none' : `v${h.version}`}</td>
                  <td><Time iso={h.at} /></td>
                  <td className="muted">{h.error ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <EmptyState title={rollout.data ? 'No hosts enrolled' : 'Loading rollout…'}> </EmptyState>
        )}
      </div>
      <div className="card">
        <div className="page-head" style={{ marginBottom: 8 }}>
          <div>
            <h2 style={{ margin: 0 }}>In force</h2>
            {c ? <p className="muted mono" data-testid="policy-version">version {c.version.version} · {c.version.hash.slice(0, 16)} · {c.version.actor}</p> : null}
          </div>
          {writable ? <div className="form-actions"><button className="btn" onClick={() => setEditing('')}>New policy</button></div> : null}
        </div>
        {editing !== null && c ? <PolicyEditor current={c} name={editing} onDone={() => setEditing(null)} /> : null}
        <table className="table">
          <thead>
            <tr><th>Policy</th><th>Scope</th><th>Limits</th><th>Network</th><th>Key</th><th /></tr>
          </thead>
          <tbody>
            {(c?.policies ?? []).map((p) => (
              <tr key={p.name} data-testid={`policy-${p.name}`}>
                <td><strong>{p.name}</strong><div className="muted">{p.description ?? ''}</div></td>
                <td className="mono">
                  {[...p.scope.teams.map((t) => `team ${t}`), ...p.scope.apiKeys.map((k) => `key ${k}`), ...Object.entries(p.scope.hostLabels).map(([k, v]) => `${k}=${v}`)].join(', ') || 'everyone'}
                </td>
                <td className="mono">{p.sandbox.maxCpus} CPU · {p.sandbox.maxMemoryMiB} MiB · {p.sandbox.maxTimeoutSeconds} s</td>
                <td className="mono">{p.network.mode}{p.network.mode === 'allowlist' ? ` (${p.network.allow.length})` : ''}</td>
                <td className="mono">{p.encryption.kek}</td>
                <td>{writable ? <button className="btn small" onClick={() => setEditing(p.name)}>Edit</button> : null}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <PolicyVersions writable={writable} />
    </>
  );
}
