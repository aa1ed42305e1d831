/**
 * With `raw-query.ts` (result rows as raw bytes for the Arrow reader), the only module that
 * imports mysql2. Everything else talks to a database through the small `DbSession` shape below,
 * so the driver can be swapped or wrapped in one place.
 */
import { once } from 'node:events';
import { Readable } from 'node:stream';
import mysql from 'mysql2/promise';
import { DatabaseError, reasonOf, SluiceError } from '../base/errors.ts';
import { quoteIdentifier, quoteTableName } from '../sql/identifiers.ts';
import { connectionTarget, type DbEndpoint } from './endpoint.ts';

export type Row = Record<string, unknown>;

export interface DbSession {
  /** Runs one statement; values travel as parameters (`?`), never inside the SQL text. */
  query<T extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /**
   * Bulk-loads `source` into `table` with `LOAD DATA LOCAL INFILE` and returns the number of rows
   * the server took. `source` is TSV in LOAD DATA's default escaping (see `tsv.ts`): one row per
   * line, tab-separated `columns`, `\N` for NULL. It is read as the socket drains, so a source of
   * any size streams in bounded memory. The rows are in the source, never in the SQL text.
   * Without an enclosing transaction, rows sent before a failing source are kept.
   */
  loadInfile(table: string, columns: readonly string[], source: LoadSource): Promise<number>;
  /** The column names a statement returns (run it with LIMIT 0 to get them without rows). */
  fields(sql: string, params?: readonly unknown[]): Promise<string[]>;
  /**
   * Has the server parse a statement without running it (a prepare, closed at once); rejects
   * with the server's own message about that text, e.g. its syntax error.
   */
  check(sql: string): Promise<void>;
  /**
   * `loadInfile` with the duplicate-key handling of LOAD DATA (`REPLACE` / `IGNORE`) and the
   * server's answer in full: rows it took and how many warnings it raised. With LOCAL, the server
   * turns bad values and duplicate keys into warnings instead of errors, so a caller that must
   * not lose rows checks `warnings`.
   */
  loadData(request: LoadDataRequest): Promise<LoadDataResult>;
  /**
   * Runs `work` in one transaction: COMMIT when it resolves, ROLLBACK when it throws (the error
   * is rethrown). Transactions do not nest.
   */
  transaction<T>(work: () => Promise<T>): Promise<T>;
  /** The server's id for this connection (`CONNECTION_ID()`), e.g. for `KILL`. */
  readonly threadId: number;
  close(): Promise<void>;
}

export interface LoadDataRequest {
  readonly table: string;
  readonly columns: readonly string[];
  readonly source: LoadSource;
  /** What the server does with a row whose key exists: LOCAL's default skips it with a warning. */
  readonly duplicates?: 'default' | 'ignore' | 'replace';
}

export interface LoadDataResult {
  /** Rows the server reports as affected (with `replace`, a replaced row counts twice). */
  readonly affectedRows: number;
  /** Warnings the statement raised (truncated or invalid values, skipped duplicates). */
  readonly warnings: number;
}

/** TSV text for `loadInfile`, in chunks of any size (strings are sent as UTF-8, bytes as they are). */
export type LoadSource = AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>;

export interface SessionOptions {
  /** Connect without selecting a schema (to create it, for instance). */
  withoutDatabase?: boolean;
  connectTimeoutMs?: number;
}

export async function openSession(endpoint: DbEndpoint, options: SessionOptions = {}): Promise<DbSession> {
  let connection: mysql.Connection;
  try {
    connection = await mysql.createConnection({
      ...connectionTarget(endpoint),
      database: options.withoutDatabase ? undefined : endpoint.database,
      connectTimeout: options.connectTimeoutMs ?? 10_000,
      supportBigNumbers: true,
      bigNumberStrings: true,
      dateStrings: true,
    });
  } catch (cause) {
    throw new DatabaseError(
      `cannot connect to ${endpoint.host}:${endpoint.port} as ${endpoint.user}: ${reasonOf(cause)}`,
      cause,
    );
  }
  // A connection the server drops while idle reports it as an 'error' event; without a listener
  // that event would end the process. The next query on it fails with a retriable error instead.
  connection.on('error', () => undefined);
  // The socket mysql2 talks on (also where LOAD DATA's file packets queue).
  const socket = (connection as unknown as { connection: { stream?: QueuedSocket } }).connection.stream;
  const busy = idleUnref(socket);
  const session: DbSession = {
    query<T extends Row = Row>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
      return busy(async () => {
        try {
          const [rows] = await connection.query(sql, params as unknown[]);
          return (Array.isArray(rows) ? rows : [rows]) as T[];
        } catch (cause) {
          const message = reasonOf(cause);
          throw new DatabaseError(`query failed on ${endpoint.host}:${endpoint.port}: ${message}`, cause);
        }
      });
    },
    fields(sql: string, params: readonly unknown[] = []): Promise<string[]> {
      return busy(async () => {
        try {
          const [, fields] = await connection.query(sql, params as unknown[]);
          return (fields ?? []).map((field) => field.name);
        } catch (cause) {
          const message = reasonOf(cause);
          throw new DatabaseError(`query failed on ${endpoint.host}:${endpoint.port}: ${message}`, cause);
        }
      });
    },
    check(sql: string): Promise<void> {
      return busy(async () => {
        try {
          const statement = await connection.prepare(sql);
          await statement.close();
        } catch (cause) {
          const message = reasonOf(cause);
          throw new DatabaseError(`query failed on ${endpoint.host}:${endpoint.port}: ${message}`, cause);
        }
      });
    },
    async loadInfile(table: string, columns: readonly string[], source: LoadSource): Promise<number> {
      return (await session.loadData({ table, columns, source })).affectedRows;
    },
    loadData: ({ table, columns, source, duplicates }: LoadDataRequest): Promise<LoadDataResult> =>
      busy(async () => {
        const sql = loadDataSql(table, columns, duplicates);
        let requested = false;
        try {
          const [result] = await connection.query({
            sql,
            infileStreamFactory: (name: string) => {
              // The server asks back for the file the statement names; nothing else may be read.
              if (name !== INFILE_NAME) {
                throw new SluiceError('WIRE_INVALID', `server asked for unexpected local file '${name}'`);
              }
              requested = true;
              return sourceStream(source, socket);
            },
          });
          const header = result as { affectedRows?: number; warningStatus?: number };
          return {
            affectedRows: Number(header.affectedRows ?? 0),
            warnings: Number(header.warningStatus ?? 0),
          };
        } catch (cause) {
          const message = reasonOf(cause);
          const hint = requested ? '' : ' (is local_infile enabled on the server?)';
          throw new DatabaseError(
            `LOAD DATA into ${table} failed on ${endpoint.host}:${endpoint.port}: ${message}${hint}`,
            cause,
          );
        }
      }),
    async transaction<T>(work: () => Promise<T>): Promise<T> {
      await session.query('START TRANSACTION');
      let result: T;
      try {
        result = await work();
      } catch (error) {
        // A lost connection rolls back on the server by itself; the rollback here may fail too.
        await connection.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
      await session.query('COMMIT');
      return result;
    },
    threadId: connection.threadId,
    async close(): Promise<void> {
      await connection.end().catch(() => connection.destroy());
    },
  };
  return session;
}

