'use client';

import { useQuery } from '@tanstack/react-query';
import type { InclusionProofView } from '@/lib/api/audit';
import { api } from '../../_client/api';

/** An event's inclusion proof in the latest signed checkpoint, fetched when its detail opens. */
export function EventProof({ seq }: { seq: number }) {
  const proof = useQuery({ queryKey: ['proof', seq], queryFn: () => api<InclusionProofView>(`/audit/events/${seq}/proof`), retry: false });
  if (proof.isPending) return <span className="muted">computing…</span>;
  if (proof.error) return <span className="muted">{proof.error.message}</span>;
  const p = proof.data;
  return (
    <span data-testid="inclusion-proof">
      {p.verified ? 'Included' : 'NOT included'} in the signed checkpoint of {p.treeSize.toLocaleString()} events (root <span className="mono">{p.root.slice(0, 16)}…</span>), leaf{' '}
      <span className="mono">{p.leaf.slice(0, 16)}…</span>, {p.proof.length} hashes:
      <span className="mono" style={{ display: 'block', wordBreak: 'break-all' }}>{p.proof.join(' ')}</span>
    </span>
  );
}
