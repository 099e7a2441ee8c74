import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import tar from 'tar-stream';
import type { Settings } from '../../lib/api/settings';
import type { AuditRecord } from '../../lib/audit/events';
import { hashedContent } from '../../lib/audit/chain';
import { CSV_HEADER, csvLine } from '../../lib/audit/csv';
import { OCSF_VERSION, toOcsf } from '../../lib/audit/ocsf';
import { BUNDLE_FILES, BUNDLE_FORMAT, BUNDLE_ORDER, tombstoneLine, manifestNoteBody, type BundleKey, type BundleManifest, type BundleProofs } from '../../lib/ledger/bundle';
import { signNote } from '../../lib/ledger/checkpoint';
import { consistencyRanges, FlatTree } from '../../lib/ledger/merkle';
import type { Config } from '../config';
import type { Db } from '../db/client';
import { evidenceReport, ReportStats } from './evidence-report';
import type { Ledger } from './ledger';
import { MemberWriter } from './member-writer';
import { rowRecord } from './record-of-row';

const BATCH = 5000;

export type BundleRequest = { exportId: string; from: string | null; to: string | null };
export type BundleProgress = { done: number; total: number; events: number };

/** The first and last event numbers of a time range (null when no event falls in it). */
async function seqRange(db: Db, req: BundleRequest, treeSize: number): Promise<{ fromSeq: number; toSeq: number } | null> {
  const at = { ...(req.from ? { gte: new Date(req.from).toISOString() } : {}), ...(req.to ? { lte: new Date(req.to).toISOString() } : {}) };
  const where = { seq: { lte: treeSize }, ...(req.from || req.to ? { at } : {}) };
  const first = await db.auditEvent.findFirst({ where, orderBy: { seq: 'asc' }, select: { seq: true } });
  const last = await db.auditEvent.findFirst({ where, orderBy: { seq: 'desc' }, select: { seq: true } });
  return first && last ? { fromSeq: first.seq, toSeq: last.seq } : null;
}

const sha256File = async (file: string) => {
  const h = createHash('sha256');
  await pipeline(fs.createReadStream(file), h);
  return h.digest('hex');
};

/**
 * Writes an evidence bundle (see lib/ledger/bundle.ts) to `out`: signs a checkpoint of everything
 * so far, streams the events of the range as canonical JSON, OCSF and CSV and every leaf of the
 * tree, adds the checkpoints, their consistency proofs, the keys, the report and the signed
 * manifest, and packs them as a tar. Memory stays flat but for the leaves' 32 bytes each.
 */
