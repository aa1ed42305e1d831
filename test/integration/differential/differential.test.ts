/**
 * Differential tests: every program in programs.ts is run on the same seeded tables with every
 * step the database can run pushed (`pushdown: 'always'`), with the default pushdown (steps
 * where they are estimated cheaper: MariaDB's windows here) over key ranges and native
 * partitions, with pushdown off (everything computed locally), and as hand-written SQL on
 * MariaDB, and the answers must be the same (see compare.ts for what "the same" means).
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type DbSession, openSession, withSession } from '../../../src/db/driver.ts';
import { connect, type Database, type LazyFrame } from '../../../src/index.ts';
import { quoteIdentifier } from '../../../src/sql/identifiers.ts';
import { diffResults } from './compare.ts';
import { createDiffTables, DIFF_DATABASE, DIFF_TABLES } from './data.ts';
import { type Frames, PROGRAMS, type Program } from './programs.ts';

const stack = inject('stack');
const SEED = 20_240_611;
const FULLY_PUSHED = 'none: the database computes the whole result';

let db: Database;
let other: Database;
/** The same tables with native partitions (PARTITION BY KEY, 3 partitions). */
let native: Database;
const NATIVE_DATABASE = `${DIFF_DATABASE}_native`;
let reference: DbSession;
const referenceRows = new Map<string, Promise<Record<string, unknown>[]>>();

/**
 * With `partitioned`, every table is read in 3 key ranges of its primary key on worker threads
 * (partial aggregates, top-N merges), the way issue 4's parallel reads work.
 */
function frames(
  pushdown: boolean | 'always',
  partitioned: boolean | 'auto' = false,
  main: Database = db,
): Frames {
  const tables = (source: Database) =>
    Object.fromEntries(
      DIFF_TABLES.map((table) => [
        table.name,
        source.table(table.name, {
          pushdown,
          partitioning:
            partitioned === 'auto' ? 'auto' : partitioned ? { column: table.primaryKey, count: 3 } : 'none',
        }),
      ]),
    ) as unknown as Frames['other'];
  return { ...tables(main), sql: (text) => main.sql(text, { pushdown }), other: tables(other) };
}

beforeAll(async () => {
  await createDiffTables(stack.single, DIFF_DATABASE, SEED);
  const url = `mysql://${stack.single.user}@${stack.single.host}:${stack.single.port}/${DIFF_DATABASE}`;
  db = await connect({ url, dialect: 'mariadb' });
  other = await connect({ url, dialect: 'mariadb' });
  reference = await openSession({ ...stack.single, database: DIFF_DATABASE });
  await withSession(
    stack.single,
    async (session) => {
      const nativeDb = quoteIdentifier(NATIVE_DATABASE);
      await session.query(`DROP DATABASE IF EXISTS ${nativeDb}`);
      await session.query(`CREATE DATABASE ${nativeDb} CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci`);
      for (const table of DIFF_TABLES) {
        const source = `${quoteIdentifier(DIFF_DATABASE)}.${quoteIdentifier(table.name)}`;
        const target = `${nativeDb}.${quoteIdentifier(table.name)}`;
        await session.query(`CREATE TABLE ${target} LIKE ${source}`);
        await session.query(
          `ALTER TABLE ${target} PARTITION BY KEY (${quoteIdentifier(table.primaryKey)}) PARTITIONS 3`,
        );
        await session.query(`INSERT INTO ${target} SELECT * FROM ${source}`);
      }
    },
    { withoutDatabase: true },
  );
  native = await connect({
    url: `mysql://${stack.single.user}@${stack.single.host}:${stack.single.port}/${NATIVE_DATABASE}`,
    dialect: 'mariadb',
  });
});

afterAll(async () => {
  await db?.close();
  await other?.close();
  await native?.close();
  await reference?.close();
  await withSession(
    stack.single,
    async (session) => {
      await session.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(DIFF_DATABASE)}`);
      await session.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(NATIVE_DATABASE)}`);
    },
    { withoutDatabase: true },
  );
});

