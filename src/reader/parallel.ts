/**
 * Parallel reads on piscina worker threads: one task per partition, each on the worker's own
 * connection, decoded into Arrow buffers there and handed back by transfer. The consumer pulls
 * batches as they arrive from any partition; a partition may have only a few batches in flight
 * (credits), so a slow consumer pauses the sockets instead of filling memory.
 */

import os from 'node:os';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { RecordBatch, Schema } from 'apache-arrow';
import { Piscina } from 'piscina';
import type { DbEndpoint } from '../db/endpoint.ts';
import { SluiceError } from '../errors.ts';
import { arrowSchema, type TypeOptions } from './arrow-types.ts';
import { emptyBatch, toRecordBatch } from './batch.ts';
import type { DecoderOptions } from './decoder.ts';
import type { FromWorker, PartitionOutcome, ToWorker, WireError } from './protocol.ts';
import { HandOff } from './queue.ts';
import { abortError } from './read.ts';
import { workerBundle } from './worker-bundle.ts';

/** One partition's statement: the SQL compiled for that partition, and where to run it. */
export interface ReadTask {
  readonly label: string;
  readonly endpoint: DbEndpoint;
  readonly sql: string;
  readonly params: readonly unknown[];
}

export interface ParallelReadOptions extends TypeOptions, Pick<DecoderOptions, 'batchRows' | 'batchBytes'> {
  /** Partitions read at once (default: the number of tasks, up to the pool's threads). */
  readonly parallelism?: number;
  /** Decoded batches waiting for the consumer, across all partitions (default 2 per running partition). */
  readonly maxBatchesInFlight?: number;
  readonly signal?: AbortSignal;
  /** Attempts after a transient connection failure, before any batch of that partition arrived (default 2). */
  readonly retries?: number;
}

/** Threads in the shared pool; a read uses at most `parallelism` of them. */
export const MAX_READER_THREADS = Math.max(8, os.availableParallelism() * 2);

let sharedPool: Promise<Piscina> | undefined;

function pool(): Promise<Piscina> {
  sharedPool ??= workerBundle('workers/read-partition.ts').then(
    (filename) =>
      new Piscina({
        filename,
        maxThreads: MAX_READER_THREADS,
        minThreads: 0,
        idleTimeout: 30_000,
        // A worker waits on its event loop, not in Atomics.wait, so idle connections can close.
        atomics: 'disabled',
      }),
  );
  sharedPool.catch(() => {
    sharedPool = undefined;
  });
  return sharedPool;
}

/** Stops the worker threads (they also stop by themselves after 30 s idle). */
export async function closeReaderPool(): Promise<void> {
  const current = sharedPool;
  sharedPool = undefined;
  await (await current?.catch(() => undefined))?.destroy();
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
  constructor(readonly task: ReadTask) {}

  send(message: ToWorker): void {
    this.port?.postMessage(message);
  }
}

/**
 * Reads every task's statement on worker threads and yields the RecordBatches as they arrive,
 * partitions interleaved. All tasks must return the same columns. A result with no rows yields
 * one empty batch with the schema. If a partition fails, the read fails with a
 * `PartitionError` naming it; a transient connection failure is retried from scratch when no
 * batch of that partition has arrived yet. Ending the iteration early or aborting `signal`
 * kills the running statements on their servers before the iteration returns.
 */
export async function* readParallel(
  tasks: readonly ReadTask[],
  options: ParallelReadOptions = {},
): AsyncGenerator<RecordBatch, void, undefined> {
  const { signal } = options;
  if (signal?.aborted) throw abortError(signal);
  if (tasks.length === 0) throw new SluiceError('CONFIG_INVALID', 'a parallel read needs at least one task');
  const parallelism = Math.max(
    1,
    Math.min(tasks.length, MAX_READER_THREADS, Math.floor(options.parallelism ?? tasks.length)),
  );
  const inFlight = Math.max(1, Math.floor(options.maxBatchesInFlight ?? 2 * parallelism));
  const credits = Math.max(1, Math.floor(inFlight / parallelism));
  const retries = Math.max(0, Math.floor(options.retries ?? 2));
  const taskOptions = {
    batchRows: options.batchRows,
    batchBytes: options.batchBytes,
    decimalAs: options.decimalAs,
    credits,
  };

  const queue = new HandOff<Delivery>(Number.POSITIVE_INFINITY);
  let schema: Schema | undefined;
  let schemaSource = '';
  let stopped = false;
  const runs = tasks.map((task) => new TaskRun(task));
  const waiting = [...runs];
  const running = new Set<Promise<void>>();

  const fail = (error: unknown) => {
    if (stopped) return;
    stopped = true;
    queue.fail(error);
    for (const run of runs) run.send({ type: 'cancel' });
  };
  const onAbort = () => fail(abortError(signal));
  signal?.addEventListener('abort', onAbort, { once: true });

  const attempt = async (run: TaskRun): Promise<PartitionOutcome> => {
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
      } else if (stopped) {
        // Batches still arriving after the read ended are dropped.
      } else if (message.type === 'columns') {
        const partitionSchema = arrowSchema(message.columns, options);
        if (!schema) {
          schema = partitionSchema;
          schemaSource = run.task.label;
        } else if (!sameTypes(schema, partitionSchema)) {
          fail(
            new SluiceError(
              'PARTITION_FAILED',
              `partition ${run.task.label} returned columns (${describeFields(partitionSchema)}) unlike partition ${schemaSource} (${describeFields(schema)})`,
            ),
          );
        }
      } else if (message.type === 'batch') {
        run.batchesReceived++;
        queue.push({ run, batch: toRecordBatch(schema!, message.batch) });
      }
    });
    try {
      const task = {
        label: run.task.label,
        endpoint: run.task.endpoint,
        sql: run.task.sql,
        params: run.task.params,
        options: taskOptions,
        port: channel.port2,
      };
      return await (await pool()).run(task, { transferList: [channel.port2] }).then(
        // The task's result arrives before the port's last messages may have: wait for 'done'.
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
  };

  const execute = async (run: TaskRun): Promise<void> => {
    for (;;) {
      const outcome = await attempt(run);
      if (stopped || outcome.cancelled) return;
      if (!outcome.error) {
        run.finished = true;
        return;
      }
      const canRetry = outcome.error.retriable && run.batchesReceived === 0 && run.attempts <= retries;
      if (!canRetry) {
        fail(new PartitionError(run.task, outcome.error, run.attempts));
        return;
      }
      // Jittered backoff before reading the partition again from scratch.
      await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** run.attempts * (0.5 + Math.random())));
      if (stopped) return;
    }
  };

  const startNext = () => {
    while (!stopped && running.size < parallelism && waiting.length > 0) {
      const run = waiting.shift()!;
      const promise: Promise<void> = execute(run).finally(() => {
        running.delete(promise);
        if (runs.every((each) => each.finished)) queue.end();
        else startNext();
      });
      running.add(promise);
    }
  };
  startNext();

  let yielded = 0;
  try {
    for (;;) {
      const delivery = await queue.next();
      if (delivery === undefined) break;
      // Taking a batch frees its slot: the partition may send another.
      delivery.run.send({ type: 'credit', count: 1 });
      yielded++;
      yield delivery.batch;
    }
    if (yielded === 0 && schema) yield emptyBatch(schema);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    stopped = true;
    for (const run of runs) run.send({ type: 'cancel' });
    // Every worker has killed its statement and returned before the iteration ends.
    await Promise.allSettled([...running]);
  }
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
