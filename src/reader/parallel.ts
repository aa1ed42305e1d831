/**
 * Parallel reads on piscina worker threads: one task per partition, each on the worker's own
 * connection, decoded into Arrow buffers there and handed back by transfer. The consumer pulls
 * batches as they arrive from any partition; a partition may have only a few batches in flight
 * (credits), so a slow consumer pauses the sockets instead of filling memory.
 */

import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { RecordBatch, Schema } from 'apache-arrow';
import { SluiceError } from '../base/errors.ts';
import type { DbEndpoint } from '../db/endpoint.ts';
import { backOff } from '../runtime/retry.ts';
import { arrowSchema, type TypeOptions } from './arrow-types.ts';
import { emptyBatch, toRecordBatch } from './batch.ts';
import type { DecoderOptions } from './decoder.ts';
import { type MergeKey, type MergeOptions, mergeSorted } from './merge.ts';
import type { FromWorker, PartitionOutcome, PartitionTaskData, ToWorker, WireError } from './protocol.ts';
import { HandOff } from './queue.ts';
import { abortError } from './read.ts';
import { ReaderScheduler, readerThreads } from './scheduler.ts';

/** Between tries of a partition that failed before sending a batch (a read retries twice by default). */
const READ_BACKOFF = { initialMs: 200, maxMs: 5000 } as const;

/** One partition's statement: the SQL compiled for that partition, and where to run it. */
export interface ReadTask {
  readonly label: string;
  readonly endpoint: DbEndpoint;
  readonly sql: string;
  readonly params: readonly unknown[];
}

export interface ParallelReadOptions extends TypeOptions, Pick<DecoderOptions, 'batchRows' | 'batchBytes'> {
  /** Partitions read at once (default: twice the reader threads, at least 4). */
  readonly parallelism?: number;
  /** Decoded batches waiting for the consumer, across all partitions (default 2 per partition, 8 at most, 1 at least per partition). */
  readonly maxBatchesInFlight?: number;
  readonly signal?: AbortSignal;
  /** Attempts after a transient connection failure, before any batch of that partition arrived (default 2). */
  readonly retries?: number;
  /** Filled in as the read goes, for monitoring and tests. */
  readonly stats?: ParallelReadStats;
}

export interface ParallelReadStats {
  /** Batches received from the workers. */
  batches: number;
  rows: number;
  /** The most batches ever waiting for the consumer at once (bounded by maxBatchesInFlight). */
  maxQueued: number;
  /** Partitions read again after a transient failure. */
  retries: number;
}

let scheduler: ReaderScheduler | undefined;

/** The shared reader threads, started on first use. */
function readers(): ReaderScheduler {
  scheduler ??= new ReaderScheduler();
  return scheduler;
}

/** Stops the reader threads (they also stop by themselves after 30 s idle). */
export async function closeReaderPool(): Promise<void> {
  const current = scheduler;
  scheduler = undefined;
  await current?.close();
}

/** An error from one partition, naming it, with the database's error as the cause. */
export class PartitionError extends SluiceError {
  readonly partition: string;
  readonly errno: number | undefined;
  readonly sqlState: string | undefined;

  constructor(task: ReadTask, error: WireError, attempts: number) {
    const cause = Object.assign(new Error(error.message), {
      code: error.code,
      errno: error.errno,
      sqlState: error.sqlState,
    });
    const tries = attempts > 1 ? ` (after ${attempts} attempts)` : '';
    super(
      'PARTITION_FAILED',
      `partition ${task.label} on ${task.endpoint.host}:${task.endpoint.port} failed${tries}: ${error.message}`,
      { cause, retriable: error.retriable },
    );
    this.partition = task.label;
    this.errno = error.errno;
    this.sqlState = error.sqlState;
  }
}

interface Delivery {
  readonly run: TaskRun;
  readonly batch: RecordBatch;
}

