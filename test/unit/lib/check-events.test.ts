import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { chainHash, hashedContent } from '../../../lib/audit/chain';
import { GENESIS_HASH, type AuditEventInput } from '../../../lib/audit/events';
import { tombstoneLine } from '../../../lib/ledger/bundle';
import { checkEvents, countLines } from '../../../lib/ledger/check-events';
import { gzipMember, MEMBER_HEADER, memberHead } from '../../../lib/ledger/event-members';
import { leafHash } from '../../../lib/ledger/merkle';

/** `n` events as events.jsonl holds them (canonical JSON, a line each) and their leaves (leaves.bin). */
function exported(n: number): { lines: string[]; leaves: Buffer } {
  const lines: string[] = [];
  const leaves: Buffer[] = [];
  let prev = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const e: AuditEventInput = {
      at: new Date(Date.UTC(2026, 10, 28, 10, 0, seq)).toISOString(), actor: { type: 'user', id: 'u1', name: 'alice' },
      target: { type: 'sandbox', id: `sbx-${String(seq).padStart(20, '0')}`, name: 'debian-host' }, outcome: 'success',
      sourceIp: null, userAgent: null, requestId: `r${seq}`, action: 'sandbox.stop', details: { reason: 'killed' },
    } as AuditEventInput;
    const line = hashedContent(seq, prev, e);
    lines.push(line);
    leaves.push(leafHash(Buffer.from(line)));
    prev = chainHash(seq, prev, e);
  }
  return { lines, leaves: Buffer.concat(leaves) };
}

const run = (lines: string[]) => Buffer.from(`${lines.join('\n')}\n`);

describe('checking runs of event lines against their leaves', () => {
  const { lines, leaves } = exported(40);

  it('accepts untouched runs from any first position, the first line of a run included', () => {
    expect(checkEvents(run(lines), 1, leaves)).toEqual({ lines: 40, problem: null });
    expect(checkEvents(run(lines.slice(17, 30)), 18, leaves)).toEqual({ lines: 13, problem: null });
    // Without a final newline the last line still counts.
    expect(checkEvents(Buffer.from(lines.slice(0, 3).join('\n')), 1, leaves)).toEqual({ lines: 3, problem: null });
  });

  it('names an edited line, the first one of a run too, and still counts every line', () => {
    const edited = lines.map((l, i) => (i === 9 ? l.replace('"outcome":"success"', '"outcome":"failure"') : l));
    expect(checkEvents(run(edited), 1, leaves)).toEqual({ lines: 40, problem: { seq: 10, reason: 'event 10: altered (its content does not give its leaf hash)' } });
    expect(checkEvents(run(edited.slice(9)), 10, leaves).problem?.seq).toBe(10);
  });

  it('names a deleted and two swapped lines by the position where the wrong event stands', () => {
    const deleted = lines.filter((_, i) => i !== 4);
    expect(checkEvents(run(deleted), 1, leaves).problem).toEqual({ seq: 5, reason: 'event 5: missing here, found event 6 instead (deleted, swapped or out of order)' });
    const swapped = lines.map((l, i) => (i === 20 ? (lines[21] as string) : i === 21 ? (lines[20] as string) : l));
    expect(checkEvents(run(swapped), 1, leaves).problem?.seq).toBe(21);
  });

  it('takes a tombstone at its own position only, and refuses lines beyond the leaves', () => {
    const withTombstone = lines.map((l, i) => (i === 7 ? tombstoneLine(8, 'ab'.repeat(32)) : l));
    expect(checkEvents(run(withTombstone), 1, leaves).problem).toBeNull();
    const misplaced = lines.map((l, i) => (i === 7 ? tombstoneLine(9, 'ab'.repeat(32)) : l));
    expect(checkEvents(run(misplaced), 1, leaves).problem?.reason).toMatch(/^event 8: missing here, found event 9/);
    expect(checkEvents(run(lines), 1, leaves.subarray(0, 32 * 39)).problem?.reason).toBe('event 40: beyond the leaves of the bundle');
  });

  it('refuses a line that gives its leaf but stands at another position', () => {
    // The leaf of event 3 put at position 4 as well: the content is genuine, its place is not.
    const moved = Buffer.from(leaves);
    leaves.copy(moved, 3 * 32, 2 * 32, 3 * 32);
    const r = checkEvents(run([lines[0], lines[1], lines[2], lines[2]] as string[]), 1, moved);
    expect(r.problem).toEqual({ seq: 4, reason: 'event 4: missing here, found event 3 instead (deleted, swapped or out of order)' });
  });

  it('counts lines as the checker does', () => {
    expect(countLines(Buffer.from('a\nb\n'))).toBe(2);
    expect(countLines(Buffer.from('a\nb'))).toBe(2);
    expect(countLines(Buffer.from('\n\n'))).toBe(2);
    expect(countLines(Buffer.alloc(0))).toBe(0);
  });
});

describe('events.jsonl.gz members', () => {
  it('are ordinary gzip members whose header gives their size and line count', async () => {
    const a = await gzipMember(Buffer.from('one\ntwo\n'), 2);
    const b = await gzipMember(Buffer.from('three\n'), 1);
    expect(memberHead(a, 0)).toEqual({ bytes: a.length, lines: 2 });
    const file = Buffer.concat([a, b]);
    expect(memberHead(file, a.length)).toEqual({ bytes: b.length, lines: 1 });
    // Any gunzip reads the members as one file.
    expect(zlib.gunzipSync(file).toString()).toBe('one\ntwo\nthree\n');
  });

  it('are not mistaken in a plain gzip file or too few bytes', () => {
    const plain = zlib.gzipSync('one\n');
    expect(memberHead(plain, 0)).toBeNull();
    expect(memberHead(Buffer.alloc(MEMBER_HEADER - 1), 0)).toBeNull();
  });
});
