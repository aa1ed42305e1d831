/**
 * Result rows as raw bytes. mysql2 frames the packets (and handles auth, TLS, compression and
 * parameter formatting); this module takes over its Query command at the row state, so each row
 * packet's payload goes straight to a handler instead of becoming a JS object. With `driver.ts`,
 * the only module that imports mysql2.
 *
 * It relies on two mysql2 internals, checked by the integration tests: the Query command reads
 * rows through `this.row` once the column definitions are in (`fieldsEOF` returns it), and the
 * parser hands every packet in one reused object with `buffer`, `offset` and `end`.
 */
import mysql from 'mysql2';
import { DatabaseError, reasonOf } from '../base/errors.ts';
import type { ColumnMeta } from './column-meta.ts';
import { connectionTarget, type DbEndpoint } from './endpoint.ts';

/** Receives one result set: its columns once, then every row's payload. */
export interface RawRowHandler {
  /** `binary`: the rows come in the binary protocol (`binary()` accepted these columns). */
  columns(columns: readonly ColumnMeta[], binary: boolean): void;
  /** The row in `buf[start, end)`, text or binary protocol; the bytes are only valid during the call. */
  row(buf: Uint8Array, start: number, end: number): void;
  /**
   * Whether to take the rows in the binary protocol, given the columns the server describes for
   * the prepared statement: numbers then travel as machine words, which the server does not
   * format as text. Without it (or when it says no) the statement runs as a plain query.
   */
  binary?(columns: readonly ColumnMeta[]): boolean;
}

export interface RawConnection {
  readonly endpoint: DbEndpoint;
  /** The server's id for this connection, for `KILL QUERY`. */
  readonly threadId: number;
  /** False once the connection failed or was closed; it must not be reused. */
  readonly usable: boolean;
  /**
   * Runs one SELECT and feeds its result to `handler`; resolves with the row count when the last
   * row is in. Values travel as `?` parameters (formatted client-side and escaped by mysql2).
   */
  stream(sql: string, params: readonly unknown[], handler: RawRowHandler): Promise<number>;
  /** The columns a statement would return, from COM_STMT_PREPARE: nothing is executed. */
  describe(sql: string): Promise<ColumnMeta[]>;
  /** Stops reading the socket (TCP backpressure reaches the server) / starts again. */
  pause(): void;
  resume(): void;
  close(): Promise<void>;
  /** Drops the socket at once. */
  destroy(): void;
  /** Whether the open socket keeps the process alive: an idle pooled connection must not. */
  keepAlive(on: boolean): void;
}

export interface RawConnectionOptions {
  connectTimeoutMs?: number;
  /**
   * Seconds the server waits to write to a client that does not read (MySQL's
   * net_write_timeout). A paused stream holds the server at a write, so this bounds how long a
   * consumer may stall before the server gives up the query. Default 3600.
   */
  netWriteTimeoutSeconds?: number;
}

/** The driver's packet, as far as this module reads it. */
interface WirePacket {
  buffer: Uint8Array;
  offset: number;
  end: number;
  isEOF(): boolean;
  eofStatusFlags(): number;
}

/** The driver's column definition, as far as this module reads it. */
interface WireColumn {
  name: string;
  table?: string;
  columnType: number;
  flags: number;
  columnLength: number;
  decimals: number;
  characterSet: number;
  extendedTypeName?: string;
  extendedFormat?: string;
}

type RowState = (this: QueryInternals, packet: WirePacket, connection: unknown) => RowState | null;

interface QueryInternals {
  row: RowState;
  done(): null;
  on(event: 'fields', listener: (fields: WireColumn[]) => void): void;
}

/** The driver's Execute command, as far as this module reads it: rows go through its row parser. */
interface ExecuteInternals {
  buildParserFromFields(): new () => { next(packet: WirePacket): null };
  on(event: 'fields', listener: (fields: WireColumn[]) => void): ExecuteInternals;
  on(event: 'error', listener: (error: Error & { fatal?: boolean }) => void): ExecuteInternals;
  on(event: 'end', listener: () => void): ExecuteInternals;
}

interface PreparedStatement {
  readonly columns?: WireColumn[];
  execute(values: unknown[]): unknown;
}

const SERVER_MORE_RESULTS_EXISTS = 8;

function columnMeta(column: WireColumn): ColumnMeta {
  const extendedType = column.extendedTypeName || column.extendedFormat || undefined;
  return {
    name: column.name,
    table: column.table ?? '',
    columnType: column.columnType,
    flags: column.flags,
    columnLength: column.columnLength,
    decimals: column.decimals,
    characterSet: column.characterSet,
    ...(extendedType ? { extendedType } : {}),
  };
}

function where(endpoint: DbEndpoint): string {
  return `${endpoint.host}:${endpoint.port}`;
}

