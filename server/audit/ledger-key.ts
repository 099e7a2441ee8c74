import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { verifierKey } from '../../lib/ledger/checkpoint';
import type { Db, Tx } from '../db/client';
import { seal, unseal } from '../keys/seal';

const PURPOSE = 'ledger signing key';

/** The key that signs new checkpoints, and every version's public part (old checkpoints stay verifiable). */
export type LedgerKeys = {
  name: string;
  current: { version: number; privateKey: KeyObject };
  all: { version: number; name: string; publicKey: KeyObject; verifierKey: string; retiredAt: Date | null }[];
};

/** The signed-note key name of this appliance's ledger: also the checkpoints' origin line. */
export function ledgerOrigin(caFingerprint: string): string {
  return `sbx-appliance/${caFingerprint.slice(0, 16)}/audit`;
}

async function addVersion(db: Db | Tx, name: string, rootKey: Buffer): Promise<{ version: number; verifierKey: string }> {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const last = await db.ledgerKey.findFirst({ orderBy: { version: 'desc' }, select: { version: true } });
  const version = (last?.version ?? 0) + 1;
  await db.ledgerKey.create({
    data: {
      version,
      name,
      publicKey: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
      sealedPrivateKey: seal(rootKey, PURPOSE, Buffer.from(privateKey.export({ format: 'pem', type: 'pkcs8' }).toString())),
    },
  });
  return { version, verifierKey: verifierKey(name, publicKey) };
}

/**
 * Loads the ledger's signing keys, making version 1 on first start. The private part is unsealed
 * with the root key; a root key that does not open it stops start-up (a silent new key would make
 * the old checkpoints look forged).
 */
export async function loadLedgerKeys(db: Db, rootKey: Buffer, name: string): Promise<LedgerKeys> {
  if ((await db.ledgerKey.count()) === 0) await addVersion(db, name, rootKey);
  const rows = await db.ledgerKey.findMany({ orderBy: { version: 'asc' } });
  const newest = rows.at(-1);
  if (!newest) throw new Error('no ledger signing key');
  const privateKey = createPrivateKey(unseal(rootKey, PURPOSE, newest.sealedPrivateKey).toString());
  return {
    name: newest.name,
    current: { version: newest.version, privateKey },
    all: rows.map((r) => {
      const publicKey = createPublicKey(r.publicKey);
      return { version: r.version, name: r.name, publicKey, verifierKey: verifierKey(r.name, publicKey), retiredAt: r.retiredAt };
    }),
  };
}

/** Adds a new signing key version inside the caller's (audited) transaction and retires the others. */
export async function rotateLedgerKey(tx: Tx, rootKey: Buffer, name: string): Promise<{ version: number; verifierKey: string }> {
  await tx.ledgerKey.updateMany({ where: { retiredAt: null }, data: { retiredAt: new Date() } });
  return addVersion(tx, name, rootKey);
}