/** One partition's progress across its attempts. */
class TaskRun {
  port: MessagePort | undefined;
  attempts = 0;
  batchesReceived = 0;
  finished = false;
  /** Settles when the partition's task is over (done, failed or cancelled). */
  settled: Promise<void> | undefined;
  /** Per-partition delivery (sorted merges); absent when partitions share one queue. */
  queue: HandOff<Delivery> | undefined;
  constructor(readonly task: ReadTask) {}

  send(message: ToWorker): void {
    this.port?.postMessage(message);
  }
}

/**
 * The shared machinery of a parallel read: schedules the partitions on the pool, receives their
 * batches, returns credits, retries, fails the whole read when one partition fails, cancels.
 */
class ParallelRead {
  readonly runs: TaskRun[];
  /** Interleaved delivery (readParallel). */
  readonly shared = new HandOff<Delivery>(Number.POSITIVE_INFINITY);
  schema: Schema | undefined;
  private schemaSource = '';
  private stopped = false;
  private readonly waiting: TaskRun[];
  private readonly running = new Set<Promise<void>>();
  private readonly parallelism: number;
  private readonly retries: number;
  private readonly taskOptions: PartitionTaskData['options'];
  private readonly onAbort = () => this.fail(abortError(this.options.signal));

  constructor(
    tasks: readonly ReadTask[],
    private readonly options: ParallelReadOptions,
    perPartition: boolean,
  ) {
    if (options.signal?.aborted) throw abortError(options.signal);
    if (tasks.length === 0)
      throw new SluiceError('CONFIG_INVALID', 'a parallel read needs at least one task');
    this.runs = tasks.map((task) => new TaskRun(task));
    if (perPartition) {
      for (const run of this.runs) run.queue = new HandOff<Delivery>(Number.POSITIVE_INFINITY);
    }
    this.waiting = [...this.runs];
    // A merge needs the head of every partition at once, so every partition runs at once.
    this.parallelism = perPartition
      ? tasks.length
      : Math.max(1, Math.min(tasks.length, Math.floor(options.parallelism ?? defaultParallelism())));
    // Default: two batches per partition, but no more than 8 in all unless each partition needs one.
    const inFlight = Math.max(
      1,
      Math.floor(options.maxBatchesInFlight ?? Math.max(this.parallelism, Math.min(2 * this.parallelism, 8))),
    );
    this.retries = Math.max(0, Math.floor(options.retries ?? 2));
    this.taskOptions = {
      batchRows: options.batchRows,
      batchBytes: options.batchBytes,
      decimalAs: options.decimalAs,
      credits: Math.max(1, Math.floor(inFlight / this.parallelism)),
    };
    options.signal?.addEventListener('abort', this.onAbort, { once: true });
    this.startNext();
  }

  /** Fails the read: every consumer throws `error` at its next pull; partitions are cancelled. */
  fail(error: unknown): void {
    if (this.stopped) return;
    this.stopped = true;
    this.shared.fail(error);
    for (const run of this.runs) {
      run.queue?.fail(error);
      run.send({ type: 'cancel' });
    }
  }

  /** The consumer took a batch of `run`: the partition may send another. */
  taken(run: TaskRun): void {
    run.send({ type: 'credit', count: 1 });
  }

  /** Cancels `runs` (all by default) and waits until their workers have returned. */
  async cancel(runs: readonly TaskRun[] = this.runs): Promise<void> {
    if (runs === this.runs) {
      this.stopped = true;
      this.options.signal?.removeEventListener('abort', this.onAbort);
    }
    for (const run of runs) {
      run.finished = true;
      this.waiting.splice(0, this.waiting.length, ...this.waiting.filter((each) => each !== run));
      run.send({ type: 'cancel' });
    }
    await Promise.allSettled(runs.map((run) => run.settled));
    if (runs === this.runs) await Promise.allSettled([...this.running]);
  }

