import { outputBytes, type ExecEvent } from '../../lib/api/sandboxes';

/** How much output the control plane keeps of a background command for a later wait (its tail). */
export const BACKGROUND_OUTPUT_BYTES = 1024 * 1024;
/** How long an ended background command's output tail stays available. */
const KEEP_ENDED_MS = 10 * 60_000;

/** Credit is sent to the agent in batches of at least this many bytes (well under half its window). */
const CREDIT_BATCH_BYTES = 256 * 1024;

type Listener = (e: ExecEvent) => void;


/**
 * One command while it runs: its output goes to whoever listens now, and (for a background
 * command) a bounded tail is kept for whoever waits later. The final event (exit or error) ends it.
 *
 * Output is credited back to the agent (which holds the command back past its window): a
 * background command's as it arrives (its tail is bounded, its followers drop what they cannot
 * take), a foreground command's only once its caller's stream has handed it on — so a caller that
 * stops reading stops the command, and no buffer here grows.
 */
export class LiveCommand {
  private events: (ExecEvent & { type: 'stdout' | 'stderr' })[] = [];
  private kept = 0;
  private dropped = 0;
  private readonly listeners = new Set<Listener>();
  private final_: ExecEvent | null = null;
  private uncredited = 0;
  private markRecorded: () => void = () => undefined;
  /** Resolves once the command's end is in the history and the audit trail. */
  readonly recorded = new Promise<void>((resolve) => (this.markRecorded = resolve));

  constructor(
    readonly id: string,
    readonly sandboxId: string,
    readonly agentId: string,
    readonly background: boolean,
    /** Tells the agent that `bytes` more of the output were passed on. */
    private readonly credit: (bytes: number) => void = () => undefined,
    /** Output bytes kept for replay; a foreground command keeps only what comes before its caller listens. */
    private keep = background ? BACKGROUND_OUTPUT_BYTES : Number.MAX_SAFE_INTEGER,
  ) {}

  get final(): ExecEvent | null {
    return this.final_;
  }

  push(e: ExecEvent & { type: 'stdout' | 'stderr' }): void {
    for (const l of this.listeners) l(e);
    if (this.background) this.passedOn(e);
    if (this.keep === 0) return;
    this.events.push(e);
    this.kept += e.data.length;
    while (this.kept > this.keep && this.events.length > 1) {
      const old = this.events.shift() as ExecEvent & { data: string };
      this.kept -= old.data.length;
      this.dropped += outputBytes(old);
    }
  }

  /** The foreground caller's stream handed `e` on: the agent may send as much more. */
  delivered(e: ExecEvent): void {
    if (!this.background) this.passedOn(e);
  }

  private passedOn(e: ExecEvent): void {
    this.uncredited += outputBytes(e);
    if (this.uncredited < CREDIT_BATCH_BYTES) return;
    this.credit(this.uncredited);
    this.uncredited = 0;
  }

  /** The end has been recorded (or recording it failed and was logged). */
  endRecorded(): void {
    this.markRecorded();
  }

  finish(e: ExecEvent): void {
    if (this.final_) return;
    this.final_ = e;
    for (const l of this.listeners) l(e);
    this.listeners.clear();
  }

  /**
   * Replays what is kept, then passes on what comes, ending with the final event. `takeOver` is
   * for the foreground caller: from then on nothing more is kept.
   */
  listen(listener: Listener, takeOver = false): () => void {
    listener({ type: 'start', commandId: this.id });
    if (this.dropped > 0) listener({ type: 'dropped', bytes: this.dropped });
    for (const e of this.events) listener(e);
    if (takeOver) {
      this.keep = 0;
      this.events = [];
      this.kept = 0;
    }
    if (this.final_) {
      listener(this.final_);
      return () => undefined;
    }
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** The commands running now (and ended background ones for a while), by id. */
export class LiveCommands {
  private readonly byId = new Map<string, LiveCommand>();

  open(id: string, sandboxId: string, agentId: string, background: boolean, credit?: (bytes: number) => void): LiveCommand {
    const c = new LiveCommand(id, sandboxId, agentId, background, credit);
    this.byId.set(id, c);
    return c;
  }

  get(id: string): LiveCommand | undefined {
    return this.byId.get(id);
  }

  /** The command ended: a foreground one is forgotten now, a background one after a while. */
  ended(c: LiveCommand, background: boolean): void {
    if (!background) return void this.byId.delete(c.id);
    setTimeout(() => {
      if (this.byId.get(c.id) === c) this.byId.delete(c.id);
    }, KEEP_ENDED_MS).unref();
  }
}