function expected(program: Program): Promise<Record<string, unknown>[]> {
  let rows = referenceRows.get(program.name);
  if (!rows) {
    rows = reference.query(program.sql);
    referenceRows.set(program.name, rows);
  }
  return rows;
}

function explainText(frame: LazyFrame): string {
  try {
    return frame.explain();
  } catch (error) {
    return `explain() failed: ${(error as Error).message}`;
  }
}

async function check(program: Program, frame: LazyFrame, mode: string): Promise<void> {
  const columns = program.columns ?? frame.columns;
  const want = await expected(program);
  const got = await frame.collect();
  const diff = diffResults(
    { columns, rows: want },
    { columns, rows: got },
    { ordered: program.ordered ?? false },
  );
  if (diff !== undefined) {
    expect.fail(
      `program "${program.name}" with pushdown ${mode} differs from its SQL\n${diff}\n\n` +
        `SQL:\n${program.sql}\n\n${explainText(frame)}`,
    );
  }
}

describe('differential: DataFrame programs = hand-written SQL on MariaDB', () => {
  it('has at least 60 programs with unique names', () => {
    expect(PROGRAMS.length).toBeGreaterThanOrEqual(60);
    expect(new Set(PROGRAMS.map((p) => p.name)).size).toBe(PROGRAMS.length);
  });

  for (const program of PROGRAMS) {
    describe(program.name, () => {
      it('its SQL answers with rows (the data exercise it)', async () => {
        const rows = await expected(program);
        if (program.empty) expect(rows).toHaveLength(0);
        else expect(rows.length).toBeGreaterThan(0);
      });

      it('pushdown always', async () => {
        const frame = program.frame(frames('always'));
        await check(program, frame, 'always');
        const explain = frame.explain();
        if (program.local) {
          expect(explain, `${program.local}: explain should show local steps`).not.toContain(FULLY_PUSHED);
        } else {
          expect(explain, 'the database should compute the whole program').toContain(FULLY_PUSHED);
        }
      });

      it('pushdown on, read in 3 key ranges in parallel', async () => {
        const frame = program.frame(frames(true, true));
        await check(program, frame, 'on, partitioned');
        // After a run, explain shows how each single-table query was read.
        const explain = frame.explain();
        if (
          / FROM `\w+`( WHERE| GROUP| ORDER| LIMIT|$)/m.test(explain) &&
          !/JOIN|UNION|EXISTS/.test(explain)
        ) {
          expect(explain).toMatch(/read in 3 partitions \(key-range|read in one piece: /);
        }
      });

      it('pushdown on, read over 3 native partitions in parallel', async () => {
        const frame = program.frame(frames(true, 'auto', native));
        await check(program, frame, 'on, native partitions');
        const explain = frame.explain();
        if (
          / FROM `\w+`( WHERE| GROUP| ORDER| LIMIT|$)/m.test(explain) &&
          !/JOIN|UNION|EXISTS/.test(explain)
        ) {
          expect(explain).toMatch(/read in 3 partitions \(native|read in one piece: /);
        }
      });

      it('pushdown off', async () => {
        await check(program, program.frame(frames(false)), 'off');
      });
    });
  }
});

describe('differential: actions agree with collect()', () => {
  const program = PROGRAMS.find((p) => p.name === 'join left on a name')!;

  it('count() is the number of rows', async () => {
    const rows = await expected(program);
    expect(await program.frame(frames(true)).count()).toBe(rows.length);
  });

  it('stream() and toArrow() give the rows collect() gives', async () => {
    const frame = program.frame(frames(true));
    let streamed = 0;
    for await (const batch of frame.stream()) streamed += batch.numRows;
    const table = await frame.toArrow();
    const rows = await expected(program);
    expect(streamed).toBe(rows.length);
    expect(table.numRows).toBe(rows.length);
  });
});