export async function openRawConnection(
  endpoint: DbEndpoint,
  options: RawConnectionOptions = {},
): Promise<RawConnection> {
  const connection = mysql.createConnection({
    ...connectionTarget(endpoint),
    connectTimeout: options.connectTimeoutMs ?? 10_000,
    // Date parameters are formatted in UTC, matching the session time zone set below.
    timezone: 'Z',
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
  });
  let usable = true;
  // A socket error with no query running must not crash the process; the connection is just dead.
  // A prepared statement's rows come as events: its connection loss reaches only this listener.
  let lostDuringEvents: ((error: Error & { fatal?: boolean }) => void) | undefined;
  connection.on('error', (error: Error) => {
    usable = false;
    lostDuringEvents?.(error);
  });
  const run = (sql: string, params: readonly unknown[] = []) =>
    new Promise<void>((resolve, reject) => {
      connection.query(sql, params as unknown[], (error) => (error ? reject(error) : resolve()));
    });
  try {
    await new Promise<void>((resolve, reject) =>
      connection.connect((error) => (error ? reject(error) : resolve())),
    );
    // TIMESTAMP values arrive in UTC, so they map to Timestamp(µs, 'UTC') without guessing zones.
    await run('SET time_zone = ?, net_write_timeout = ?', [
      '+00:00',
      Math.max(1, Math.floor(options.netWriteTimeoutSeconds ?? 3600)),
    ]);
  } catch (cause) {
    connection.destroy();
    throw new DatabaseError(
      `cannot connect to ${where(endpoint)} as ${endpoint.user}: ${reasonOf(cause)}`,
      cause,
    );
  }

  /** Rejects the statement in progress, if any. */
  let abortCurrent: ((error: unknown) => void) | undefined;
  const drop = () => {
    usable = false;
    // end() alone half-closes and keeps reading; the socket itself must go.
    connection.destroy();
    (connection as unknown as { stream?: { destroy(): void } }).stream?.destroy();
  };

  /**
   * The bookkeeping of one statement: its rows counted into `handler`, its columns taken once,
   * its promise settled once. A failure of the handler (or destroy()) ends the statement early:
   * the rest of the result cannot be skipped cheaply, so the socket is dropped and the connection
   * is not reused.
   */
  const statementRun = (
    handler: RawRowHandler,
    binary: boolean,
    resolve: (rows: number) => void,
    reject: (error: unknown) => void,
  ) => {
    let rows = 0;
    let sawColumns = false;
    const run = {
      settled: false,
      settle(error: unknown) {
        if (run.settled) return;
        run.settled = true;
        abortCurrent = undefined;
        lostDuringEvents = undefined;
        if (error === undefined) resolve(rows);
        else reject(error);
      },
      fail(error: unknown) {
        drop();
        run.settle(error);
      },
      failed(error: Error & { fatal?: boolean }) {
        if (error.fatal) usable = false;
        run.settle(new DatabaseError(`query failed on ${where(endpoint)}: ${error.message}`, error));
      },
      ended() {
        if (sawColumns) run.settle(undefined);
        else
          run.settle(new DatabaseError(`statement returned no result set on ${where(endpoint)}`, undefined));
      },
      fields(fields: WireColumn[]) {
        if (run.settled) return;
        try {
          if (sawColumns) throw new DatabaseError('statement returned more than one result set', undefined);
          sawColumns = true;
          handler.columns(fields.map(columnMeta), binary);
        } catch (error) {
          run.fail(error);
        }
      },
      row(packet: WirePacket) {
        if (run.settled) return;
        try {
          handler.row(packet.buffer, packet.offset, packet.end);
          rows++;
        } catch (error) {
          run.fail(error);
        }
      },
    };
    abortCurrent = run.fail;
    return run;
  };

  /** One statement's result through `handler` in the text protocol (a plain query). */
  const streamText = (sql: string, params: readonly unknown[], handler: RawRowHandler) =>
    new Promise<number>((resolve, reject) => {
      const run = statementRun(handler, false, resolve, reject);
      const query = connection.query(sql, params as unknown[], (error) => {
        if (error) run.failed(error);
        else run.ended();
      }) as unknown as QueryInternals;
      query.on('fields', run.fields);
      const row: RowState = function (this: QueryInternals, packet) {
        if (packet.isEOF()) {
          if (packet.eofStatusFlags() & SERVER_MORE_RESULTS_EXISTS) {
            run.fail(new DatabaseError('statement returned more than one result set', undefined));
            return null;
          }
          return this.done();
        }
        run.row(packet);
        return row;
      };
      query.row = row;
    });

  /** One statement's result through `handler` in the binary protocol, from a prepared statement. */
  const streamBinary = (statement: PreparedStatement, handler: RawRowHandler) =>
    new Promise<number>((resolve, reject) => {
      const run = statementRun(handler, true, resolve, reject);
      lostDuringEvents = run.failed;
      // Without a callback the command emits its rows as events, and keeps none.
      const command = statement.execute([]) as ExecuteInternals;
      command.buildParserFromFields = () =>
        class {
          next(packet: WirePacket): null {
            run.row(packet);
            return null;
          }
        };
      command.on('fields', run.fields).on('error', run.failed).on('end', run.ended);
    });

  const raw: RawConnection = {
    endpoint,
    threadId: connection.threadId ?? -1,
    get usable() {
      return usable;
    },
    stream(sql, params, handler) {
      if (!handler.binary) return streamText(sql, params, handler);
      // Parameters formatted into the text as the plain query would have them (mysql2's format),
      // so the statement means the same in both protocols.
      const text = params.length > 0 ? connection.format(sql, params as unknown[]) : sql;
      return new Promise<number>((resolve, reject) => {
        connection.prepare(text, (error, statement) => {
          // A statement the server cannot prepare runs as a plain query (with its own error, if any).
          if (error) {
            streamText(sql, params, handler).then(resolve, reject);
            return;
          }
          const prepared = statement as unknown as PreparedStatement;
          const binary = handler.binary!((prepared.columns ?? []).map(columnMeta));
          const run = binary ? streamBinary(prepared, handler) : streamText(sql, params, handler);
          run
            .finally(() => {
              if (usable) connection.unprepare(text);
            })
            .then(resolve, reject);
        });
      });
    },
    describe(sql) {
      return new Promise<ColumnMeta[]>((resolve, reject) => {
        connection.prepare(sql, (error, statement) => {
          if (error) {
            reject(
              new DatabaseError(`cannot describe the query on ${where(endpoint)}: ${error.message}`, error),
            );
            return;
          }
          const columns = ((statement as unknown as { columns: WireColumn[] }).columns ?? []).map(columnMeta);
          statement.close();
          resolve(columns);
        });
      });
    },
    pause() {
      connection.pause();
    },
    resume() {
      connection.resume();
    },
    close() {
      usable = false;
      return new Promise<void>((resolve) => {
        connection.end(() => {
          connection.destroy();
          resolve();
        });
      });
    },
    keepAlive(on) {
      const socket = (connection as unknown as { stream?: { ref?(): void; unref?(): void } }).stream;
      if (on) socket?.ref?.();
      else socket?.unref?.();
    },
    destroy() {
      abortCurrent?.(
        new DatabaseError(`connection to ${where(endpoint)} was closed during the query`, undefined),
      );
      drop();
    },
  };
  return raw;
}

