/**
 * `sluice load FILE TABLE`: a CSV, TSV, NDJSON, Arrow or Parquet file into an existing table
 * through the bulk writer (LOAD DATA LOCAL INFILE; multi-row INSERT for upsert), in ONE
 * transaction: with bad rows failing the load (the default) either every row commits or none.
 */

import { UsageError } from '../base/errors.ts';
import { withSession } from '../db/driver.ts';
import { endpointUrl } from '../db/endpoint.ts';
import { quoteIdentifier } from '../sql/identifiers.ts';
import { writeBatch } from '../writer/bulk-writer.ts';
import { type RowRejection, WRITE_MODES, type WriteMode } from '../writer/rows.ts';
import { parseCommand, positiveInteger, requireDatabase, SOURCE_OPTIONS, SOURCE_USAGE } from './common.ts';
import { INPUT_FORMATS, inputFormat, readRowChunks } from './file-readers.ts';
import { Progress } from './progress.ts';

export const LOAD_USAGE = `usage: sluice load FILE TABLE [options]

Loads FILE (${INPUT_FORMATS.join(', ')}; the format from its extension) into TABLE, which
must exist, in one transaction. Columns are matched by name: the CSV header, the NDJSON keys,
the Arrow or Parquet field names.

options:
${SOURCE_USAGE}
  --mode M                  ${WRITE_MODES.join(' | ')} (default append: a duplicate key fails the load)
  --update-columns A,B      upsert: the columns a duplicate key updates (default: all written)
  --bad-rows fail|collect   collect: write the good rows, list the bad ones (default fail: nothing commits)
  --format F                the file's format when its extension does not say
  --columns A,B,C           CSV/TSV without a header line: its columns
  --batch-rows N            rows per bulk statement (default 50000)
  --json                    the result as JSON on stdout
  -q, --quiet               no progress line (it is only shown on a terminal anyway)
  -h, --help                this text`;

const LOAD_OPTIONS = {
  ...SOURCE_OPTIONS,
  mode: { type: 'string' },
  'update-columns': { type: 'string' },
  'bad-rows': { type: 'string' },
  format: { type: 'string' },
  columns: { type: 'string' },
  'batch-rows': { type: 'string' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
} as const;

export interface LoadSummary {
  readonly file: string;
  readonly table: string;
  readonly rows: number;
  readonly written: number;
  readonly duplicates: number;
  readonly rejected: readonly (RowRejection & { row: number })[];
  readonly seconds: number;
}

export async function runLoadCommand(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommand(argv, LOAD_OPTIONS, LOAD_USAGE);
  if (values.help) {
    process.stdout.write(`${LOAD_USAGE}\n`);
    return 0;
  }
  const [file, table, ...extra] = positionals;
  if (!file || !table) throw new UsageError(`give the file and the table\n\n${LOAD_USAGE}`);
  if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'\n\n${LOAD_USAGE}`);
  const mode = (values.mode ?? 'append') as WriteMode;
  if (!WRITE_MODES.includes(mode)) {
    throw new UsageError(
      `--mode '${values.mode}' is not a write mode; valid modes: ${WRITE_MODES.join(', ')}`,
    );
  }
  const badRows = values['bad-rows'] ?? 'fail';
  if (badRows !== 'fail' && badRows !== 'collect') {
    throw new UsageError(`--bad-rows takes fail or collect, not '${badRows}'`);
  }
  const format = inputFormat(file, values.format);
  const chunkRows = positiveInteger(values['batch-rows'], '--batch-rows');
  const list = (text: string | undefined) =>
    text
      ?.split(',')
      .map((name) => name.trim())
      .filter(Boolean);
  const source = await requireDatabase(values);
  const progress = new Progress({ quiet: values.quiet, verb: 'loaded' });
  const summary = await withSession(source.endpoint, (session) =>
    session.transaction(async () => {
      let rows = 0;
      let written = 0;
      let duplicates = 0;
      let bytesSeen = 0;
      const rejected: (RowRejection & { row: number })[] = [];
      for await (const chunk of readRowChunks(file, { format, chunkRows, columns: list(values.columns) })) {
        const result = await writeBatch(session, table, chunk.columns, chunk.rows, {
          mode,
          badRows,
          ...(values['update-columns'] ? { updateColumns: list(values['update-columns']) } : {}),
        });
        for (const rejection of result.rejected)
          rejected.push({ ...rejection, row: rows + rejection.index + 1 });
        rows += chunk.rows.length;
        written += result.written;
        duplicates += result.duplicates;
        progress.add(chunk.rows.length, chunk.position.done - bytesSeen, chunk.position);
        bytesSeen = chunk.position.done;
      }
      return { rows, written, duplicates, rejected };
    }),
  ).finally(() => progress.finish());
  const result: LoadSummary = { file, table, ...summary, seconds: progress.summary.seconds };
  if (values.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } else {
    const parts = [
      `loaded ${result.written} of ${result.rows} rows from ${file} into ${quoteIdentifier(table)}`,
    ];
    if (result.duplicates > 0) parts.push(`${result.duplicates} duplicate(s) skipped`);
    if (result.rejected.length > 0) parts.push(`${result.rejected.length} rejected`);
    process.stdout.write(
      `${parts.join(', ')} on ${endpointUrl(source.endpoint)} in ${result.seconds.toFixed(1)}s (${mode})\n`,
    );
    for (const rejection of result.rejected.slice(0, 20)) {
      process.stdout.write(`  row ${rejection.row}: ${rejection.error}\n`);
    }
    if (result.rejected.length > 20)
      process.stdout.write(`  … and ${result.rejected.length - 20} more (--json lists all)\n`);
  }
  // 3, as for `stack status`: it ran, but not everything is in (the bad rows were collected).
  return result.rejected.length > 0 ? 3 : 0;
}
