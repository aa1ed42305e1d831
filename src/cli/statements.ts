/**
 * One SQL statement typed by a person, run the way that suits it: a SELECT is planned like
 * `db.sql()` (pushed down, read in parallel where the table splits, local steps where needed);
 * SHOW, DESCRIBE and the like return rows the server makes, read straight into Arrow; anything
 * else (DDL, INSERT, SET, USE, transactions) runs on one session kept for the whole CLI command,
 * so `USE` and `BEGIN … COMMIT` hold across statements of a shell.
 */
import type { RecordBatch } from 'apache-arrow';
import type { SourceDefinition } from '../config/sources.ts';
import { type DbSession, openSession } from '../db/driver.ts';
import { connect } from '../frame/connect.ts';
import type { Database } from '../frame/database.ts';
import { readArrow } from '../reader/read.ts';

export type StatementKind = 'query' | 'rows' | 'command';

const PLANNED = new Set(['SELECT', 'WITH', 'VALUES', 'TABLE']);
const SERVER_ROWS = new Set(['SHOW', 'DESCRIBE', 'DESC', 'EXPLAIN', 'ANALYZE', 'CHECK', 'CHECKSUM', 'HELP']);

/** The first keyword decides; leading comments and parentheses are skipped. */
export function statementKind(sql: string): StatementKind {
  const text = sql.replace(/^(\s+|--[^\n]*\n?|#[^\n]*\n?|\/\*[\s\S]*?\*\/)+/, '');
  if (text.startsWith('(')) return 'query';
  const keyword = /^[A-Za-z]+/.exec(text)?.[0]?.toUpperCase() ?? '';
  if (PLANNED.has(keyword)) return 'query';
  if (SERVER_ROWS.has(keyword)) return 'rows';
  return 'command';
}

export type StatementResult =
  | { readonly kind: 'rows'; readonly batches: AsyncIterable<RecordBatch> }
  | { readonly kind: 'done'; readonly affectedRows: number; readonly warnings: number };

export class StatementRunner {
  private session?: DbSession;
  private catalogStale = false;

  private constructor(
    readonly source: SourceDefinition,
    readonly db: Database,
  ) {}

  static async open(source: SourceDefinition): Promise<StatementRunner> {
    return new StatementRunner(source, await connect({ url: source.url, dialect: source.dialect }));
  }

  async run(sql: string, options: { signal?: AbortSignal } = {}): Promise<StatementResult> {
    const kind = statementKind(sql);
    if (kind === 'query') {
      if (this.catalogStale) {
        await this.db.refresh();
        this.catalogStale = false;
      }
      return { kind: 'rows', batches: this.db.sql(sql).stream(options) };
    }
    if (kind === 'rows') {
      return { kind: 'rows', batches: readArrow(this.source.endpoint, sql, [], { signal: options.signal }) };
    }
    this.session ??= await openSession(this.source.endpoint);
    const [header] = await this.session.query<{ affectedRows?: number; warningStatus?: number }>(sql);
    // Tables may have been created, dropped or altered: plan the next SELECT on a fresh catalog.
    this.catalogStale = true;
    return {
      kind: 'done',
      affectedRows: Number(header?.affectedRows ?? 0),
      warnings: Number(header?.warningStatus ?? 0),
    };
  }

  /** The statement's plan as `explain()` shows it (SELECTs only). */
  explain(sql: string): string {
    return this.db.sql(sql).explain();
  }

  async close(): Promise<void> {
    await this.session?.close();
    await this.db.close();
  }
}

/** "OK, 3 rows affected (1 warning)" */
export function describeDone(result: { affectedRows: number; warnings: number }): string {
  const rows = `${result.affectedRows} ${result.affectedRows === 1 ? 'row' : 'rows'} affected`;
  const warnings =
    result.warnings > 0 ? ` (${result.warnings} warning${result.warnings === 1 ? '' : 's'})` : '';
  return `OK, ${rows}${warnings}`;
}
