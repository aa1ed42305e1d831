/**
 * How many partitions of a pipeline write at once. Many concurrent LOAD DATA streams into one
 * table are slower than a few on a small machine (they contend for the same pages and cores), so
 * each partition writer takes a slot for its commit while the others decode meanwhile.
 */

/** A counting semaphore: `run` waits for a free slot, holds it while `work` runs. */
export class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(count: number) {
    this.free = count;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    }
  }
}
