/**
 * Scalar functions sluice knows: arity, and how each renders in SQL. A dialect may override a
 * rendering or declare a function unsupported, in which case the expression stays local.
 */
import { ConfigError } from '../base/errors.ts';

export interface FunctionSpec {
  readonly name: string;
  readonly minArgs: number;
  readonly maxArgs: number;
  /** Standard MySQL-family rendering from already-compiled argument SQL. */
  readonly sql: (args: readonly string[]) => string;
  /**
   * An argument that is an SQL keyword (a date unit), not a value: it must be a string literal
   * from `allowed` and reaches `sql` as that keyword in lower case, never as a parameter.
   */
  readonly keywordArg?: { readonly index: number; readonly allowed: readonly string[] };
}

export const DATE_UNITS = ['year', 'quarter', 'month', 'week', 'day', 'hour', 'minute', 'second'] as const;
export type DateUnit = (typeof DATE_UNITS)[number];

const TRUNC_FORMATS: Partial<Record<DateUnit, string>> = {
  month: '%Y-%m-01',
  day: '%Y-%m-%d',
  hour: '%Y-%m-%d %H:00:00',
  minute: '%Y-%m-%d %H:%i:00',
  second: '%Y-%m-%d %H:%i:%s',
};

/** DATE_TRUNC for the MySQL family, which has none; `unit` is a validated keyword. */
function dateTruncSql([unit, value]: readonly string[]): string {
  if (unit === 'year') return `MAKEDATE(YEAR(${value}), 1)`;
  if (unit === 'quarter') return `(MAKEDATE(YEAR(${value}), 1) + INTERVAL (QUARTER(${value}) - 1) QUARTER)`;
  if (unit === 'week') return `(DATE(${value}) - INTERVAL WEEKDAY(${value}) DAY)`;
  const format = TRUNC_FORMATS[unit as DateUnit]!;
  const type = unit === 'month' || unit === 'day' ? 'DATE' : 'DATETIME';
  return `CAST(DATE_FORMAT(${value}, '${format}') AS ${type})`;
}

const plain =
  (sqlName: string) =>
  (args: readonly string[]): string =>
    `${sqlName}(${args.join(', ')})`;

const spec = (
  name: string,
  minArgs: number,
  maxArgs: number,
  sql: FunctionSpec['sql'],
  keywordArg?: FunctionSpec['keywordArg'],
): FunctionSpec => Object.freeze({ name, minArgs, maxArgs, sql, keywordArg });

const SPECS: readonly FunctionSpec[] = [
  spec('abs', 1, 1, plain('ABS')),
  spec('round', 1, 2, plain('ROUND')),
  spec('floor', 1, 1, plain('FLOOR')),
  spec('ceil', 1, 1, plain('CEIL')),
  spec('sqrt', 1, 1, plain('SQRT')),
  spec('ln', 1, 1, plain('LN')),
  spec('log', 1, 2, plain('LOG')),
  spec('exp', 1, 1, plain('EXP')),
  spec('pow', 2, 2, plain('POW')),
  spec('greatest', 2, 64, plain('GREATEST')),
  spec('least', 2, 64, plain('LEAST')),
  spec('coalesce', 1, 64, plain('COALESCE')),
  spec('lower', 1, 1, plain('LOWER')),
  spec('upper', 1, 1, plain('UPPER')),
  spec('length', 1, 1, plain('CHAR_LENGTH')),
  spec('substr', 2, 3, plain('SUBSTRING')),
  spec('concat', 1, 64, plain('CONCAT')),
  spec('trim', 1, 1, plain('TRIM')),
  spec('replace', 3, 3, plain('REPLACE')),
  spec('year', 1, 1, plain('YEAR')),
  spec('month', 1, 1, plain('MONTH')),
  spec('day', 1, 1, plain('DAYOFMONTH')),
  spec('hour', 1, 1, plain('HOUR')),
  spec('dateDiff', 2, 2, plain('DATEDIFF')),
  spec('dateTrunc', 2, 2, dateTruncSql, { index: 0, allowed: DATE_UNITS }),
  // dateAdd(value, amount, unit): the amount is a parameter, the unit a validated keyword.
  spec('dateAdd', 3, 3, ([value, amount, unit]) => `(${value} + INTERVAL ${amount} ${unit!.toUpperCase()})`, {
    index: 2,
    allowed: DATE_UNITS,
  }),
];

const BY_NAME = new Map(SPECS.map((entry) => [entry.name, entry]));

export function functionSpec(name: string): FunctionSpec {
  const found = BY_NAME.get(name);
  if (!found) {
    throw new ConfigError(
      `unknown function '${name}'; known functions: ${[...BY_NAME.keys()].sort().join(', ')}`,
    );
  }
  return found;
}

export function checkArity(name: string, count: number): void {
  const { minArgs, maxArgs } = functionSpec(name);
  if (count < minArgs || count > maxArgs) {
    const expected = minArgs === maxArgs ? `${minArgs}` : `${minArgs} to ${maxArgs}`;
    throw new ConfigError(`function '${name}' takes ${expected} argument(s), got ${count}`);
  }
}
