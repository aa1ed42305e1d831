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
