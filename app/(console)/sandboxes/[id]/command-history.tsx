'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { CommandView } from '@/lib/api/sandboxes';
import { api } from '../../../_client/api';
import { Alert, EmptyState, Time } from '../../../_ui/common';

function outcome(c: CommandView): string {
  if (c.state === 'running') return 'running';
  if (c.state === 'exited') return `exit ${c.exitCode}`;
  if (c.state === 'timed_out') return 'killed at its timeout';
  if (c.state === 'killed') return `killed (${c.signal ?? 'signal'})`;
  return c.state;
}

/** The sandbox's command history as the control plane keeps it (no output), with kill for running ones. */
export function CommandHistory({ sandboxId, running }: { sandboxId: string; running: boolean }) {
  const qc = useQueryClient();
  const commands = useQuery({
    queryKey: ['sandbox-commands', sandboxId],
    queryFn: () => api<{ commands: CommandView[] }>(`/sandboxes/${sandboxId}/commands`, { background: true }),
    refetchInterval: 3000,
  });
  const kill = useMutation({
    mutationFn: (commandId: string) => api(`/sandboxes/${sandboxId}/commands/${commandId}/kill`, { method: 'POST', body: {} }),
    onSettled: () => qc.invalidateQueries({ queryKey: ['sandbox-commands', sandboxId] }),
  });
  const list = commands.data?.commands ?? [];
  return (
    <div className="card">
      <h2>Command history</h2>
      {kill.error ? <Alert kind="error">{(kill.error as Error).message}</Alert> : null}
      {list.length === 0 ? (
        <EmptyState title="No commands yet">Commands run through the API, the SDK, the CLI or this page are listed here with their exit codes.</EmptyState>
      ) : (
        <table className="table" data-testid="command-history">
          <thead>
            <tr><th>Started</th><th>By</th><th>Command</th><th>Outcome</th><th>Duration</th><th /></tr>
          </thead>
          <tbody>
            {list.map((c) => (
              <tr key={c.id} data-testid={`command-${c.id}`}>
                <td><Time iso={c.startedAt} /></td>
                <td>{c.actor}</td>
                <td className="mono">{c.command}{c.background ? <span className="muted"> (background)</span> : null}</td>
                <td>{outcome(c)}</td>
                <td>{c.durationMs === null ? '—' : `${(c.durationMs / 1000).toFixed(2)} s`}</td>
                <td>
                  {running && c.state === 'running' ? (
                    <button className="btn small danger" disabled={kill.isPending} onClick={() => kill.mutate(c.id)}>Kill</button>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
