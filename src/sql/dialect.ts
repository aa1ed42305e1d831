import type { CastType } from '../plan/expr.ts';
import { quoteIdentifier } from './identifiers.ts';

export type DialectName = 'mariadb' | 'mysql' | 'singlestore';

/**
 * What differs between MySQL-wire databases, as narrow hooks and capability flags with documented
 * defaults, so the compiler core never asks which database it is talking to.
 */
export interface Dialect {
  readonly name: DialectName;
  quoteIdentifier(name: string): string;
  /** The SQL type a CAST targets. */
  castType(to: CastType): string;
  /** A dialect's own rendering of a registry function; undefined keeps the registry's standard one. */
  renderFunction?(name: string, args: readonly string[]): string | undefined;
  /** Functions the database lacks: expressions using them are computed locally instead. */
  readonly unsupportedFunctions: ReadonlySet<string>;
  /** FULL OUTER JOIN exists (false for MySQL and MariaDB: such joins run locally). */
  readonly fullOuterJoin: boolean;
  /**
   * The statement with limits the database itself enforces (a time limit, read-only); a dialect
   * without a way to say one leaves the text as it is and the caller's other layers hold.
   */
  limitStatement?(sql: string, limits: StatementLimits): string;
  /**
   * What the database's window functions cost, in CPU µs per input row for each function, when
   * measured (optimizer/pushdown/window.ts keeps a window local where reading its input is
   * cheaper); undefined: windows are pushed whenever they compile.
   */
  readonly windowCost?: WindowCost;
}

/** CPU µs per input row of one window function of each class. */
export interface WindowCost {
  /** ROW_NUMBER, RANK, DENSE_RANK. */
  readonly ranking: number;
  /** LAG, LEAD, FIRST_VALUE, LAST_VALUE. */
  readonly offset: number;
  /** An aggregate over a frame (SUM, AVG, STDDEV, MIN, MAX, COUNT). */
  readonly aggregate: number;
}

/** Limits a database enforces on one statement (the HTTP service sets them per query). */
export interface StatementLimits {
  /** The statement is stopped by the server after this many milliseconds. */
  readonly maxStatementMs?: number;
  /** The statement runs in a read-only transaction: any write fails in the database. */
  readonly readOnly?: boolean;
}

/** MariaDB: `SET STATEMENT var=value, … FOR statement` scopes session variables to one statement. */
export function mariadbLimitStatement(sql: string, limits: StatementLimits): string {
  const settings: string[] = [];
  if (limits.readOnly) settings.push('tx_read_only=1');
  if (limits.maxStatementMs !== undefined && limits.maxStatementMs > 0) {
    settings.push(`max_statement_time=${(Math.ceil(limits.maxStatementMs) / 1000).toFixed(3)}`);
  }
  return settings.length === 0 ? sql : `SET STATEMENT ${settings.join(', ')} FOR ${sql}`;
}

/** MySQL: the MAX_EXECUTION_TIME optimizer hint after the first SELECT (read-only has no per-statement form). */
export function mysqlLimitStatement(sql: string, limits: StatementLimits): string {
  if (limits.maxStatementMs === undefined || limits.maxStatementMs <= 0) return sql;
  return sql.replace(
    /^\s*SELECT\b/i,
    (select) => `${select} /*+ MAX_EXECUTION_TIME(${Math.ceil(limits.maxStatementMs!)}) */`,
  );
}

const CAST_TYPES: Record<CastType, string> = {
  int: 'SIGNED',
  bigint: 'SIGNED',
  double: 'DOUBLE',
  decimal: 'DECIMAL(38,10)',
  string: 'CHAR',
  date: 'DATE',
  timestamp: 'DATETIME(6)',
  boolean: 'SIGNED',
};

export function mysqlFamilyDialect(name: DialectName, overrides: Partial<Dialect> = {}): Dialect {
  return Object.freeze({
    name,
    quoteIdentifier,
    castType: (to: CastType) => CAST_TYPES[to],
    unsupportedFunctions: new Set<string>(),
    fullOuterJoin: false,
    ...overrides,
  });
}
