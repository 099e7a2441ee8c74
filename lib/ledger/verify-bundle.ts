import { createHash, createPublicKey } from 'node:crypto';
import { z } from 'zod';
import { BUNDLE_FILES, BUNDLE_ORDER, BundleKey, BundleManifest, BundleProofs, manifestNoteBody, tombstoneLine } from './bundle';
import { openNote, parseVerifierKey, splitNotes, verifyCheckpoint, verifierKey } from './checkpoint';
import { LogVerifier, type TrustedKey } from './log-verifier';
import { verifyConsistency } from './merkle';

export type BundleVerdict = {
  ok: boolean;
  /** The first bad event, when one can be named. */
  firstBadSeq: number | null;
  /** Every problem found, the first one first. */
  problems: string[];
  /** Whose keys were trusted: the ones given (pinned) or, failing that, the bundle's own. */
  trust: 'pinned' | 'bundle';
  keys: string[];
  manifest: BundleManifest | null;
  checkpoints: number;
  events: number;
};

const Keys = z.array(BundleKey);

/**
 * Verifies an evidence bundle in one pass, fed file by file in the tar's order (BUNDLE_ORDER) with
 * the events line by line; the caller does the reading and hashing, this does the judging. It
 * needs no network and no database: the keys are pinned by the caller (or taken from the bundle,
 * which the verdict says), the manifest's signature and digests cover every file, every event
 * gives its leaf, the leaves give every signed root, consecutive checkpoints are consistent, and
 * an earlier checkpoint, if given, must be a prefix of this ledger.
 */
export class BundleVerifier {
  private readonly problems: string[] = [];
  private firstBadSeq: number | null = null;
  private trusted: TrustedKey[] = [];
  private manifestText = '';
  private manifestSig = '';
  private manifest: BundleManifest | null = null;
  private leaves: Buffer = Buffer.alloc(0);
  private log: LogVerifier | null = null;
  private notes: string[] = [];
  private nextSeq = 1;
  private events = 0;
  private readonly seen = new Map<string, { sha256: string; bytes: number }>();

  constructor(private readonly options: { pinned?: string[]; earlier?: string } = {}) {
    for (const text of options.pinned ?? []) {
      const key = parseVerifierKey(text);
      if (key) this.trusted.push(key);
      else this.fail(null, `the key "${text}" is not a verifier key (name+id+base64)`);
    }
  }

  private fail(seq: number | null, problem: string): void {
    if (this.problems.length === 0) this.firstBadSeq = seq;
    this.problems.push(problem);
  }

  /** Records the digest of a file as read (every file, including the big ones streamed line by line). */
  digest(name: string, sha256: string, bytes: number): void {
    this.seen.set(name, { sha256, bytes });
  }

  /** Takes one whole file of the bundle (all but the events, which come by `eventLine`). */
  file(name: string, data: Buffer): void {
    switch (name) {
      case BUNDLE_FILES.manifest: {
        this.manifestText = data.toString('utf8');
        const parsed = BundleManifest.safeParse(safeJson(this.manifestText));
        if (parsed.success) this.manifest = parsed.data;
        else this.fail(null, `manifest.json is not a bundle manifest: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`);
        return;
      }
      case BUNDLE_FILES.manifestSignature:
        this.manifestSig = data.toString('utf8');
        return;
      case BUNDLE_FILES.keys: {
        const keys = Keys.safeParse(safeJson(data.toString('utf8')));
        if (!keys.success) return this.fail(null, 'keys.json is not a list of keys');
        if (this.trusted.length === 0 && !this.options.pinned?.length) {
          this.trusted = keys.data.map((k) => ({ name: k.name, publicKey: createPublicKey(k.publicKeyPem) }));
        }
        return this.checkManifestSignature();
      }
      case BUNDLE_FILES.checkpoints:
        this.notes = splitNotes(data.toString('utf8'));
        this.log = new LogVerifier(this.notes, this.trusted, this.options.earlier);
        if (this.log.found) this.fail(this.log.found.seq, this.log.found.reason);
        return;
      case BUNDLE_FILES.proofs:
        return this.checkProofs(data);
      case BUNDLE_FILES.leaves:
        this.leaves = data;
        if (data.length % 32 !== 0) this.fail(null, 'leaves.bin is not a whole number of 32-byte hashes');
        return;
      default:
        return;
    }
  }

  private checkManifestSignature(): void {
    const digest = createHash('sha256').update(this.manifestText).digest('hex');
    const body = openNote(this.manifestSig, this.trusted);
    if (body !== manifestNoteBody(digest)) this.fail(null, 'manifest.json is not signed by a trusted ledger key (altered, or signed by another key)');
  }

  private checkProofs(data: Buffer): void {
    const proofs = BundleProofs.safeParse(safeJson(data.toString('utf8')));
    if (!proofs.success) return this.fail(null, 'proofs.json is not a list of consistency proofs');
    const roots = new Map<number, Buffer>();
    for (const note of this.notes) {
      const c = verifyCheckpoint(note, this.trusted);
      if (c) roots.set(c.size, c.root);
    }
    for (const p of proofs.data.consistency) {
      const a = roots.get(p.from);
      const b = roots.get(p.to);
      if (!a || !b || !verifyConsistency(p.from, p.to, a, b, p.proof.map((h) => Buffer.from(h, 'hex')))) {
        this.fail(null, `the checkpoints at ${p.from} and ${p.to} are not consistent (the log did not only grow between them)`);
        return;
      }
    }
  }

