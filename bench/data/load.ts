/**
 * Creates the TPC-H schema in a database and streams every table into it with LOAD DATA LOCAL
 * INFILE. Shared by `bench/load-tpch.ts` and the integration test, so the test covers what the
 * benchmark runs.
 */

import { DatabaseError } from '../../src/base/errors.ts';
import { type DbSession, withSession } from '../../src/db/driver.ts';
import type { DbEndpoint } from '../../src/db/endpoint.ts';
import { quoteIdentifier } from '../../src/sql/identifiers.ts';
import {
  createTableSql,
  TPCH_TABLES,
  type TpchOptions,
  type TpchTable,
  tpchColumns,
  tpchTsvChunks,
} from './tpch.ts';

export interface LoadTpchOptions extends TpchOptions {
  /** Database to (re)create; it is dropped first. */
  readonly database: string;
  /** Native partitions of lineitem, if any. */
  readonly partitions?: number;
  /** Called after each table with its rows and seconds. */
  readonly onTable?: (table: TpchTable, rows: number, seconds: number) => void;
}

export interface TableLoad {
  readonly rows: number;
  readonly seconds: number;
}

/** Drops and recreates `database`, creates the tables and loads them; returns rows per table. */
export async function loadTpch(
  endpoint: DbEndpoint,
  options: LoadTpchOptions,
): Promise<Record<TpchTable, TableLoad>> {
  const target: DbEndpoint = { ...endpoint, database: options.database };
  await withSession(
    endpoint,
    async (session) => {
      await session.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(options.database)}`);
      await session.query(`CREATE DATABASE ${quoteIdentifier(options.database)} CHARACTER SET utf8mb4`);
    },
    { withoutDatabase: true },
  );
  return withSession(target, async (session) => {
    const loads = {} as Record<TpchTable, TableLoad>;
    for (const table of TPCH_TABLES) {
      await session.query(createTableSql(table, { partitions: options.partitions }));
      loads[table] = await loadTable(session, table, options);
      options.onTable?.(table, loads[table].rows, loads[table].seconds);
    }
    return loads;
  });
}

async function loadTable(session: DbSession, table: TpchTable, options: TpchOptions): Promise<TableLoad> {
  const started = performance.now();
  // Unique and foreign checks off: the keys are generated unique, and bulk loads skip the lookups.
  await session.query('SET unique_checks = 0, foreign_key_checks = 0');
  try {
    const rows = await session.loadInfile(table, tpchColumns(table), tpchTsvChunks(table, options));
    // LOAD DATA turns bad values into warnings (truncated text, clipped numbers); here they are errors.
    const warnings = await session.query<{ Level: string; Code: number; Message: string }>(
      'SHOW WARNINGS LIMIT 3',
    );
    if (warnings.length > 0) {
      const first = warnings.map((warning) => `${warning.Code} ${warning.Message}`).join('; ');
      throw new DatabaseError(`loading ${table} produced warnings: ${first}`, undefined);
    }
    return { rows, seconds: (performance.now() - started) / 1000 };
  } finally {
    await session.query('SET unique_checks = 1, foreign_key_checks = 1');
  }
}
