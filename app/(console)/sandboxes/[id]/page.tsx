'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useParams } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import { ExecEvent, type SandboxView } from '@/lib/api/sandboxes';
import { api, ApiError, mutationHeaders } from '../../../_client/api';
import { Alert, EmptyState, PageHead, Time } from '../../../_ui/common';
import { Field } from '../../../_ui/field';
import { SandboxState } from '../sandbox-parts';
import { CommandHistory } from './command-history';
import { NetworkPanel } from './network-panel';
import { ResourceUse } from './resource-use';

type Run = { command: string; output: string; exit: string };

/** Runs a command through the same streamed API the SDK uses, and collects its output. */
async function runCommand(id: string, command: string): Promise<Run> {
  const res = await fetch(`/api/v1/sandboxes/${id}/exec`, {
    method: 'POST',
    headers: mutationHeaders(),
    body: JSON.stringify({ cmd: ['sh', '-c', command], timeoutMs: 60_000 }),
  });
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
    throw new Error(body?.error?.message ?? `HTTP ${res.status}`);
  }
  let output = '';
  let exit = '';
  for (const line of (await res.text()).split('\n').filter(Boolean)) {
    const e = ExecEvent.parse(JSON.parse(line));
    if (e.type === 'stdout' || e.type === 'stderr') output += new TextDecoder().decode(Uint8Array.from(atob(e.data), (c) => c.charCodeAt(0)));
    else if (e.type === 'exit') exit = e.exitCode !== null ? `exit ${e.exitCode}` : `killed by ${e.signal}${e.timedOut ? ' (timeout)' : ''}`;
    else if (e.type === 'error') exit = `error: ${e.error.message}`;
  }
  return { command, output, exit };
}