  private deliver(run: TaskRun, batch: RecordBatch): void {
    run.batchesReceived++;
    (run.queue ?? this.shared).push({ run, batch });
    const stats = this.options.stats;
    if (stats) {
      stats.batches++;
      stats.rows += batch.numRows;
      const queued = run.queue
        ? this.runs.reduce((sum, each) => sum + (each.queue?.size ?? 0), 0)
        : this.shared.size;
      stats.maxQueued = Math.max(stats.maxQueued, queued);
    }
  }

  private startNext(): void {
    while (!this.stopped && this.running.size < this.parallelism && this.waiting.length > 0) {
      const run = this.waiting.shift()!;
      const promise: Promise<void> = this.execute(run).finally(() => {
        this.running.delete(promise);
        run.finished = true;
        run.queue?.end();
        if (this.runs.every((each) => each.finished)) this.shared.end();
        else this.startNext();
      });
      run.settled = promise;
      this.running.add(promise);
    }
  }

  private async execute(run: TaskRun): Promise<void> {
    for (;;) {
      const outcome = await this.attempt(run);
      if (this.stopped || outcome.cancelled || run.finished) return;
      if (!outcome.error) return;
      const canRetry = outcome.error.retriable && run.batchesReceived === 0 && run.attempts <= this.retries;
      if (!canRetry) {
        this.fail(new PartitionError(run.task, outcome.error, run.attempts));
        return;
      }
      if (this.options.stats) this.options.stats.retries++;
      // Jittered backoff, then the partition is read again from scratch.
      await backOff(run.attempts, READ_BACKOFF);
      if (this.stopped) return;
    }
  }

  private async attempt(run: TaskRun): Promise<PartitionOutcome> {
    const channel = new MessageChannel();
    run.port = channel.port1;
    run.attempts++;
    let reportDone: (outcome: PartitionOutcome) => void = () => undefined;
    const done = new Promise<PartitionOutcome>((resolve) => {
      reportDone = resolve;
    });
    channel.port1.on('message', (message: FromWorker) => {
      if (message.type === 'done') {
        reportDone(message.outcome);
      } else if (this.stopped || run.finished) {
        // Batches still arriving after the read (or this partition) ended are dropped.
      } else if (message.type === 'columns') {
        this.columns(run, message.columns);
      } else if (message.type === 'batch') {
        this.deliver(run, toRecordBatch(this.schema!, message.batch));
      }
    });
    try {
      const task = {
        label: run.task.label,
        endpoint: run.task.endpoint,
        sql: run.task.sql,
        params: run.task.params,
        options: this.taskOptions,
        port: channel.port2,
      };
      return await readers()
        .submit(task)
        .then(
          // The session reports the partition finished on another port: wait for the partition's 'done'.
          () => done,
          (error: unknown): PartitionOutcome => ({
            // The worker itself failed (it could not load, or it crashed): not retriable.
            rows: 0,
            cancelled: false,
            error: { message: `worker failed: ${(error as Error).message}`, retriable: false },
          }),
        );
    } finally {
      channel.port1.close();
      run.port = undefined;
    }
  }

  private columns(run: TaskRun, columns: Parameters<typeof arrowSchema>[0]): void {
    const schema = arrowSchema(columns, this.options);
    if (!this.schema) {
      this.schema = schema;
      this.schemaSource = run.task.label;
    } else if (!sameTypes(this.schema, schema)) {
      this.fail(
        new SluiceError(
          'PARTITION_FAILED',
          `partition ${run.task.label} returned columns (${describeFields(schema)}) unlike partition ${this.schemaSource} (${describeFields(this.schema)})`,
        ),
      );
    }
  }
}

function defaultParallelism(): number {
  return Math.max(4, 2 * readerThreads());
}

