'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { PolicySource, PolicyVersionView } from '@/lib/api/policies';
import { formatDiff } from '@/lib/policy/diff';
import { ApiError, api } from '../../_client/api';
import { Alert, Time } from '../../_ui/common';

function sourceText(s: PolicySource): string {
  switch (s.kind) {
    case 'git':
      return `git ${s.commit.slice(0, 12)} by ${s.author}${s.dirty ? ' (uncommitted changes)' : ''}`;
    case 'rollback':
      return `rollback to v${s.to}`;
    case 'initial':
      return 'first start';
    default:
      return s.kind;
  }
}

/** Every version: who, from where, what changed (the diff), and rollback in one action. */
export function PolicyVersions({ writable }: { writable: boolean }) {
  const qc = useQueryClient();
  const versions = useQuery({ queryKey: ['policy-versions'], queryFn: () => api<{ versions: PolicyVersionView[] }>('/policies/versions'), refetchInterval: 5000 });
  const [open, setOpen] = useState<number | null>(null);
  const rollback = useMutation({
    mutationFn: (v: number) => api<{ version: PolicyVersionView }>(`/policies/versions/${v}/rollback`, { method: 'POST', body: {} }),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['policies'] });
      void qc.invalidateQueries({ queryKey: ['policy-versions'] });
    },
  });
  const list = versions.data?.versions ?? [];
  return (
    <div className="card" data-testid="policy-versions">
      <h2 style={{ marginTop: 0 }}>Versions</h2>
      {rollback.error instanceof ApiError ? <Alert kind="error">{rollback.error.message}</Alert> : null}
      <table className="table">
        <thead>
          <tr><th>Version</th><th>Made</th><th>By</th><th>Source</th><th>Changes</th><th /></tr>
        </thead>
        <tbody>
          {list.map((v, i) => (
            <tr key={v.version} data-testid={`policy-version-${v.version}`}>
              <td className="mono">v{v.version}{i === 0 ? ' (in force)' : ''}</td>
              <td><Time iso={v.createdAt} /></td>
              <td>{v.actor}</td>
              <td className="mono">{sourceText(v.source)}</td>
              <td>
                <button className="btn small" onClick={() => setOpen(open === v.version ? null : v.version)}>
                  +{v.changes.added.length} ~{v.changes.changed.length} -{v.changes.removed.length}
                </button>
                {open === v.version ? <pre className="mono" data-testid={`policy-diff-${v.version}`}>{formatDiff(v.changes).join('\n')}</pre> : null}
              </td>
              <td>
                {writable && i > 0 ? (
                  <button className="btn small" disabled={rollback.isPending} onClick={() => window.confirm(`Make version ${v.version}'s policies the policies in force (as a new version)?`) && rollback.mutate(v.version)}>
                    Roll back to v{v.version}
                  </button>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