export async function writeBundle(
  deps: { db: Db; ledger: Ledger; config: Config; settings: Settings },
  req: BundleRequest,
  out: string,
  progress: (p: BundleProgress) => void,
): Promise<{ manifest: BundleManifest; bytes: number; sha256: string }> {
  const latest = await deps.ledger.checkpoint();
  if (!latest) throw new Error('the ledger is empty');
  const treeSize = latest.size;
  const range = await seqRange(deps.db, req, treeSize);
  const fromSeq = range?.fromSeq ?? 1;
  const toSeq = range?.toSeq ?? 0;
  const dir = `${out}.parts`;
  fs.mkdirSync(dir, { recursive: true });
  try {
    const file = (name: string) => path.join(dir, name);
    // The views are written plain first, then gzipped into the bundle's files.
    const plain = (name: string) => file(name.replace(/\.gz$/, ''));
    const fds = {
      events: fs.openSync(plain(BUNDLE_FILES.events), 'w'),
      ocsf: fs.openSync(plain(BUNDLE_FILES.ocsf), 'w'),
      csv: fs.openSync(plain(BUNDLE_FILES.csv), 'w'),
      leaves: fs.openSync(file(BUNDLE_FILES.leaves), 'w'),
    };
    const members = new MemberWriter(fds.events);
    fs.writeSync(fds.csv, `${CSV_HEADER.join(',')}\r\n`);
    const stats = new ReportStats();
    let events = 0;
    try {
      for (let after = 0; after < treeSize; ) {
        const upTo = Math.min(after + BATCH, treeSize);
        const inRange = { gte: Math.max(after + 1, fromSeq), lte: Math.min(upTo, toSeq) };
        const rows = inRange.gte <= inRange.lte ? await deps.db.auditEvent.findMany({ where: { seq: inRange }, orderBy: { seq: 'asc' } }) : [];
        const leaves = await deps.db.auditEvent.findMany({ where: { seq: { gt: after, lte: upTo } }, orderBy: { seq: 'asc' }, select: { leaf: true } });
        if (leaves.length !== upTo - after) throw new Error(`the ledger is missing events between ${after + 1} and ${upTo}`);
        fs.writeSync(fds.leaves, Buffer.concat(leaves.map((l) => Buffer.from(l.leaf, 'hex'))));
        let jsonl = '';
        let ocsf = '';
        let csv = '';
        for (const row of rows) {
          if (row.tombstone) {
            // Removed under retention: its place, chain hash and leaf (leaves.bin) only.
            jsonl += `${tombstoneLine(row.seq, row.hash)}\n`;
            continue;
          }
          let r: AuditRecord;
          try {
            r = rowRecord(row);
          } catch {
            // Not an event any more (altered): a line that cannot give its leaf, so the verifier names it.
            jsonl += `{"seq":${row.seq},"unreadable":true}\n`;
            continue;
          }
          jsonl += `${hashedContent(r.seq, r.prevHash, r)}\n`;
          try {
            ocsf += `${JSON.stringify(toOcsf(r))}\n`;
            csv += csvLine(r);
            stats.add(r);
          } catch {
            // An action no schema knows (altered): it stays in events.jsonl, where verification fails on it.
          }
        }
        members.add(jsonl, rows.length);
        fs.writeSync(fds.ocsf, ocsf);
        fs.writeSync(fds.csv, csv);
        events += rows.length;
        after = upTo;
        progress({ done: after, total: treeSize, events });
      }
    } finally {
      for (const fd of Object.values(fds)) fs.closeSync(fd);
    }

    // The three run at once: gzip works on the thread pool, so they share the cores.
    await Promise.all([
      members.compress(plain(BUNDLE_FILES.events), file(BUNDLE_FILES.events)).then(() => fs.rmSync(plain(BUNDLE_FILES.events))),
      ...[BUNDLE_FILES.ocsf, BUNDLE_FILES.csv].map(async (name) => {
        await pipeline(fs.createReadStream(plain(name)), zlib.createGzip({ level: 6 }), fs.createWriteStream(file(name)));
        fs.rmSync(plain(name));
      }),
    ]);
    const checkpoints = await deps.db.ledgerCheckpoint.findMany({ where: { size: { lte: treeSize } }, orderBy: { size: 'asc' }, select: { size: true, note: true } });
    fs.writeFileSync(file(BUNDLE_FILES.checkpoints), checkpoints.map((c) => c.note).join('\n'));
    const flat = new FlatTree(fs.readFileSync(file(BUNDLE_FILES.leaves)));
    const proofs: BundleProofs = { consistency: [] };
    for (let i = 1; i < checkpoints.length; i++) {
      const a = (checkpoints[i - 1] as { size: number }).size;
      const b = (checkpoints[i] as { size: number }).size;
      proofs.consistency.push({ from: a, to: b, proof: consistencyRanges(a, b).map(([x, y]) => flat.hash(x, y).toString('hex')) });
    }
    fs.writeFileSync(file(BUNDLE_FILES.proofs), JSON.stringify(proofs));
    const keys = deps.ledger.signingKeys();
    const bundleKeys: BundleKey[] = keys.all.map((k) => ({
      version: k.version,
      name: k.name,
      verifierKey: k.verifierKey,
      publicKeyPem: k.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
      retiredAt: k.retiredAt?.toISOString() ?? null,
    }));
    fs.writeFileSync(file(BUNDLE_FILES.keys), `${JSON.stringify(bundleKeys, null, 2)}\n`);

    const head: Omit<BundleManifest, 'files'> = {
      format: BUNDLE_FORMAT,
      origin: deps.ledger.name,
      createdAt: new Date().toISOString(),
      exportId: req.exportId,
      range: { from: req.from, to: req.to, fromSeq, toSeq, events },
      treeSize,
      root: flat.hash(0, treeSize).toString('hex'),
      ocsfVersion: OCSF_VERSION,
    };
    const facts = {
      settings: deps.settings,
      sessionIdleMinutes: Math.round(deps.config.session.idleSeconds / 60),
      lockoutThreshold: deps.config.lockout.threshold,
      lockoutMinutes: deps.config.lockout.minutes,
      agentCertHours: Math.round(deps.config.agentGateway.agentCertTtlSeconds / 3600),
      checkpoints: checkpoints.length,
      keyVersions: keys.all.length,
    };
    fs.writeFileSync(file(BUNDLE_FILES.report), evidenceReport(head, stats, facts, keys.all.map((k) => k.verifierKey)));

    // The order a streaming verifier needs: keys, checkpoints and leaves before the events.
    const contents = BUNDLE_ORDER.slice(2);
    const files: BundleManifest['files'] = {};
    for (const name of contents) files[name] = { sha256: await sha256File(file(name)), bytes: fs.statSync(file(name)).size };
    const manifest: BundleManifest = { ...head, files };
    const manifestText = `${JSON.stringify(manifest, null, 2)}\n`;
    fs.writeFileSync(file(BUNDLE_FILES.manifest), manifestText);
    const digest = createHash('sha256').update(manifestText).digest('hex');
    fs.writeFileSync(file(BUNDLE_FILES.manifestSignature), signNote(manifestNoteBody(digest), keys.name, keys.current.privateKey));

    await packTar(dir, BUNDLE_ORDER, out);
    return { manifest, bytes: fs.statSync(out).size, sha256: await sha256File(out) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Packs files of `dir`, in this order, into a tar (its big files are gzipped already). */
async function packTar(dir: string, names: readonly string[], out: string): Promise<void> {
  const pack = tar.pack();
  const written = pipeline(pack, fs.createWriteStream(out, { mode: 0o600 }));
  for (const name of names) {
    const full = path.join(dir, name);
    const entry = pack.entry({ name, size: fs.statSync(full).size, mode: 0o644, mtime: new Date() });
    await pipeline(fs.createReadStream(full), entry);
  }
  pack.finalize();
  await written;
}