/**
 * Stops the statement a connection is running (`KILL QUERY`), from a separate connection. The
 * connection itself stays open; a statement that already finished is not affected.
 */
export async function killQuery(endpoint: DbEndpoint, threadId: number): Promise<void> {
  const connection = mysql.createConnection({
    host: endpoint.host,
    port: endpoint.port,
    user: endpoint.user,
    password: endpoint.password,
    connectTimeout: 10_000,
  });
  connection.on('error', () => undefined);
  try {
    await new Promise<void>((resolve, reject) => {
      // KILL takes no placeholders; the id is an integer we got from the server.
      connection.query(`KILL QUERY ${Math.trunc(threadId)}`, (error) => {
        // 1094 (unknown thread): the connection is already gone, which is what we wanted.
        if (error && (error as { errno?: number }).errno !== 1094) reject(error);
        else resolve();
      });
    });
  } catch (cause) {
    throw new DatabaseError(`KILL QUERY ${threadId} failed on ${where(endpoint)}: ${reasonOf(cause)}`, cause);
  } finally {
    connection.destroy();
  }
}

/**
 * mysql2's own row objects, streamed: the baseline the Arrow reader is measured against
 * (`bench/read.ts`). Same connection settings as `DbSession` (dates and big numbers as strings),
 * or mysql2's defaults.
 */
export async function forEachRowObject(
  endpoint: DbEndpoint,
  sql: string,
  params: readonly unknown[],
  onRow: (row: Record<string, unknown>) => void,
  options: { readonly driverDefaults?: boolean } = {},
): Promise<number> {
  const connection = mysql.createConnection({
    ...connectionTarget(endpoint),
    // mysql2's defaults make Date objects of dates and numbers of BIGINTs; DbSession's make strings.
    ...(options.driverDefaults ? {} : { dateStrings: true, supportBigNumbers: true, bigNumberStrings: true }),
  });
  connection.on('error', () => undefined);
  try {
    return await new Promise<number>((resolve, reject) => {
      let rows = 0;
      connection
        .query(sql, params as unknown[])
        .on('result', (row) => {
          rows++;
          onRow(row as Record<string, unknown>);
        })
        .on('error', (error) =>
          reject(new DatabaseError(`query failed on ${where(endpoint)}: ${error.message}`, error)),
        )
        .on('end', () => resolve(rows));
    });
  } finally {
    connection.destroy();
  }
}
