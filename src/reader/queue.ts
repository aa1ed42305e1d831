/**
 * A bounded hand-off between a producer that is called back (socket data, worker messages) and a
 * consumer that pulls with `for await`. The producer is told when the queue is full and when it
 * has room again, so it can pause its source instead of buffering without limit.
 */
export class HandOff<T> {
  private readonly items: T[] = [];
  private waiter: (() => void) | undefined;
  private ended = false;
  private failure: { error: unknown } | undefined;

  constructor(
    /** Items the queue holds before `isFull` says so. */
    private readonly capacity: number,
    /** Called when a pull takes the queue below capacity again. */
    private readonly onRoom: () => void = () => undefined,
  ) {}

  get isFull(): boolean {
    return this.items.length >= this.capacity;
  }

  get size(): number {
    return this.items.length;
  }

  push(item: T): void {
    if (this.ended) return;
    this.items.push(item);
    this.wake();
  }

  /** No more items; pending ones are still delivered. */
  end(): void {
    this.ended = true;
    this.wake();
  }

  /** Fails the consumer at its next pull, dropping pending items. */
  fail(error: unknown): void {
    if (this.failure) return;
    this.failure = { error };
    this.ended = true;
    this.items.length = 0;
    this.wake();
  }

  /** The next item, or undefined once ended and drained. */
  async next(): Promise<T | undefined> {
    for (;;) {
      if (this.failure) throw this.failure.error;
      if (this.items.length > 0) {
        const wasFull = this.isFull;
        const item = this.items.shift() as T;
        if (wasFull && !this.isFull) this.onRoom();
        return item;
      }
      if (this.ended) return undefined;
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
    }
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }
}