  private leafAt(seq: number): Buffer | null {
    const off = (seq - 1) * 32;
    return off + 32 <= this.leaves.length ? this.leaves.subarray(off, off + 32) : null;
  }

  /** Feeds leaf-only positions up to `seq` (exclusive). */
  private leavesUpTo(seq: number): void {
    const log = this.log;
    if (!log) return;
    while (this.nextSeq < seq && !log.failed) {
      const leaf = this.leafAt(this.nextSeq);
      if (!leaf) return;
      log.add({ seq: this.nextSeq, leaf });
      this.nextSeq += 1;
    }
  }

  /** A file that could not be read (a corrupt gzip member). */
  unreadable(name: string): void {
    this.fail(null, `${name} cannot be decompressed (corrupt)`);
  }

  /** One line of events.jsonl.gz: an event's canonical JSON, as hashed. */
  eventLine(line: Buffer): void {
    const log = this.log;
    const m = this.manifest;
    if (!log || !m || log.failed) return;
    this.leavesUpTo(m.range.fromSeq);
    const claimed = parseSeq(line);
    const leaf = this.leafAt(this.nextSeq);
    const tombstone = claimed ? null : parseTombstone(line);
    if (tombstone) {
      // Removed under retention: the leaf stands for it; its chain hash links the next event.
      log.add({ seq: tombstone.seq, leaf: leaf ?? Buffer.alloc(32), hash: tombstone.hash });
    } else if (!claimed) {
      log.add({ seq: this.nextSeq, leaf: leaf ?? Buffer.alloc(32), event: { content: line } });
    } else {
      // Every event's leaf is in leaves.bin and every leaf under a signed root: the chain hashes add nothing here.
      log.add({ seq: claimed.seq, leaf: leaf ?? Buffer.alloc(32), event: { content: line } });
    }
    this.nextSeq += 1;
    this.events += 1;
  }

  /** The verdict, once every file was given. */
  finish(): BundleVerdict {
    const m = this.manifest;
    const log = this.log;
    if (!m) this.fail(null, 'the bundle has no readable manifest.json');
    if (!log) this.fail(null, 'the bundle has no checkpoints.txt');
    if (m && log && !log.failed) {
      if (this.nextSeq <= m.range.toSeq && this.nextSeq >= m.range.fromSeq) {
        this.fail(this.nextSeq, `events ${this.nextSeq}..${m.range.toSeq} are missing: events.jsonl is cut off after event ${this.nextSeq - 1}`);
      } else {
        this.leavesUpTo(m.treeSize + 1);
      }
    }
    if (log && this.problems.length === 0) {
      const v = log.finish();
      if (!v.ok) this.fail(v.firstBadSeq, v.reason);
      else if (m && (v.size !== m.treeSize || v.root.toString('hex') !== m.root)) this.fail(null, `the leaves give a ledger of ${v.size} events, the manifest says ${m.treeSize}`);
    }
    if (m) {
      for (const name of BUNDLE_ORDER.slice(2)) {
        const want = m.files[name];
        const got = this.seen.get(name);
        if (!want || !got) this.fail(null, `${name} is ${want ? 'missing from the bundle' : 'not in the manifest'}`);
        else if (want.sha256 !== got.sha256 || want.bytes !== got.bytes) this.fail(null, `${name} does not match the manifest's digest (altered)`);
      }
    }
    return {
      ok: this.problems.length === 0,
      firstBadSeq: this.firstBadSeq,
      problems: this.problems,
      trust: this.options.pinned?.length ? 'pinned' : 'bundle',
      keys: this.trusted.map((k) => verifierKey(k.name, k.publicKey)),
      manifest: m,
      checkpoints: this.notes.length,
      events: this.events,
    };
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A tombstone line's event number and chain hash, if it is exactly one. */
function parseTombstone(line: Buffer): { seq: number; hash: string } | null {
  const v = safeJson(line.toString('utf8')) as { seq?: unknown; hash?: unknown; tombstone?: unknown } | undefined;
  if (!v || v.tombstone !== true || typeof v.seq !== 'number' || typeof v.hash !== 'string') return null;
  return tombstoneLine(v.seq, v.hash) === line.toString('utf8') ? { seq: v.seq, hash: v.hash } : null;
}

const SEQ = Buffer.from('"seq":');
const PREV = Buffer.from('"prevHash":"');

/**
 * The event number an event's canonical line claims (null when it is not an event). In canonical
 * JSON the top-level `"seq":` is the last of its kind on the line (nothing after it can hold that
 * key, and inside a string a quote is always escaped), so it is found without parsing the whole
 * line; anything else falls back to JSON.parse.
 */
function parseSeq(line: Buffer): { seq: number } | null {
  const s = line.lastIndexOf(SEQ);
  if (s > 0 && line.lastIndexOf(PREV) > 0) {
    let seq = 0;
    let i = s + SEQ.length;
    for (; i < line.length && (line[i] as number) >= 0x30 && (line[i] as number) <= 0x39; i++) seq = seq * 10 + ((line[i] as number) - 0x30);
    if (i > s + SEQ.length && line[i] === 0x2c) return { seq };
  }
  const v = safeJson(line.toString('utf8')) as { seq?: unknown; prevHash?: unknown } | undefined;
  return v && typeof v.seq === 'number' && typeof v.prevHash === 'string' ? { seq: v.seq } : null;
}
