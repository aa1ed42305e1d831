/**
 * One catalog of sluice errors. Every error carries a stable `code`, says whether retrying can
 * help (`retriable`), and keeps what caused it (`cause`), the way kafkajs and fastify do.
 */
export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'USAGE'
  | 'PORT_IN_USE'
  | 'PREREQUISITE_MISSING'
  | 'COMPONENT_FAILED'
  | 'COMPONENT_TIMEOUT'
  | 'DB_ERROR'
  /** The server sent what the protocol does not allow (a row packet cut short, a file it should not ask for). */
  | 'WIRE_INVALID'
  /** A reader thread failed or ended with work still assigned. */
  | 'READER_THREAD_FAILED'
  /** An Arrow type an operation does not handle. */
  | 'TYPE_UNSUPPORTED'
  /** A check of the demo found the stack not doing what it should. */
  | 'CHECK_FAILED'
  /** sluice broke one of its own invariants: a bug, never the input's fault. */
  | 'INTERNAL'
  | 'IDENTIFIER_INVALID'
  | 'PLAN_INVALID'
  | 'TABLE_NOT_FOUND'
  | 'READ_ABORTED'
  | 'PARTITION_FAILED'
  | 'ROWS_REJECTED'
  | 'PIPELINE_NOT_FOUND'
  | 'PIPELINE_STOPPED'
  | 'OFFSET_CONFLICT'
  | 'TRANSFORM_FAILED'
  /** One Kafka record cannot become a row; the pipeline keeps it in the errors table and goes on. */
  | 'RECORD_INVALID'
  | 'KAFKA_CODEC'
  /** A schema registry did not answer, or answered what it should not. */
  | 'SCHEMA_REGISTRY'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_READ_ONLY'
  | 'SQL_UNREADABLE'
  | 'QUERY_NOT_FOUND'
  | 'QUERY_TIMEOUT'
  | 'QUERY_CANCELLED'
  | 'TOO_MANY_QUERIES'
  | 'SOURCE_NOT_FOUND'
  | 'NOT_ACCEPTABLE'
  | 'CHECK_FAILED';

export interface SluiceErrorOptions {
  retriable?: boolean;
  cause?: unknown;
  /** Extra lines shown under the message, e.g. the tail of a server log. */
  details?: string;
}

export class SluiceError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly details: string | undefined;

  constructor(code: ErrorCode, message: string, options: SluiceErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = options.retriable ?? false;
    this.details = options.details;
  }
}

/** A configuration value or option that is not one of the valid ones. */
export class ConfigError extends SluiceError {
  constructor(message: string, options?: SluiceErrorOptions) {
    super('CONFIG_INVALID', message, options);
  }
}

/** A command line that cannot be understood. */
export class UsageError extends SluiceError {
  constructor(message: string) {
    super('USAGE', message);
  }
}

/**
 * A DataFrame program that cannot run as written: a missing column, a clash of names, a verb
 * used where it makes no sense. `context` holds the names involved (e.g. the available columns).
 */
export class PlanError extends SluiceError {
  readonly context: Readonly<Record<string, unknown>>;

  constructor(message: string, context: Record<string, unknown> = {}, code: ErrorCode = 'PLAN_INVALID') {
    super(code, message);
    this.context = Object.freeze({ ...context });
  }
}

/**
 * A request the HTTP service refuses or stops: who may not do what, a statement that is not a
 * read, a query over its limits. The code decides the HTTP status (src/http/errors.ts).
 */
export class RequestError extends SluiceError {
  readonly context: Readonly<Record<string, unknown>>;

  constructor(
    code: ErrorCode,
    message: string,
    context: Record<string, unknown> = {},
    options?: SluiceErrorOptions,
  ) {
    super(code, message, options);
    this.context = Object.freeze({ ...context });
  }
}

/** A stack component (a server, the broker) that could not be prepared, started or reached. */
export class StackError extends SluiceError {
  readonly component: string;

  constructor(code: ErrorCode, component: string, message: string, options?: SluiceErrorOptions) {
    super(code, message, options);
    this.component = component;
  }
}

/** An error the database returned; the driver's error (with errno and SQL state) is the cause. */
export class DatabaseError extends SluiceError {
  readonly errno: number | undefined;
  readonly sqlState: string | undefined;

  constructor(message: string, cause: unknown) {
    const driverError = cause as
      | { errno?: number; sqlState?: string; code?: string; fatal?: boolean }
      | undefined;
    // A fatal driver error means the connection is gone: a new connection may well succeed.
    const retriable = isTransientDriverError(driverError?.code) || driverError?.fatal === true;
    super('DB_ERROR', message, { cause, retriable });
    this.errno = driverError?.errno;
    this.sqlState = driverError?.sqlState;
  }
}

const TRANSIENT_DRIVER_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'PROTOCOL_CONNECTION_LOST',
  'ER_LOCK_DEADLOCK',
  'ER_LOCK_WAIT_TIMEOUT',
]);

function isTransientDriverError(code: string | undefined): boolean {
  return code !== undefined && TRANSIENT_DRIVER_CODES.has(code);
}

/**
 * What went wrong, in the words of the error that caused it: its message, or its code when the
 * message is empty (Node's AggregateError for a refused dual-stack connect has no message, only
 * `code: 'ECONNREFUSED'` and the per-address errors).
 */
export function reasonOf(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  if (cause.message) return cause.message;
  const inner = (cause as { errors?: unknown[] }).errors?.find(
    (error) => error instanceof Error && error.message,
  );
  if (inner instanceof Error) return inner.message;
  const code = (cause as { code?: unknown }).code;
  return typeof code === 'string' ? code : cause.name;
}

/** Renders an error for a person: message, details, and the chain of causes; no stack trace. */
export function describeError(error: unknown): string {
  const lines: string[] = [];
  let current: unknown = error;
  let depth = 0;
  while (current !== undefined && current !== null && depth < 5) {
    if (current instanceof Error) {
      const code = (current as { code?: unknown }).code;
      const prefix = depth === 0 ? 'error' : 'caused by';
      lines.push(`${prefix}: ${current.message}${typeof code === 'string' ? ` [${code}]` : ''}`);
      if (current instanceof SluiceError && current.details) lines.push(current.details);
      current = current.cause;
    } else {
      lines.push(`${depth === 0 ? 'error' : 'caused by'}: ${String(current)}`);
      current = undefined;
    }
    depth++;
  }
  return lines.join('\n');
}
