import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { AgentAuditEvent, SpooledEvent } from '../../lib/wire/protocol';

const SEGMENT_EVENTS = 10_000;
/** Events waiting for the disk (it is full or failing) are kept in memory up to this many. */
const MAX_BUFFERED = 200_000;
const FLUSH_MS = 10;
const FLUSH_EVENTS = 1000;

type Segment = { first: number; last: number; file: string };

/**
 * The agent's audit spool: an append-only file of events with a per-agent sequence number,
 * written in small batches and fsynced before anyone may read them, kept until the control plane
 * acknowledged them (the cursor file survives restarts). Segments of 10k events are removed once
 * acknowledged. When the disk refuses a write the spool stops being `writable` (the agent then
 * refuses new sandboxes) and keeps retrying; events are never dropped unless memory would run out,
 * and then their sequence numbers are gone from the file, which the control plane shows as a gap.
 */
export class AuditSpool {
  private readonly segments: Segment[] = [];
  private buffer: SpooledEvent[] = [];
  private nextSeq: number;
  private acked: number;
  private timer: NodeJS.Timeout | null = null;
  private failure: string | null = null;
  private dropped = 0;
  private cache: { file: string; events: SpooledEvent[] } | null = null;
  private readonly listeners: (() => void)[] = [];
  private lowSpace: string | null = null;
  private readonly spaceTimer: NodeJS.Timeout;

