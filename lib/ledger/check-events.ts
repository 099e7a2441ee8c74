import { hash } from 'node:crypto';
import { tombstoneLine } from './bundle';
import type { Problem } from './log-verifier';

/** What a run of event lines showed: how many lines it had and the first problem among them. */
export type EventsChecked = { lines: number; problem: Problem | null };

const NL = 10;
const SEQ = Buffer.from('"seq":');
const PREV = Buffer.from('"prevHash":"');

/**
 * Checks a run of events.jsonl lines whose first is at position `first` of the ledger: each line
 * must be the event of its position (or that event's tombstone) and an event's canonical JSON must
 * give that position's leaf in `leaves` (leaves.bin, 32 bytes a leaf). A run depends on nothing but
 * its lines, its first position and the leaves, so runs can be checked in parallel.
 *
 * `chunk` holds whole lines separated by `\n` and is overwritten: the newline before each line
 * becomes the leaf prefix 0x00, so a leaf is hashed without copying its event.
 */
export function checkEvents(chunk: Uint8Array, first: number, leaves: Uint8Array): EventsChecked {
  const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  let pos = first;
  let lines = 0;
  for (let start = 0; start < buf.length; pos++, lines++) {
    const nl = buf.indexOf(NL, start);
    const end = nl < 0 ? buf.length : nl;
    const problem = checkLine(buf, start, end, pos, leaves);
    if (problem) return { lines: lines + 1 + countLines(buf.subarray(end + 1)), problem };
    start = end + 1;
  }
  return { lines, problem: null };
}

/** The number of lines in a run as `checkEvents` counts them (a final newline ends a line, it does not start one). */
export function countLines(chunk: Uint8Array): number {
  const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  let n = 0;
  let at = 0;
  for (let nl = buf.indexOf(NL); nl >= 0; nl = buf.indexOf(NL, at)) {
    n += 1;
    at = nl + 1;
  }
  return at < buf.length ? n + 1 : n;
}

function checkLine(buf: Buffer, start: number, end: number, pos: number, leaves: Uint8Array): Problem | null {
  const off = (pos - 1) * 32;
  let got: Buffer;
  if (start > 0) {
    buf[start - 1] = 0;
    got = hash('sha256', buf.subarray(start - 1, end), 'buffer');
  } else {
    got = hash('sha256', Buffer.concat([Buffer.of(0), buf.subarray(start, end)]), 'buffer');
  }
  // The usual case, kept cheap: the line gives its position's leaf and names that position.
  if (off + 32 <= leaves.length && sameLeaf(got, leaves, off) && lastSeq(buf, start, end) === pos) return null;
  return whyNot(buf.subarray(start, end), pos, off + 32 <= leaves.length);
}

/** Why a line is not the event of its position, as the reader wants it told. */
function whyNot(line: Buffer, pos: number, hasLeaf: boolean): Problem | null {
  const seq = parseSeq(line);
  const tombstone = seq === null ? parseTombstone(line) : null;
  const claimed = seq ?? tombstone?.seq;
  if (claimed !== undefined && claimed !== pos) {
    return { seq: pos, reason: `event ${pos}: missing here, found event ${claimed} instead (deleted, swapped or out of order)` };
  }
  // A tombstone's leaf stands for the removed event: there is no content left to hold to it.
  if (tombstone && hasLeaf) return null;
  if (!hasLeaf) return { seq: pos, reason: `event ${pos}: beyond the leaves of the bundle` };
  return { seq: pos, reason: `event ${pos}: altered (its content does not give its leaf hash)` };
}

function sameLeaf(got: Buffer, leaves: Uint8Array, off: number): boolean {
  for (let i = 0; i < 32; i++) if (got[i] !== leaves[off + i]) return false;
  return true;
}

/** The number after the line's last `"seq":` (canonical JSON puts the top-level one last), or -1. */
function lastSeq(buf: Buffer, start: number, end: number): number {
  for (let i = end - 7; i >= start; i--) {
    if (buf[i] !== 0x22 || buf[i + 1] !== 0x73 || buf[i + 2] !== 0x65 || buf[i + 3] !== 0x71 || buf[i + 4] !== 0x22 || buf[i + 5] !== 0x3a) continue;
    let seq = 0;
    let j = i + 6;
    for (; j < end && (buf[j] as number) >= 0x30 && (buf[j] as number) <= 0x39; j++) seq = seq * 10 + ((buf[j] as number) - 0x30);
    return j > i + 6 ? seq : -1;
  }
  return -1;
}

const TOMBSTONE = Buffer.from('"tombstone":true');

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A tombstone line's event number and chain hash, if it is exactly one. */
function parseTombstone(line: Buffer): { seq: number; hash: string } | null {
  if (line.indexOf(TOMBSTONE) < 0) return null;
  const text = line.toString('utf8');
  const v = safeJson(text) as { seq?: unknown; hash?: unknown; tombstone?: unknown } | undefined;
  if (!v || v.tombstone !== true || typeof v.seq !== 'number' || typeof v.hash !== 'string') return null;
  return tombstoneLine(v.seq, v.hash) === text ? { seq: v.seq, hash: v.hash } : null;
}

/**
 * The event number an event's canonical line claims (null when it is not an event). In canonical
 * JSON the top-level `"seq":` is the last of its kind on the line (nothing after it can hold that
 * key, and inside a string a quote is always escaped), so it is found without parsing the whole
 * line; anything else falls back to JSON.parse.
 */
function parseSeq(line: Buffer): number | null {
  const s = line.lastIndexOf(SEQ);
  if (s > 0 && line.lastIndexOf(PREV) > 0) {
    let seq = 0;
    let i = s + SEQ.length;
    for (; i < line.length && (line[i] as number) >= 0x30 && (line[i] as number) <= 0x39; i++) seq = seq * 10 + ((line[i] as number) - 0x30);
    if (i > s + SEQ.length && line[i] === 0x2c) return seq;
  }
  const v = safeJson(line.toString('utf8')) as { seq?: unknown; prevHash?: unknown } | undefined;
  return v && typeof v.seq === 'number' && typeof v.prevHash === 'string' ? v.seq : null;
}
