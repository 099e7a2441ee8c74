import fs from 'node:fs';
import { gzipMember, MEMBER_LINES } from '../../lib/ledger/event-members';

/** Members compressed at once, at most (they run on the thread pool). */
const AHEAD = 2;

/**
 * Writes events.jsonl.gz as gzip members of at least MEMBER_LINES lines each (see
 * lib/ledger/event-members), compressing while the caller reads on and keeping the members in order.
 */
export class MemberWriter {
  private parts: string[] = [];
  private lines = 0;
  private readonly pending: Promise<Buffer>[] = [];
  private members = 0;

  constructor(private readonly fd: number) {}

  /** Takes whole lines (each ending in a newline), `count` of them. */
  async add(text: string, count: number): Promise<void> {
    this.parts.push(text);
    this.lines += count;
    if (this.lines >= MEMBER_LINES) await this.cut();
  }

  /** Writes what is left and every pending member. */
  async end(): Promise<void> {
    // An empty range is still a gzip file: one member of no lines.
    if (this.lines > 0 || this.members === 0) await this.cut();
    while (this.pending.length > 0) fs.writeSync(this.fd, await (this.pending.shift() as Promise<Buffer>));
  }

  private async cut(): Promise<void> {
    this.pending.push(gzipMember(Buffer.from(this.parts.join('')), this.lines));
    this.parts = [];
    this.lines = 0;
    this.members += 1;
    while (this.pending.length > AHEAD) fs.writeSync(this.fd, await (this.pending.shift() as Promise<Buffer>));
  }
}
