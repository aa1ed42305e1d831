/**
 * Writes with SET expressions and a WHERE filter (SingleStore's `LOAD DATA … SET … WHERE`),
 * which LOAD DATA on MariaDB cannot do. The rows go first into a temporary staging table of the
 * session (text columns named after the input fields, plus the row's position), then one
 * `INSERT … SELECT <set expressions> FROM stage WHERE <filter>` moves them, in the caller's
 * transaction. A statement that fails is halved by row position until each bad row stands alone,
 * as in the direct path. Expressions are SQL from the pipeline's author (like the DDL of a
 * SingleStore pipeline) and refer to input fields by name; no record value is ever in SQL text.
 */
import type { DbSession } from '../db/driver.ts';
import { quoteIdentifier, quoteTableName } from '../sql/identifiers.ts';
import { checkExpression } from './author-sql.ts';
import { writeHalving } from './halving.ts';
import { type BulkWriteResult, type RowValues, tsvChunks, type WriteMode } from './rows.ts';

export interface StagedOptions {
  readonly mode: WriteMode;
  /** Input fields written as they are (default: all of them). */
  readonly columns?: readonly string[];
  /** Target column ← SQL expression over the input fields. */
  readonly set?: Readonly<Record<string, string>>;
  /** Rows for which this SQL condition is not true are filtered out. */
  readonly where?: string;
  readonly updateColumns?: readonly string[];
}

const STAGE = 'sluice_stage';
const ROW = 'sluice_row';
/** Rows per INSERT … SELECT: the server reads them from the staging table, so chunks can be large. */
const STAGED_CHUNK_ROWS = 5000;

export async function writeStaged(
  session: DbSession,
  table: string,
  fields: readonly string[],
  rows: readonly RowValues[],
  options: StagedOptions,
): Promise<BulkWriteResult & { readonly filtered: number }> {
  const direct = options.columns ?? fields.filter((field) => !(options.set && field in options.set));
  const set = Object.entries(options.set ?? {});
  for (const [column, expression] of set) checkExpression(`target.set.${column}`, expression);
  if (options.where) checkExpression('target.where', options.where);
  const targetColumns = [...direct, ...set.map(([column]) => column)];
  const selected = [
    ...direct.map((field) => quoteIdentifier(field)),
    ...set.map(([, expression]) => `(${expression})`),
  ];
  const filter = options.where ? `(${options.where})` : 'TRUE';

  // Temporary tables neither commit nor are seen by other sessions; the caller's transaction holds.
  await session.query(`DROP TEMPORARY TABLE IF EXISTS ${STAGE}`);
  await session.query(
    `CREATE TEMPORARY TABLE ${STAGE} (${fields.map((field) => `${quoteIdentifier(field)} LONGTEXT NULL`).join(', ')}, ` +
      `${ROW} INT NOT NULL, PRIMARY KEY (${ROW})) ENGINE=InnoDB`,
  );
  try {
    const numbered = rows.map((row, index) => [...row, index]);
    await session.loadData({ table: STAGE, columns: [...fields, ROW], source: tsvChunks(numbered) });
    const [match] = await session.query<{ n: string }>(`SELECT COUNT(*) AS n FROM ${STAGE} WHERE ${filter}`);
    const kept = Number(match!.n);

    const verb = options.mode === 'replace' ? 'REPLACE' : 'INSERT';
    let sql =
      `${verb} INTO ${quoteTableName(table)} (${targetColumns.map(quoteIdentifier).join(', ')}) ` +
      `SELECT ${selected.join(', ')} FROM ${STAGE} WHERE ${filter} AND ${ROW} >= ? AND ${ROW} < ?`;
    if (options.mode === 'upsert') {
      const updates = (options.updateColumns ?? targetColumns).map(
        (column) => `${quoteIdentifier(column)} = VALUES(${quoteIdentifier(column)})`,
      );
      sql += ` ON DUPLICATE KEY UPDATE ${updates.join(', ')}`;
    }
    const { duplicates, rejected } = await writeHalving(
      rows.length,
      STAGED_CHUNK_ROWS,
      options.mode,
      (start, end) => session.query(sql, [start, end]),
    );
    return {
      written: kept - duplicates - rejected.length,
      duplicates,
      rejected,
      filtered: rows.length - kept,
    };
  } finally {
    await session.query(`DROP TEMPORARY TABLE IF EXISTS ${STAGE}`).catch(() => undefined);
  }
}