/**
 * Reads every task's statement on worker threads and yields the RecordBatches as they arrive,
 * partitions interleaved. All tasks must return the same columns. A result with no rows yields
 * one empty batch with the schema. If a partition fails, the read fails with a
 * `PartitionError` naming it; a transient connection failure is retried from scratch when no
 * batch of that partition has arrived yet. Ending the iteration early or aborting `signal`
 * kills the running statements on their servers before the iteration returns.
 *
 * @example
 * const plan = await planPartitions(endpoint, 'lineitem');
 * const tasks = plan.scans.map((scan) => ({ label: scan.label, endpoint: scan.endpoint, ...scanSql(scan) }));
 * for await (const batch of readParallel(tasks, { parallelism: plan.parallelism })) use(batch);
 */
export async function* readParallel(
  tasks: readonly ReadTask[],
  options: ParallelReadOptions = {},
): AsyncGenerator<RecordBatch, void, undefined> {
  const read = new ParallelRead(tasks, options, false);
  let yielded = 0;
  try {
    for (;;) {
      const delivery = await read.shared.next();
      if (delivery === undefined) break;
      read.taken(delivery.run);
      yielded++;
      yield delivery.batch;
    }
    if (yielded === 0 && read.schema) yield emptyBatch(read.schema);
  } finally {
    // Every worker has killed its statement and returned before the iteration ends.
    await read.cancel();
  }
}

/**
 * One stream per task, all partitions running at once: the input of a k-way merge
 * (`mergeSorted`), where each partition's rows arrive in their own order. Ending one stream
 * cancels that partition; a failing partition fails every stream. The partitions start at once,
 * so every stream must be read to its end or closed with `return()` (as `mergeSorted` does):
 * a stream left alone holds its partition's statement open on the server.
 */
export function readPartitionStreams(
  tasks: readonly ReadTask[],
  options: Omit<ParallelReadOptions, 'parallelism'> = {},
): AsyncIterableIterator<RecordBatch>[] {
  const read = new ParallelRead(tasks, options, true);
  let open = read.runs.length;
  return read.runs.map((run): AsyncIterableIterator<RecordBatch> => {
    let yielded = 0;
    let closed = false;
    // An object rather than a generator: return() must cancel the partition even when the
    // stream was never pulled (a generator not yet started skips its finally block).
    const close = async (): Promise<IteratorResult<RecordBatch>> => {
      if (!closed) {
        closed = true;
        open--;
        await (open === 0 ? read.cancel() : read.cancel([run]));
      }
      return { done: true, value: undefined };
    };
    return {
      async next(): Promise<IteratorResult<RecordBatch>> {
        if (closed) return { done: true, value: undefined };
        let delivery: Delivery | undefined;
        try {
          delivery = await run.queue!.next();
        } catch (error) {
          await close();
          throw error;
        }
        if (delivery) {
          read.taken(run);
          yielded++;
          return { done: false, value: delivery.batch };
        }
        if (yielded === 0 && read.schema) {
          yielded++;
          return { done: false, value: emptyBatch(read.schema) };
        }
        return close();
      },
      return: close,
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  });
}

/**
 * A parallel read whose partitions each return rows sorted by `keys` (ORDER BY pushed to every
 * partition), merged into one sorted stream; with `limit`, each partition should send its top
 * `limit` rows and the merge stops everything once it has them.
 */
export function readParallelSorted(
  tasks: readonly ReadTask[],
  keys: readonly MergeKey[],
  options: Omit<ParallelReadOptions, 'parallelism'> & MergeOptions = {},
): AsyncGenerator<RecordBatch, void, undefined> {
  return mergeSorted(readPartitionStreams(tasks, options), keys, options);
}

function sameTypes(a: Schema, b: Schema): boolean {
  return (
    a.fields.length === b.fields.length &&
    a.fields.every((field, index) => {
      const other = b.fields[index]!;
      return field.name === other.name && String(field.type) === String(other.type);
    })
  );
}

function describeFields(schema: Schema): string {
  return schema.fields.map((field) => `${field.name} ${field.type}`).join(', ');
}
