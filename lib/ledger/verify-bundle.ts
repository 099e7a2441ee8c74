import { createHash, createPublicKey } from 'node:crypto';
import { z } from 'zod';
import { BUNDLE_FILES, BUNDLE_ORDER, BundleKey, BundleManifest, BundleProofs, manifestNoteBody } from './bundle';
import { openNote, parseVerifierKey, splitNotes, verifyCheckpoint, verifierKey } from './checkpoint';
import type { EventsChecked } from './check-events';
import { LogVerifier, verifyTree, type Problem, type TreeInput, type TrustedKey, type Verdict } from './log-verifier';
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
  private events = 0;
  private eventProblem: Problem | null = null;
  private tree: Verdict | null = null;
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

  /** Takes one whole file of the bundle (all but the events, which come in runs of lines: `eventRun` or `eventsChecked`). */
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

  /** A file that could not be read (a corrupt gzip member). */
  unreadable(name: string): void {
    this.fail(null, `${name} cannot be decompressed (corrupt)`);
  }

  /** The position of the first event line (0 while there is no manifest or checkpoint to hold events to). */
  get firstEvent(): number {
    return this.manifest && this.log && !this.log.failed ? this.manifest.range.fromSeq : 0;
  }

  /** How many events the manifest says the bundle holds (null without a manifest). */
  get manifestEvents(): number | null {
    return this.manifest?.range.events ?? null;
  }

  /** The leaves (leaves.bin) that event lines are held to. */
  get leafBytes(): Buffer {
    return this.leaves;
  }

  /** Takes the result of checking the next run of event lines, checked here or elsewhere (runs in order). */
  eventsChecked(result: EventsChecked): void {
    this.events += result.lines;
    this.eventProblem ??= result.problem;
  }

  /** What checking the tree needs: every leaf up to the manifest's size, the checkpoints and keys. */
  treeInput(): TreeInput | null {
    const m = this.manifest;
    if (!m || !this.log || this.log.failed) return null;
    return { leaves: this.leaves, size: m.treeSize, notes: this.notes, trusted: this.trusted, earlier: this.options.earlier };
  }

  /** Takes the verdict of checking the tree (from `verifyTree(treeInput())`, here or elsewhere). */
  treeChecked(verdict: Verdict): void {
    this.tree = verdict;
  }

  /** The verdict, once every file was given. */
  finish(): BundleVerdict {
    const m = this.manifest;
    const log = this.log;
    if (!m) this.fail(null, 'the bundle has no readable manifest.json');
    if (!log) this.fail(null, 'the bundle has no checkpoints.txt');
    const input = this.treeInput();
    if (m && input) {
      const tree = this.tree ?? verifyTree(input);
      const bad = this.eventProblem;
      const end = m.range.fromSeq + this.events;
      // Reported as a single pass over the log would meet them: an event before the tree goes wrong first.
      if (bad && bad.seq !== null && (tree.ok || bad.seq <= tree.at)) this.fail(bad.seq, bad.reason);
      else if (!tree.ok) this.fail(tree.firstBadSeq, tree.reason);
      else if (end <= m.range.toSeq) this.fail(end, `events ${end}..${m.range.toSeq} are missing: events.jsonl is cut off after event ${end - 1}`);
      else if (tree.size !== m.treeSize || tree.root.toString('hex') !== m.root) this.fail(null, `the leaves give a ledger of ${tree.size} events, the manifest says ${m.treeSize}`);
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
