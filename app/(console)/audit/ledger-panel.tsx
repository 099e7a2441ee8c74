'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { LedgerSelfCheck, LedgerStatus } from '@/lib/api/audit';
import { api } from '../../_client/api';
import { Alert, Time } from '../../_ui/common';

/** The ledger at a glance: size, latest signed checkpoint, the keys to pin, and "verify now". */
export function LedgerPanel() {
  const qc = useQueryClient();
  const status = useQuery({ queryKey: ['ledger-status'], queryFn: () => api<LedgerStatus>('/audit/ledger', { background: true }), refetchInterval: 30_000 });
  const verify = useMutation({
    mutationFn: () => api<LedgerSelfCheck>('/audit/verify', { method: 'POST', body: {} }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['ledger-status'] }),
  });
  const s = status.data;
  const result = verify.data;
  return (
    <div className="card" data-testid="ledger-panel">
      <div className="toolbar" style={{ justifyContent: 'space-between' }}>
        <h2 style={{ margin: 0 }}>Ledger</h2>
        <button className="btn" onClick={() => verify.mutate()} disabled={verify.isPending}>
          {verify.isPending ? 'Verifying…' : 'Verify now'}
        </button>
      </div>
      {result ? (
        result.ok ? (
          <Alert kind="ok">
            Verified: all {result.size} events recomputed and checked against every signed checkpoint (root <span className="mono">{result.root?.slice(0, 16)}…</span>) in {result.durationMs} ms.
          </Alert>
        ) : (
          <Alert kind="error">
            Verification failed{result.firstBadSeq !== null ? ` at event #${result.firstBadSeq}` : ''}: {result.reason}
          </Alert>
        )
      ) : null}
      {verify.error ? <Alert kind="error">{verify.error.message}</Alert> : null}
      {s ? (
        <dl className="details-grid">
          <dt>Events</dt>
          <dd>{s.size.toLocaleString()}</dd>
          <dt>Latest checkpoint</dt>
          <dd data-testid="latest-checkpoint">
            {s.latestCheckpoint ? (
              <>
                {s.latestCheckpoint.size.toLocaleString()} events, root <span className="mono">{s.latestCheckpoint.root.slice(0, 16)}…</span>, key v{s.latestCheckpoint.keyVersion}, <Time iso={s.latestCheckpoint.createdAt} />
              </>
            ) : (
              'none yet'
            )}
          </dd>
          <dt>Last self-check</dt>
          <dd>{s.lastCheck ? <>{s.lastCheck.ok ? 'passed' : 'FAILED'} ({s.lastCheck.trigger}), <Time iso={s.lastCheck.checkedAt} /></> : 'running…'}</dd>
          <dt>Verifier keys</dt>
          <dd>
            {s.keys.map((k) => (
              <div key={k.version} className="mono" style={{ wordBreak: 'break-all' }}>
                v{k.version}{k.retiredAt ? ' (retired)' : ''}: {k.verifierKey}
              </div>
            ))}
            <small className="muted">Pin these when you check a bundle: sbx audit verify FILE --key KEY</small>
          </dd>
        </dl>
      ) : null}
    </div>
  );
}
