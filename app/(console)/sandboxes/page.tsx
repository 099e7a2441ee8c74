'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useState } from 'react';
import type { SandboxView } from '@/lib/api/sandboxes';
import { api } from '../../_client/api';
import { EmptyState, PageHead, Time } from '../../_ui/common';
import { QueryState } from '../../_ui/query-state';
import { NewSandbox } from './new-sandbox';
import { SandboxState } from './sandbox-parts';

const STATES = ['all', 'running', 'stopped', 'expired', 'failed'] as const;

export default function SandboxesPage() {
  const [state, setState] = useState<(typeof STATES)[number]>('all');
  const [owner, setOwner] = useState('');
  const sandboxes = useQuery({
    queryKey: ['sandboxes'],
    queryFn: () => api<{ sandboxes: SandboxView[] }>('/sandboxes', { background: true }),
    refetchInterval: 3000,
  });
  return (
    <>
      <PageHead title="Sandboxes" description="gVisor sandboxes created here, through the API, the SDK or the sbx CLI. Each lives until its deadline or until it is killed." />
      <NewSandbox />
      <div className="card flush">
        <div className="toolbar">
          <div className="field">
            <label htmlFor="f-state">State</label>
            <select id="f-state" value={state} onChange={(e) => setState(e.target.value as (typeof STATES)[number])}>
              {STATES.map((s) => <option key={s} value={s}>{s}</option>)}
            </select>
          </div>
          <div className="field">
            <label htmlFor="f-owner">Owner</label>
            <input id="f-owner" placeholder="user name" value={owner} onChange={(e) => setOwner(e.target.value)} />
          </div>
        </div>
        <QueryState
          query={sandboxes}
          loading="Loading sandboxes…"
          isEmpty={(d) => d.sandboxes.length === 0}
          empty={<EmptyState title="No sandboxes yet">Create one with the SDK (Sandbox.create()) or the CLI (sbx sandbox create).</EmptyState>}
        >
          {(data) => {
            const rows = data.sandboxes.filter((s) => (state === 'all' || s.state === state) && (!owner || s.owner.includes(owner)));
            return rows.length === 0 ? (
              <EmptyState title="No sandboxes match">Change the filters.</EmptyState>
            ) : (
              <table className="table" data-testid="sandboxes-table">
                <thead>
                  <tr><th>Sandbox</th><th>State</th><th>Owner</th><th>Image</th><th>Limits</th><th>Created</th><th>Deadline</th></tr>
                </thead>
                <tbody>
                  {rows.map((s) => (
                    <tr key={s.id} data-testid={`sandbox-row-${s.id}`}>
                      <td><Link className="mono" href={`/sandboxes/${s.id}`}>{s.id}</Link></td>
                      <td><SandboxState sandbox={s} /></td>
                      <td>{s.owner}</td>
                      <td className="mono">{s.image}</td>
                      <td>{s.cpus} CPU, {s.memoryMiB} MiB</td>
                      <td><Time iso={s.createdAt} /></td>
                      <td><Time iso={s.deadlineAt} /></td>
                    </tr>
                  ))}
                </tbody>
              </table>
            );
          }}
        </QueryState>
      </div>
    </>
  );
}
