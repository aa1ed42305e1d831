/** What the data commands (query, explain, load, shell) share: argument parsing and the database. */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from '../base/errors.ts';
import { describeSource, resolveDatabase, type SourceDefinition } from '../config/sources.ts';

/** The options that pick a database, common to every data command. */
export const SOURCE_OPTIONS = {
  db: { type: 'string' },
  source: { type: 'string', short: 's' },
  config: { type: 'string' },
} as const;

export const SOURCE_USAGE = `  --db URL                  mysql://user:password@host:port/database
  -s, --source NAME         a named source from sluice.config.json or SLUICE_SOURCE_<NAME>
  --config FILE             the sources file (default ./sluice.config.json)`;

/** parseArgs with the command's usage in every argument error. */
export function parseCommand<T extends NonNullable<ParseArgsConfig['options']>>(
  argv: readonly string[],
  options: T,
  usage: string,
  // Spelled out so the declaration emit (dist/*.d.ts) can name it.
): ReturnType<typeof parseArgs<{ args: string[]; options: T; allowPositionals: true; strict: true }>> {
  try {
    return parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${usage}`);
  }
}

/** The database of `--db`, `--source`, the config's default, or SLUICE_DB_URL; a usage error otherwise. */
export async function requireDatabase(values: {
  db?: string;
  source?: string;
  config?: string;
}): Promise<SourceDefinition> {
  if (values.db !== undefined && values.source !== undefined) {
    throw new UsageError('give either --db URL or --source NAME, not both');
  }
  const source = await resolveDatabase({ db: values.db, source: values.source, configPath: values.config });
  if (!source) {
    throw new UsageError(
      'which database? give --db URL or --source NAME (sources come from sluice.config.json or SLUICE_SOURCE_<NAME>), or set SLUICE_DB_URL',
    );
  }
  return source;
}

export { describeSource };

/** A positive integer option, or a usage error naming it. */
export function positiveInteger(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) {
    throw new UsageError(`${name} must be a positive integer, not '${value}'`);
  }
  return number;
}
