'use client';

import { useQuery } from '@tanstack/react-query';
import type { SandboxUsage } from '@/lib/wire/protocol';
import type { SandboxView } from '@/lib/api/sandboxes';
import { api } from '../../../_client/api';

const mib = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MiB`;

/** Live resource use of a running sandbox against its limits. */
export function ResourceUse({ sandbox }: { sandbox: SandboxView }) {
  const usage = useQuery({
    queryKey: ['sandbox-usage', sandbox.id],
    queryFn: () => api<{ usage: SandboxUsage }>(`/sandboxes/${sandbox.id}/usage`, { background: true }),
    refetchInterval: 3000,
  });
  const u = usage.data?.usage;
  return (
    <div className="card">
      <h2>Resource use</h2>
      {!u ? (
        <p className="muted">{usage.error ? (usage.error as Error).message : 'Reading the sandbox’s cgroup…'}</p>
      ) : (
        <dl className="details-grid" data-testid="sandbox-usage">
          <dt>Memory</dt><dd>{mib(u.memoryBytes)} of {sandbox.memoryMiB} MiB ({Math.round((u.memoryBytes / (sandbox.memoryMiB * 1048576)) * 100)} %), peak {mib(u.memoryPeakBytes)}</dd>
          <dt>CPU time</dt><dd>{u.cpuSeconds.toFixed(2)} s (limit {sandbox.cpus} CPU)</dd>
          <dt>Processes</dt><dd>{u.pids} of {sandbox.pids}</dd>
        </dl>
      )}
    </div>
  );
}
