/**
 * Lets the consumer of a command's output hold the command back: while the gate is shut the
 * runtime stops reading the command's output, its pipes fill and the command waits. So a reader
 * that stops reading costs a bounded buffer, not memory without end.
 */
export class OutputGate {
  private shut_ = false;
  private readonly watchers = new Set<(shut: boolean) => void>();

  get shut(): boolean {
    return this.shut_;
  }

  /** Shuts (true) or opens (false) the gate; watchers hear only of changes. */
  set(shut: boolean): void {
    if (shut === this.shut_) return;
    this.shut_ = shut;
    for (const w of this.watchers) w(shut);
  }

  /** Calls `watcher` at every change; the returned function stops it. */
  watch(watcher: (shut: boolean) => void): () => void {
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }
}
