import fs from 'node:fs';
import { gzipMember, MEMBER_LINES } from '../../lib/ledger/event-members';

/**
 * Writes events.jsonl plain while the export reads on, noting where each member of at least
 * MEMBER_LINES whole lines ends; `compress` then makes events.jsonl.gz of those members (see
 * lib/ledger/event-members), one member in memory at a time.
 */
export class MemberWriter {
  private readonly members: { bytes: number; lines: number }[] = [];
  private bytes = 0;
  private lines = 0;

  constructor(private readonly fd: number) {}

  /** Takes whole lines (each ending in a newline), `count` of them. */
  add(text: string, count: number): void {
    this.bytes += fs.writeSync(this.fd, text);
    this.lines += count;
    if (this.lines >= MEMBER_LINES) this.cut();
  }

  /** Compresses the plain file written so far into `out`, member by member (on the thread pool). */
  async compress(plainFile: string, out: string): Promise<void> {
    // An empty range is still a gzip file: one member of no lines.
    if (this.lines > 0 || this.members.length === 0) this.cut();
    const from = fs.openSync(plainFile, 'r');
    const to = fs.openSync(out, 'w');
    try {
      let offset = 0;
      for (const m of this.members) {
        const plain = Buffer.allocUnsafe(m.bytes);
        if (fs.readSync(from, plain, 0, m.bytes, offset) !== m.bytes) throw new Error(`${plainFile} is shorter than written`);
        offset += m.bytes;
        fs.writeSync(to, await gzipMember(plain, m.lines));
      }
    } finally {
      fs.closeSync(from);
      fs.closeSync(to);
    }
  }

  private cut(): void {
    this.members.push({ bytes: this.bytes, lines: this.lines });
    this.bytes = 0;
    this.lines = 0;
  }
}
