'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import type { LedgerStatus } from '@/lib/api/audit';
import { api } from '../_client/api';

/**
 * The console-wide alarm of the audit ledger: shown on every page while the last integrity
 * self-check failed, until a later one passes.
 */
export function LedgerAlert() {
  const status = useQuery({
    queryKey: ['ledger-status'],
    queryFn: () => api<LedgerStatus>('/audit/ledger', { background: true }),
    refetchInterval: 30_000,
  });
  const check = status.data?.lastCheck;
  if (!check || check.ok) return null;
  return (
    <div className="alert error ledger-alert" role="alert" data-testid="ledger-alert">
      <b>Audit ledger integrity check failed</b>
      {check.firstBadSeq !== null ? ` at event #${check.firstBadSeq}` : ''}: {check.reason} (checked {new Date(check.checkedAt).toLocaleString()}).{' '}
      <Link href="/audit">Open the audit page</Link> and export the evidence before anything else changes.
    </div>
  );
}
