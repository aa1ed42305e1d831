/**
 * One query read into Arrow on the current thread, over one connection: the building block the
 * partition workers run, and the whole read when a query is not split.
 */
import type { RecordBatch, Schema } from 'apache-arrow';
import { SluiceError } from '../base/errors.ts';
import type { DbEndpoint } from '../db/endpoint.ts';
import { killQuery, openRawConnection } from '../db/raw-query.ts';
import { arrowSchema, type TypeOptions } from './arrow-types.ts';
import { emptyBatch, toRecordBatch } from './batch.ts';
import type { RawConnectionPool } from './connection-pool.ts';
import { decodeQuery } from './decode-query.ts';
import type { DecoderOptions } from './decoder.ts';
import { HandOff } from './queue.ts';

export interface ReadOptions extends TypeOptions, DecoderOptions {
  /** Aborting stops the read: the statement is killed on the server and the iteration throws. */
  readonly signal?: AbortSignal;
  /** Batches decoded ahead of the consumer before the socket is paused (default 2). */
  readonly batchesAhead?: number;
  /** Where the connection comes from and goes back to after a complete read (default: a new one). */
  readonly pool?: RawConnectionPool;
}

/** Thrown when a read is aborted through its AbortSignal. */
export function abortError(signal: AbortSignal | undefined, what = 'read'): SluiceError {
  const reason = signal?.reason;
  return new SluiceError(
    'READ_ABORTED',
    `${what} was aborted`,
    reason === undefined ? {} : { cause: reason },
  );
}

/**
 * Reads the result of one query as Arrow RecordBatches, streamed as they are decoded, in
 * batches bounded by `batchRows` and `batchBytes`. A result with no rows yields one empty batch,
 * so the schema is always known. Breaking out of the loop (or aborting `signal`) kills the
 * statement on the server before the iteration ends.
 *
 * @example
 * for await (const batch of readArrow(endpoint, 'SELECT * FROM t WHERE id > ?', [100])) {
 *   console.log(batch.numRows);
 * }
 */
export async function* readArrow(
  endpoint: DbEndpoint,
  sql: string,
  params: readonly unknown[] = [],
  options: ReadOptions = {},
): AsyncGenerator<RecordBatch, void, undefined> {
  const { signal } = options;
  if (signal?.aborted) throw abortError(signal);
  const connection = options.pool ? await options.pool.acquire(endpoint) : await openRawConnection(endpoint);
  let schema: Schema | undefined;
  let batches = 0;
  const queue = new HandOff<RecordBatch>(Math.max(1, options.batchesAhead ?? 2), () => connection.resume());
  const onAbort = () => queue.fail(abortError(signal));
  signal?.addEventListener('abort', onAbort, { once: true });
  let finished = false;
  const done = decodeQuery(
    connection,
    sql,
    params,
    {
      columns(columns) {
        schema = arrowSchema(columns, options);
      },
      batch(batch) {
        batches++;
        queue.push(toRecordBatch(schema!, batch));
        if (queue.isFull) connection.pause();
      },
    },
    options,
  ).then(
    () => {
      finished = true;
      if (batches === 0 && schema) queue.push(emptyBatch(schema));
      queue.end();
    },
    (error: unknown) => {
      finished = true;
      queue.fail(error);
    },
  );
  try {
    for (;;) {
      const batch = await queue.next();
      if (batch === undefined) break;
      yield batch;
    }
    await done;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (!finished) {
      // The consumer stopped early: kill the statement on the server, read on until the server
      // reports it over (so no statement is left running), then drop the connection.
      queue.end();
      await killQuery(endpoint, connection.threadId).catch(() => undefined);
      connection.resume();
      await Promise.race([done, new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
      connection.destroy();
      await done;
    } else if (options.pool) {
      options.pool.release(connection);
    } else {
      await connection.close();
    }
  }
}

/**
 * The Arrow schema of a query's result without running it (the server describes a prepared
 * statement). `readArrow` yields the same schema with the first batch.
 */
export async function readSchema(
  endpoint: DbEndpoint,
  sql: string,
  options: TypeOptions = {},
): Promise<Schema> {
  const connection = await openRawConnection(endpoint);
  try {
    return arrowSchema(await connection.describe(sql), options);
  } finally {
    await connection.close();
  }
}