  private constructor(
    private readonly dir: string,
    private readonly log: Logger,
    private readonly minFreeBytes: number,
  ) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.acked = readCursor(path.join(dir, 'acked'));
    for (const name of fs.readdirSync(dir).filter((n) => /^\d{12}\.jsonl$/.test(n)).sort()) {
      const file = path.join(dir, name);
      const events = readSegment(file, true);
      const first = Number(name.slice(0, 12));
      if (events.length === 0) {
        fs.rmSync(file);
        continue;
      }
      this.segments.push({ first, last: (events.at(-1) as SpooledEvent).seq, file });
    }
    // Numbering never goes back: not below what is on disk, nor below what the control plane holds.
    this.nextSeq = Math.max(this.segments.at(-1)?.last ?? 0, this.acked) + 1;
    this.removeAcknowledged();
    this.checkSpace();
    this.spaceTimer = setInterval(() => this.checkSpace(), 2000);
    this.spaceTimer.unref();
  }

  /**
   * Opens (or makes) the spool in `dir`, cutting off a line a crash left half written. Below
   * `minFreeBytes` of free space there it reports itself not writable before the disk is full.
   */
  static open(dir: string, log: Logger, minFreeBytes = 0): AuditSpool {
    return new AuditSpool(dir, log, minFreeBytes);
  }

  private checkSpace(): void {
    try {
      const s = fs.statfsSync(this.dir);
      const free = s.bavail * s.bsize;
      const low = free < this.minFreeBytes ? `${Math.floor(free / 1024)} KiB free, below ${Math.floor(this.minFreeBytes / 1024)} KiB` : null;
      if (low && !this.lowSpace) this.log.error({ free }, 'the audit spool disk is nearly full; refusing new sandboxes');
      if (!low && this.lowSpace) this.log.info({ free }, 'the audit spool disk has room again');
      this.lowSpace = low;
    } catch {
      // statfs is advisory; a failing write still marks the spool.
    }
  }

  /** Whether the spool can take a new sandbox's events: writes succeed and the disk is not nearly full. */
  get writable(): boolean {
    return this.failure === null && this.lowSpace === null;
  }

  /** Why the spool cannot take more, for the host's health and the refusal. */
  get problem(): string | null {
    const why = this.failure ?? this.lowSpace;
    return why && `the audit spool cannot be written safely (${why}): new sandboxes are refused until it can`;
  }

  /** The highest sequence number the control plane holds. */
  get acknowledged(): number {
    return this.acked;
  }

  /** The highest sequence number on disk. */
  get lastDurable(): number {
    return this.segments.at(-1)?.last ?? this.acked;
  }

  /** Calls `listener` whenever events became durable (to ship them). */
  onDurable(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Queues events; they are numbered now and on disk (fsynced) within about 10 ms. */
  append(events: readonly AgentAuditEvent[]): void {
    const at = new Date().toISOString();
    for (const event of events) this.buffer.push({ seq: this.nextSeq++, at, event });
    if (this.buffer.length > MAX_BUFFERED) {
      const excess = this.buffer.length - MAX_BUFFERED;
      this.buffer.splice(0, excess);
      this.dropped += excess;
      this.log.error({ dropped: this.dropped }, 'audit events dropped: the spool could not be written for too long (the control plane will show the gap)');
    }
    if (this.buffer.length >= FLUSH_EVENTS) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  /** Writes and fsyncs what is queued (one write per segment touched). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.buffer.length === 0) return;
    try {
      while (this.buffer.length > 0) {
        let seg = this.segments.at(-1);
        if (!seg || seg.last - seg.first + 1 >= SEGMENT_EVENTS) {
          const first = (this.buffer[0] as SpooledEvent).seq;
          seg = { first, last: first - 1, file: path.join(this.dir, `${String(first).padStart(12, '0')}.jsonl`) };
          this.segments.push(seg);
        }
        const room = SEGMENT_EVENTS - (seg.last - seg.first + 1);
        const batch = this.buffer.slice(0, room);
        appendDurably(seg.file, batch.map((e) => `${JSON.stringify(e)}\n`).join(''));
        seg.last = (batch.at(-1) as SpooledEvent).seq;
        this.buffer = this.buffer.slice(batch.length);
      }
      if (this.failure) this.log.info('the audit spool can be written again');
      this.failure = null;
      for (const l of this.listeners) l();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      if (this.failure === null) this.log.error({ err: error }, 'the audit spool cannot be written; refusing new sandboxes');
      this.failure = code === 'ENOSPC' ? 'disk full' : code;
      // A segment made for this write but never written stays out of the list.
      const last = this.segments.at(-1);
      if (last && last.last < last.first) this.segments.pop();
      this.timer = setTimeout(() => this.flush(), 1000);
    }
  }

  /** Up to `max` durable events after sequence `after`, in order. */
  read(after: number, max: number): SpooledEvent[] {
    const out: SpooledEvent[] = [];
    for (const seg of this.segments) {
      if (seg.last <= after) continue;
      if (this.cache?.file !== seg.file || (this.cache.events.at(-1)?.seq ?? 0) < Math.min(seg.last, after + max)) {
        this.cache = { file: seg.file, events: readSegment(seg.file, false) };
      }
      for (const e of this.cache.events) {
        if (e.seq <= after) continue;
        out.push(e);
        if (out.length >= max) return out;
      }
    }
    return out;
  }

  /** The control plane holds everything up to `seq`: remember it and free what it covers. */
  ack(seq: number): void {
    if (seq <= this.acked) return;
    this.acked = seq;
    const file = path.join(this.dir, 'acked');
    fs.writeFileSync(`${file}.tmp`, `${seq}\n`, { mode: 0o600 });
    fs.renameSync(`${file}.tmp`, file);
    this.removeAcknowledged();
  }

  private removeAcknowledged(): void {
    while (this.segments.length > 1 && (this.segments[0] as Segment).last <= this.acked) {
      fs.rmSync((this.segments.shift() as Segment).file, { force: true });
    }
  }

  /** Writes what is queued; the caller is stopping. */
  close(): void {
    clearInterval(this.spaceTimer);
    this.flush();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

/** Appends and fsyncs; on failure the file is cut back to where it was, so no half line stays. */
function appendDurably(file: string, text: string): void {
  const fd = fs.openSync(file, 'a', 0o600);
  const size = fs.fstatSync(fd).size;
  const data = Buffer.from(text);
  try {
    // A write may stop short (the disk filled up mid-way): the next one then says why.
    for (let off = 0; off < data.length; ) off += fs.writeSync(fd, data, off);
    fs.fsyncSync(fd);
  } catch (error) {
    try {
      fs.ftruncateSync(fd, size);
    } catch {
      // The file keeps a torn last line; opening the spool cuts it off.
    }
    throw error;
  } finally {
    fs.closeSync(fd);
  }
}

function readCursor(file: string): number {
  try {
    const n = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isSafeInteger(n) && n >= 0 ? n : 0;
  } catch {
    return 0;
  }
}

/** The events of a segment; with `repair`, a torn last line (a crash mid-write) is cut off the file. */
function readSegment(file: string, repair: boolean): SpooledEvent[] {
  const data = fs.readFileSync(file);
  const events: SpooledEvent[] = [];
  let good = 0;
  for (let nl = data.indexOf(10, good); nl >= 0; nl = data.indexOf(10, good)) {
    try {
      events.push(JSON.parse(data.subarray(good, nl).toString('utf8')) as SpooledEvent);
    } catch {
      break;
    }
    good = nl + 1;
  }
  if (repair && good < data.length) fs.truncateSync(file, good);
  return events;
}
