import type { LedgerStatus } from '../../lib/api/audit';
import type { Ledger } from './ledger';

/** The ledger now: size, root, latest checkpoint, every key version and the last self-check. */
export function ledgerStatus(ledger: Ledger): LedgerStatus {
  const latest = ledger.latest();
  return {
    origin: ledger.name,
    size: ledger.size,
    root: ledger.root(),
    latestCheckpoint: latest ? { ...latest, createdAt: latest.createdAt.toISOString() } : null,
    keys: ledger.signingKeys().all.map((k) => ({ version: k.version, verifierKey: k.verifierKey, retiredAt: k.retiredAt?.toISOString() ?? null })),
    lastCheck: ledger.lastCheck,
  };
}