type QueuedSocket = NodeJS.WritableStream & {
  readonly writableLength?: number;
  ref?(): unknown;
  unref?(): unknown;
};

/**
 * An idle connection must not keep the process alive (a script that forgets `close()` still
 * exits, as with mysql2's own pools): the socket is unreferenced between statements and
 * referenced while one runs. Returns the wrapper every statement runs through.
 */
function idleUnref(socket: QueuedSocket | undefined): <T>(work: () => Promise<T>) => Promise<T> {
  let running = 0;
  socket?.unref?.();
  return async (work) => {
    if (running++ === 0) socket?.ref?.();
    try {
      return await work();
    } finally {
      if (--running === 0) socket?.unref?.();
    }
  };
}

/** The name in the statement; the server echoes it back and the stream factory checks it. */
const INFILE_NAME = 'sluice-stream.tsv';
/** Bytes queued on the socket beyond which the source is not read until the socket drains. */
const MAX_QUEUED_BYTES = 4 * 1024 * 1024;
/** mysql2 sends each chunk as one packet; packets stay well below the 16 MiB protocol limit. */
const MAX_PACKET_BYTES = 1024 * 1024;

/** The LOAD DATA statement for the default TSV escaping, identifiers quoted. */
export function loadDataSql(
  table: string,
  columns: readonly string[],
  duplicates: LoadDataRequest['duplicates'] = 'default',
): string {
  const columnList = columns.map((column) => quoteIdentifier(column)).join(', ');
  const handling = duplicates === 'ignore' ? 'IGNORE ' : duplicates === 'replace' ? 'REPLACE ' : '';
  return (
    `LOAD DATA LOCAL INFILE ${escapeLiteral(INFILE_NAME)} ${handling}INTO TABLE ${quoteTableName(table)} ` +
    `CHARACTER SET utf8mb4 FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' ` +
    `(${columnList})`
  );
}

/**
 * The source as a Readable that mysql2 consumes in flowing mode. mysql2 ignores the socket's
 * backpressure when it writes file packets, so the stream applies it: no chunk is pulled while
 * more than MAX_QUEUED_BYTES wait in the socket.
 */
function sourceStream(source: LoadSource, socket: QueuedSocket | undefined): Readable {
  const iterator =
    Symbol.asyncIterator in source
      ? (source as AsyncIterable<string | Uint8Array>)[Symbol.asyncIterator]()
      : (source as Iterable<string | Uint8Array>)[Symbol.iterator]();
  return new Readable({
    read() {
      void (async () => {
        try {
          if (socket && (socket.writableLength ?? 0) > MAX_QUEUED_BYTES) await once(socket, 'drain');
          let chunk: Buffer;
          do {
            const next = await iterator.next();
            if (next.done) {
              this.push(null);
              return;
            }
            const value = next.value;
            chunk =
              typeof value === 'string'
                ? Buffer.from(value, 'utf8')
                : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
            // An empty push would neither send anything nor ask for more: skip empty chunks.
          } while (chunk.length === 0);
          for (let start = 0; start < chunk.length; start += MAX_PACKET_BYTES) {
            this.push(chunk.subarray(start, start + MAX_PACKET_BYTES));
          }
        } catch (error) {
          this.destroy(error as Error);
        }
      })();
    },
    destroy(error, callback) {
      // Let a generator source run its finally blocks.
      Promise.resolve(iterator.return?.())
        .catch(() => undefined)
        .finally(() => callback(error));
    },
  });
}

/** Opens a session, runs `work`, and always closes the session. */
export async function withSession<T>(
  endpoint: DbEndpoint,
  work: (session: DbSession) => Promise<T>,
  options?: SessionOptions,
): Promise<T> {
  const session = await openSession(endpoint, options);
  try {
    return await work(session);
  } finally {
    await session.close();
  }
}

/** Escapes a literal for DDL, where parameters are not accepted (e.g. CREATE SERVER OPTIONS). */
export function escapeLiteral(value: string | number): string {
  return mysql.escape(value);
}
