/**
 * One table from sluice error codes to HTTP statuses, and the JSON body every error answer has:
 * `{error: {code, message, retriable, query_id?, context?}}`. Messages are sluice's own, which
 * never carry a password (connections are named by `endpointUrl`, without it).
 */
import type { FastifyError } from 'fastify';
import { type ErrorCode, PlanError, RequestError, SluiceError } from '../base/errors.ts';

const STATUS: Partial<Record<ErrorCode, number>> = {
  CONFIG_INVALID: 400,
  USAGE: 400,
  PLAN_INVALID: 400,
  TABLE_NOT_FOUND: 404,
  IDENTIFIER_INVALID: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_READ_ONLY: 403,
  SQL_UNREADABLE: 400,
  QUERY_NOT_FOUND: 404,
  SOURCE_NOT_FOUND: 404,
  PIPELINE_NOT_FOUND: 404,
  QUERY_TIMEOUT: 408,
  QUERY_CANCELLED: 499,
  READ_ABORTED: 499,
  TOO_MANY_QUERIES: 429,
  NOT_ACCEPTABLE: 406,
  ROWS_REJECTED: 400,
  OFFSET_CONFLICT: 409,
};

/** MariaDB/MySQL errors that are the query's fault, not the server's. */
const CLIENT_ERRNOS = new Set([
  1054, // unknown column
  1064, // syntax
  1146, // no such table
  1049, // unknown database
  1052, // ambiguous column
  1055, // not in GROUP BY
  1056,
  1060, // duplicate column name
  1066, // not unique table/alias
  1111, // invalid use of group function
  1140, // mixing aggregates
  1222, // different number of columns
  1241, // operand should contain N columns
  1242, // subquery returns more than 1 row
  1247, // reference not supported
  1248, // derived table needs alias
  1305, // function does not exist
  1267, // illegal mix of collations
  1271,
  1365, // division by 0
  1292, // truncated incorrect value
  1366,
  1367,
  1582, // wrong parameter count
  1583,
  1584,
  1690, // value out of range
  1792, // write in a READ ONLY transaction
  3780,
  4078,
  1142, // command denied
  1143, // column access denied
  1044, // access denied to database
  1227, // needs privilege
]);
/** The statement ran past max_statement_time (MariaDB) / MAX_EXECUTION_TIME (MySQL). */
export const TIMEOUT_ERRNOS = new Set([1969, 3024]);

function errnoOf(error: unknown): number | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current; depth++) {
    const errno = (current as { errno?: unknown }).errno;
    if (typeof errno === 'number') return errno;
    const text = (current as { message?: unknown }).message;
    if (typeof text === 'string') {
      if (/max_statement_time exceeded|maximum statement execution time exceeded/i.test(text)) return 1969;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

export interface ErrorAnswer {
  readonly status: number;
  readonly body: {
    error: { code: string; message: string; retriable: boolean; query_id?: string; context?: unknown };
  };
}

/** The HTTP answer for an error thrown while handling a request. */
export function errorAnswer(error: unknown, queryId?: string): ErrorAnswer {
  const withId = (
    status: number,
    code: string,
    message: string,
    retriable: boolean,
    context?: unknown,
  ): ErrorAnswer => ({
    status,
    body: {
      error: {
        code,
        message,
        retriable,
        ...(queryId ? { query_id: queryId } : {}),
        ...(context && Object.keys(context as object).length > 0 ? { context } : {}),
      },
    },
  });
  if (error instanceof SluiceError) {
    const errno = errnoOf(error);
    if (errno !== undefined && TIMEOUT_ERRNOS.has(errno)) {
      return withId(408, 'QUERY_TIMEOUT', `the query ran past its time limit: ${firstLine(error)}`, false);
    }
    let status = STATUS[error.code];
    if (status === undefined && (error.code === 'DB_ERROR' || error.code === 'PARTITION_FAILED')) {
      status = errno !== undefined && CLIENT_ERRNOS.has(errno) ? 400 : error.retriable ? 503 : 502;
    }
    const context = error instanceof RequestError || error instanceof PlanError ? error.context : undefined;
    return withId(status ?? 500, error.code, firstLine(error), error.retriable, context);
  }
  const fastifyError = error as FastifyError;
  // fastify's own answers: bad bodies (4xx) and @fastify/under-pressure's 503.
  if (
    typeof fastifyError?.statusCode === 'number' &&
    (fastifyError.statusCode < 500 || fastifyError.statusCode === 503)
  ) {
    return withId(
      fastifyError.statusCode,
      fastifyError.code ?? 'BAD_REQUEST',
      fastifyError.message,
      fastifyError.statusCode === 503,
    );
  }
  return withId(500, 'INTERNAL', 'internal error (see the server log)', false);
}

function firstLine(error: Error): string {
  const causes: string[] = [];
  let current: unknown = error.cause;
  for (let depth = 0; depth < 3 && current instanceof Error; depth++) {
    causes.push(current.message);
    current = current.cause;
  }
  const message = error.message.length > 2000 ? `${error.message.slice(0, 2000)}…` : error.message;
  return causes.length > 0 && !message.includes(causes[0]!)
    ? `${message} (caused by: ${causes[0]})`
    : message;
}
