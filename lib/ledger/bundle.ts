import { z } from 'zod';

/**
 * The evidence bundle: a tar whose files a verifier checks with no network and no database.
 * `events.jsonl.gz` holds each event's canonical JSON exactly as hashed (its leaf is
 * SHA-256(0x00 ‖ the line)); `leaves.bin` the 32-byte leaf of every event of the tree, so an export
 * of a time range still recomputes every signed root; `checkpoints.txt` the signed checkpoints up
 * to the tree size; `proofs.json` the consistency proof between each pair of consecutive ones;
 * `keys.json` every signing key version; the OCSF and CSV views are gzipped too. `manifest.json`
 * lists every file's SHA-256 as stored (a .gz file's digest is of its compressed bytes, so checking
 * a view needs no decompression) and `manifest.sig` signs the manifest's digest with the ledger key.
 */
export const BUNDLE_FORMAT = 'sbx-audit-bundle/1';

export const BUNDLE_FILES = {
  manifest: 'manifest.json',
  manifestSignature: 'manifest.sig',
  events: 'events.jsonl.gz',
  leaves: 'leaves.bin',
  checkpoints: 'checkpoints.txt',
  proofs: 'proofs.json',
  keys: 'keys.json',
  ocsf: 'events.ocsf.jsonl.gz',
  csv: 'events.csv.gz',
  report: 'report.html',
} as const;

/** The order of the files in the tar: what a one-pass verifier needs before the events comes first. */
export const BUNDLE_ORDER = [
  BUNDLE_FILES.manifest,
  BUNDLE_FILES.manifestSignature,
  BUNDLE_FILES.keys,
  BUNDLE_FILES.checkpoints,
  BUNDLE_FILES.proofs,
  BUNDLE_FILES.leaves,
  BUNDLE_FILES.events,
  BUNDLE_FILES.ocsf,
  BUNDLE_FILES.csv,
  BUNDLE_FILES.report,
] as const;

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'expected a SHA-256 in hex');

export const BundleManifest = z.object({
  format: z.literal(BUNDLE_FORMAT),
  origin: z.string(),
  createdAt: z.string(),
  exportId: z.string(),
  /** What was asked for (times, ISO 8601) and the events that gives. */
  range: z.object({ from: z.string().nullable(), to: z.string().nullable(), fromSeq: z.number().int(), toSeq: z.number().int(), events: z.number().int() }),
  /** The size of the tree whose leaves are in leaves.bin: the latest checkpoint's. */
  treeSize: z.number().int(),
  root: z.string(),
  ocsfVersion: z.string(),
  files: z.record(z.string(), z.object({ sha256: hex64, bytes: z.number().int() })),
});
export type BundleManifest = z.infer<typeof BundleManifest>;

export const BundleKey = z.object({ version: z.number().int(), name: z.string(), verifierKey: z.string(), publicKeyPem: z.string(), retiredAt: z.string().nullable() });
export type BundleKey = z.infer<typeof BundleKey>;

/** Consistency proofs between consecutive checkpoints (hex hashes). */
export const BundleProofs = z.object({
  consistency: z.array(z.object({ from: z.number().int(), to: z.number().int(), proof: z.array(hex64) })),
});
export type BundleProofs = z.infer<typeof BundleProofs>;

/** The body of manifest.sig: the format line and the manifest's SHA-256. */
export function manifestNoteBody(manifestSha256: string): string {
  return `${BUNDLE_FORMAT}\n${manifestSha256}\n`;
}

/** The events.jsonl line of an event removed under retention: `{"hash":…,"seq":…,"tombstone":true}` (canonical). */
export function tombstoneLine(seq: number, hash: string): string {
  return `{"hash":${JSON.stringify(hash)},"seq":${seq},"tombstone":true}`;
}