export default function SandboxDetailPage() {
  const { id } = useParams<{ id: string }>();
  const qc = useQueryClient();
  const sandbox = useQuery({
    queryKey: ['sandbox', id],
    queryFn: () => api<{ sandbox: SandboxView }>(`/sandboxes/${id}`, { background: true }),
    refetchInterval: 3000,
  });
  const [command, setCommand] = useState('');
  const [history, setHistory] = useState<Run[]>([]);
  const run = useMutation({
    mutationFn: () => runCommand(id, command),
    onSuccess: (r) => {
      setHistory((h) => [r, ...h]);
      void qc.invalidateQueries({ queryKey: ['sandbox-commands', id] });
    },
  });
  const kill = useMutation({
    mutationFn: () => api(`/sandboxes/${id}`, { method: 'DELETE' }),
    onSettled: () => qc.invalidateQueries({ queryKey: ['sandbox', id] }),
  });
  const pauseOrResume = useMutation({
    mutationFn: (verb: 'pause' | 'resume') => api(`/sandboxes/${id}/${verb}`, { method: 'POST', body: {} }),
    onSettled: () => qc.invalidateQueries({ queryKey: ['sandbox', id] }),
  });
  const s = sandbox.data?.sandbox;
  // See the agent's pause: a network that allows something cannot come back after a restore.
  const hasEgress = s !== undefined && (s.network.mode === 'open' || s.network.allow.length > 0);
  const onRun = (e: FormEvent) => {
    e.preventDefault();
    if (command.trim()) run.mutate();
  };
  return (
    <>
      <PageHead
        title="Sandbox"
        description={id}
        actions={
          <>
            <Link className="btn" href="/sandboxes">All sandboxes</Link>
            {s?.state === 'running' ? (
              <button
                className="btn"
                disabled={pauseOrResume.isPending || hasEgress}
                title={hasEgress ? 'A sandbox whose rules allow something is not paused: runsc would restore it without its network interface. Allow it nothing to pause it (it then resumes without a network).' : undefined}
                onClick={() => pauseOrResume.mutate('pause')}
              >
                {pauseOrResume.isPending ? 'Pausing…' : 'Pause'}
              </button>
            ) : null}
            {s?.state === 'paused' ? (
              <button className="btn" disabled={pauseOrResume.isPending} onClick={() => pauseOrResume.mutate('resume')}>
                {pauseOrResume.isPending ? 'Resuming…' : 'Resume'}
              </button>
            ) : null}
            {s && (s.state === 'running' || s.state === 'starting' || s.state === 'paused') ? (
              <button className="btn danger" disabled={kill.isPending} onClick={() => window.confirm(`Kill ${id}? Everything in it is lost.`) && kill.mutate()}>
                Kill sandbox
              </button>
            ) : null}
          </>
        }
      />
      {kill.error ? <Alert kind="error">{(kill.error as Error).message}</Alert> : null}
      {pauseOrResume.error ? <Alert kind="error">{(pauseOrResume.error as Error).message}</Alert> : null}
      <div className="card">
        {sandbox.error ? (
          <Alert kind="error">{(sandbox.error as ApiError).message}</Alert>
        ) : !s ? (
          <EmptyState title="Loading sandbox…"> </EmptyState>
        ) : (
          <dl className="details-grid" data-testid="sandbox-detail">
            <dt>State</dt><dd><SandboxState sandbox={s} /></dd>
            <dt>Owner</dt><dd>{s.owner}</dd>
            <dt>Host</dt><dd className="mono"><Link href={`/hosts/${s.hostId}`}>{s.hostId}</Link></dd>
            <dt>Image</dt><dd className="mono">{s.image}</dd>
            <dt>Limits</dt><dd>{s.cpus} CPU, {s.memoryMiB} MiB memory, {s.pids} processes, {s.diskMiB} MiB disk</dd>
            <dt>Created</dt><dd><Time iso={s.createdAt} /></dd>
            <dt>Deadline</dt><dd><Time iso={s.deadlineAt} /></dd>
            <dt>Ended</dt><dd><Time iso={s.endedAt} /></dd>
            <dt>Data at rest</dt><dd className="mono">{s.kekId ? <Link href="/keys">{s.kekId}</Link> : 'default key'}</dd>
            <dt>Network</dt><dd>{s.network.mode}{s.network.allow.length ? ` (${s.network.allow.length} rules)` : ''}</dd>
            <dt>Metadata</dt><dd className="mono">{Object.keys(s.metadata).length ? JSON.stringify(s.metadata) : '—'}</dd>
          </dl>
        )}
      </div>
      {s?.state === 'running' ? <ResourceUse sandbox={s} /> : null}
      {s?.state === 'running' ? (
        <div className="card">
          <h2>Run a command</h2>
          <form className="form" onSubmit={onRun}>
            {run.error ? <Alert kind="error">{(run.error as Error).message}</Alert> : null}
            <Field label="Command (run with sh -c, as the sandbox user)" htmlFor="command">
              <input id="command" className="mono" value={command} onChange={(e) => setCommand(e.target.value)} placeholder="python3 -c 'print(6*7)'" />
            </Field>
            <div className="form-actions">
              <button className="btn primary" type="submit" disabled={run.isPending}>{run.isPending ? 'Running…' : 'Run'}</button>
            </div>
          </form>
        </div>
      ) : null}
      {history.length > 0 ? (
        <div className="card">
          <h2>Output of commands run from this page</h2>
          {history.map((r, i) => (
            <div key={i} style={{ marginBottom: 12 }} data-testid="command-run">
              <div className="mono"><b>$ {r.command}</b> <span className="muted">({r.exit})</span></div>
              <pre className="secret" style={{ margin: '6px 0 0', whiteSpace: 'pre-wrap' }}>{r.output || ' '}</pre>
            </div>
          ))}
        </div>
      ) : null}
      {s ? <NetworkPanel key={JSON.stringify(s.network)} sandbox={s} /> : null}
      <CommandHistory sandboxId={id} running={s?.state === 'running'} />
    </>
  );
}
