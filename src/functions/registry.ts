/**
 * Scalar functions sluice knows: arity, and how each renders in SQL. A dialect may override a
 * rendering or declare a function unsupported, in which case the expression stays local.
 */
import { ConfigError } from '../errors.ts';

export interface FunctionSpec {
  readonly name: string;
  readonly minArgs: number;
  readonly maxArgs: number;
  /** Standard MySQL-family rendering from already-compiled argument SQL. */
  readonly sql: (args: readonly string[]) => string;
}

const plain =
  (sqlName: string) =>
  (args: readonly string[]): string =>
    `${sqlName}(${args.join(', ')})`;

const spec = (name: string, minArgs: number, maxArgs: number, sql: FunctionSpec['sql']): FunctionSpec =>
  Object.freeze({ name, minArgs, maxArgs, sql });

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
