/**
 * `sluice query "SQL"` and `sluice explain "SQL"`: SQL text against one database, planned as
 * `db.sql()` plans it (pushed down, read in parallel where the table splits), or split on a
 * column ConnectorX-style with --partition-on. Results go to stdout or a file in any of the
 * output formats (src/cli/output.ts).
 */
import type { RecordBatch } from 'apache-arrow';
import { UsageError } from '../base/errors.ts';
import { connect } from '../frame/connect.ts';
import { planSqlRead, streamSql } from '../reader/read-sql.ts';
import { parseCommand, positiveInteger, requireDatabase, SOURCE_OPTIONS, SOURCE_USAGE } from './common.ts';
import { chooseFormat, OUTPUT_FORMATS, writeResult } from './output.ts';
import { Progress } from './progress.ts';
import { describeDone, StatementRunner } from './statements.ts';

export const QUERY_USAGE = `usage: sluice query "SQL" [options]     (SQL from stdin when none is given)

options:
${SOURCE_USAGE}
  -f, --format F            ${OUTPUT_FORMATS.join(' | ')} (default: from --out's extension, else table)
  -o, --out FILE            write to FILE instead of stdout
  --partition-on COL        split the query into key ranges of COL, read in parallel (ConnectorX's partition_on)
  --partitions N            how many ranges (default 4)
  --max-rows N              rows the table format shows (default 40; the rest are counted)
  -q, --quiet               no progress line (it is only shown on a terminal anyway)
  -h, --help                this text`;

export const EXPLAIN_USAGE = `usage: sluice explain "SQL" [options]

options:
${SOURCE_USAGE}
  --analyze                 run the query first (output discarded), so the partitions read are shown
  --partition-on COL        show the key ranges --partition-on would read
  --partitions N            how many ranges (default 4)
  -h, --help                this text`;

const QUERY_OPTIONS = {
  ...SOURCE_OPTIONS,
  format: { type: 'string', short: 'f' },
  out: { type: 'string', short: 'o' },
  'partition-on': { type: 'string' },
  partitions: { type: 'string' },
  'max-rows': { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
} as const;

const EXPLAIN_OPTIONS = {
  ...SOURCE_OPTIONS,
  analyze: { type: 'boolean' },
  'partition-on': { type: 'string' },
  partitions: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function runQueryCommand(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommand(argv, QUERY_OPTIONS, QUERY_USAGE);
  if (values.help) {
    process.stdout.write(`${QUERY_USAGE}\n`);
    return 0;
  }
  const sql = await sqlText(positionals, QUERY_USAGE);
  const format = chooseFormat(values.format, values.out);
  const partitionNum = positiveInteger(values.partitions, '--partitions');
  const maxRows = positiveInteger(values['max-rows'], '--max-rows');
  if (partitionNum !== undefined && values['partition-on'] === undefined) {
    throw new UsageError('--partitions needs --partition-on COL: the column whose values split the query');
  }
  if (format === 'arrow' || format === 'parquet') {
    if (!values.out && process.stdout.isTTY) {
      throw new UsageError(`--format ${format} is binary: give --out FILE or redirect stdout`);
    }
  }
  const source = await requireDatabase(values);
  const progress = new Progress({ quiet: values.quiet, verb: 'read' });
  let runner: StatementRunner | undefined;
  try {
    let batches: AsyncIterable<RecordBatch>;
    if (values['partition-on'] !== undefined) {
      batches = streamSql(source.url, sql, { partitionOn: values['partition-on'], partitionNum });
    } else {
      runner = await StatementRunner.open(source);
      const result = await runner.run(sql);
      if (result.kind === 'done') {
        process.stdout.write(`${describeDone(result)}\n`);
        return 0;
      }
      batches = result.batches;
    }
    const rows = await writeResult(batches, { format, out: values.out, maxRows, progress });
    if (values.out && !values.quiet && process.stderr.isTTY) {
      const { seconds } = progress.summary;
      process.stderr.write(`wrote ${rows} rows to ${values.out} (${format}) in ${seconds.toFixed(1)}s\n`);
    }
    return 0;
  } finally {
    await runner?.close();
  }
}

export async function runExplainCommand(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommand(argv, EXPLAIN_OPTIONS, EXPLAIN_USAGE);
  if (values.help) {
    process.stdout.write(`${EXPLAIN_USAGE}\n`);
    return 0;
  }
  const sql = await sqlText(positionals, EXPLAIN_USAGE);
  const partitionNum = positiveInteger(values.partitions, '--partitions');
  const source = await requireDatabase(values);
  if (values['partition-on'] !== undefined) {
    const plan = await planSqlRead(source.url, sql, { partitionOn: values['partition-on'], partitionNum });
    const lines = [`== Key-range read (${plan.description}) ==`];
    for (const task of plan.tasks) {
      lines.push(`${task.label}:`, `  ${task.sql}`, `  params: ${JSON.stringify(task.params, bigints)}`);
    }
    process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  }
  const db = await connect({ url: source.url, dialect: source.dialect });
  try {
    const frame = db.sql(sql);
    if (values.analyze) for await (const _batch of frame.stream()) void _batch;
    process.stdout.write(`${frame.explain()}\n`);
    return 0;
  } finally {
    await db.close();
  }
}

const bigints = (_key: string, value: unknown) => (typeof value === 'bigint' ? value.toString() : value);

/** The SQL from the arguments, or from stdin when none is given and stdin is not a terminal. */
async function sqlText(positionals: readonly string[], usage: string): Promise<string> {
  let text = positionals.join(' ');
  if (text.trim() === '' && !process.stdin.isTTY) text = await readStdin();
  text = text.trim().replace(/;+\s*$/, '');
  if (text === '') throw new UsageError(`give the SQL to run\n\n${usage}`);
  return text;
}

export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
