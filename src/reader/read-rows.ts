/**
 * A small result as its columns and each row's text-protocol bytes, read on the calling thread
 * over a pooled connection: the point read of `sluice serve`, which writes a one-row answer
 * straight from these bytes instead of building Arrow batches for it. The caller bounds the
 * result (a filter on a unique key, a small LIMIT); `maxRows` is a second bound: rows past it
 * end the read as an error, so a wrong bound never fills memory.
 */
import { SluiceError } from '../base/errors.ts';
import type { ColumnMeta } from '../db/column-meta.ts';
import type { DbEndpoint } from '../db/endpoint.ts';
import { killQuery } from '../db/raw-query.ts';
import type { RawConnectionPool } from './connection-pool.ts';
import { abortError } from './read.ts';

export interface RowBytes {
  readonly columns: readonly ColumnMeta[];
  /** Each row packet's payload, copied out of the driver's buffer (which the next packet reuses). */
  readonly rows: readonly Buffer[];
}

export interface ReadRowsOptions {
  readonly pool: RawConnectionPool;
  /** Aborting kills the statement on the server and rejects with READ_ABORTED. */
  readonly signal?: AbortSignal;
  /** Rows the result may hold; one more is an error (the caller's bound was wrong). */
  readonly maxRows: number;
}

export async function readRowBytes(
  endpoint: DbEndpoint,
  sql: string,
  params: readonly unknown[],
  options: ReadRowsOptions,
): Promise<RowBytes> {
  const { signal, pool } = options;
  if (signal?.aborted) throw abortError(signal);
  const connection = await pool.acquire(endpoint);
  let columns: readonly ColumnMeta[] = [];
  const rows: Buffer[] = [];
  let finished = false;
  const done = connection
    .stream(sql, params, {
      columns(metas) {
        columns = metas;
      },
      row(buf, start, end) {
        if (rows.length === options.maxRows)
          throw new SluiceError('INTERNAL', `a point read returned more than ${options.maxRows} rows`);
        rows.push(Buffer.from(buf.subarray(start, end)));
      },
    })
    .finally(() => {
      finished = true;
    });
  let onAbort: (() => void) | undefined;
  const aborted = signal
    ? new Promise<never>((_, reject) => {
        onAbort = () => reject(abortError(signal));
        signal.addEventListener('abort', onAbort, { once: true });
      })
    : undefined;
  try {
    await (aborted ? Promise.race([done, aborted]) : done);
  } catch (error) {
    if (!finished) {
      // Stopped before the server finished: kill the statement, wait until the server says it
      // is over (no statement left running), then drop the connection.
      await killQuery(endpoint, connection.threadId).catch(() => undefined);
      await Promise.race([done.catch(() => undefined), new Promise((r) => setTimeout(r, 5_000).unref())]);
      connection.destroy();
    } else {
      pool.release(connection);
    }
    throw error;
  } finally {
    if (onAbort) signal!.removeEventListener('abort', onAbort);
  }
  pool.release(connection);
  return { columns, rows };
}
