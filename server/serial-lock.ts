/**
 * Runs async tasks one at a time, in call order. The audit chain needs it: reading the chain's
 * head and appending after it must not interleave with another append.
 */
export class SerialLock {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}
