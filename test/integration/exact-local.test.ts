/**
 * Exact DECIMAL and BIGINT in local execution beyond what a double holds, digit for digit against
 * MariaDB's own answers (no tolerance): ORDER BY, GROUP BY, DISTINCT, join keys, MIN/MAX and set
 * operations on values that differ only past the 16th significant digit; window SUM/AVG (whole
 * partitions and running frames); ROUND/ABS/FLOOR/CEIL and CAST AS DECIMAL(p,s) of DECIMAL text;
 * BIGINT UNSIGNED up to 2^64 - 1. Each statement runs as SQL text with pushdown off (computed by
 * sluice), and the ORDER BY reads also in 3 key ranges (a k-way merge of sorted partitions).
 */

import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type OutputFormat, writeResult } from '../../src/cli/output.ts';
import { withSession } from '../../src/db/driver.ts';
import { col, connect, type Database } from '../../src/index.ts';
import { quoteIdentifier } from '../../src/sql/identifiers.ts';
import { diffResults } from './differential/compare.ts';

const stack = inject('stack');
const DATABASE = 'sluice_exact_local';
let db: Database;

/** k DECIMAL(65,30), v DECIMAL(38,10), u BIGINT UNSIGNED, i BIGINT: neighbours a double merges; j BIGINT. */
const ROWS: readonly (readonly [number, number, string, string, string, string, string])[] = (() => {
  const big = '12345678901234567890123';
  const k = [
    `${big}.000000000000000000000000000001`,
    `${big}.000000000000000000000000000002`,
    `${big}.000000000000000000000000000000`,
    `-${big}.000000000000000000000000000001`,
    `-${big}.000000000000000000000000000002`,
    '0.100000000000000000000000000001',
    '0.100000000000000000000000000000',
    '0.099999999999999999999999999999',
    '9007199254740993.000000000000000000000000000000',
    '9007199254740992.000000000000000000000000000000',
  ];
  const v = [
    '1234567890123456789012345678.0000000001',
    '1234567890123456789012345678.0000000002',
    '-1234567890123456789012345678.0000000003',
    '0.0000000001',
    '0.1000000001',
  ];
  const u = ['18446744073709551615', '18446744073709551614', '9007199254740993', '9007199254740992', '1'];
  const i = [
    '9223372036854775807',
    '9223372036854775806',
    '-9223372036854775808',
    '9007199254740993',
    '9007199254740992',
    '-9007199254740993',
  ];
  // Every value twice (a group of two, a join pair), in an order that is not the sorted one.
  return Array.from({ length: 24 }, (_, n) => {
    const at = (list: readonly string[]) => list[(n * 7) % list.length]!;
    // j: integers whose running sum passes 2^53 and comes back (a double sum loses a unit).
    const j = ['9007199254740991', '2', '-9007199254740991'][n] ?? '1';
    return [n + 1, n % 3, at(k), at(v), at(u), at(i), j] as const;
  });
})();

beforeAll(async () => {
  await withSession(
    stack.single,
    async (session) => {
      const name = quoteIdentifier(DATABASE);
      await session.query(`DROP DATABASE IF EXISTS ${name}`);
      await session.query(`CREATE DATABASE ${name}`);
      await session.query(
        `CREATE TABLE ${name}.wide (id INT PRIMARY KEY, g INT, k DECIMAL(65,30), v DECIMAL(38,10),
           u BIGINT UNSIGNED, i BIGINT, j BIGINT)`,
      );
      await session.query(
        `INSERT INTO ${name}.wide VALUES ${ROWS.map(() => '(?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
        ROWS.flat(),
      );
    },
    { withoutDatabase: true },
  );
  db = await connect({
    url: `mysql://${stack.single.user}@${stack.single.host}:${stack.single.port}/${DATABASE}`,
    dialect: 'mariadb',
  });
});

afterAll(async () => {
  await db?.close();
  await withSession(
    stack.single,
    (session) => session.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(DATABASE)}`),
    {
      withoutDatabase: true,
    },
  );
});

async function expected(sql: string) {
  return withSession({ ...stack.single, database: DATABASE }, (session) => session.query(sql));
}

/** The statement computed by sluice (pushdown off) equals MariaDB's answer digit for digit. */
async function expectLocalSame(sql: string, ordered: boolean) {
  const want = await expected(sql);
  expect(want.length).toBeGreaterThan(0);
  const frame = db.sql(sql, { pushdown: false });
  const got = await frame.collect();
  const columns = frame.columns;
  const diff = diffResults({ columns, rows: want }, { columns, rows: got }, { ordered });
  if (diff !== undefined) expect.fail(`${sql}\ndiffers from MariaDB\n${diff}\n\n${frame.explain()}`);
}

const KEYS: readonly [string, string, boolean][] = [
  ['ORDER BY a DECIMAL(65,30)', 'SELECT id, k FROM wide ORDER BY k, id', true],
  ['ORDER BY a DECIMAL(65,30) descending', 'SELECT id, k FROM wide ORDER BY k DESC, id', true],
  ['ORDER BY BIGINT UNSIGNED and BIGINT', 'SELECT id, u, i FROM wide ORDER BY u, i DESC, id', true],
  ['GROUP BY a DECIMAL(65,30)', 'SELECT k, COUNT(*) AS n, SUM(v) AS s FROM wide GROUP BY k ORDER BY k', true],
  ['GROUP BY BIGINT UNSIGNED', 'SELECT u, COUNT(*) AS n FROM wide GROUP BY u ORDER BY u', true],
  ['GROUP BY BIGINT', 'SELECT i, COUNT(*) AS n FROM wide GROUP BY i ORDER BY i', true],
  ['DISTINCT', 'SELECT DISTINCT k, u FROM wide', false],
  [
    'join on DECIMAL(65,30)',
    'SELECT a.id AS a_id, b.id AS b_id FROM wide a JOIN wide b ON a.k = b.k ORDER BY a.id, b.id',
    true,
  ],
  [
    'join on BIGINT UNSIGNED',
    'SELECT a.id AS a_id, b.id AS b_id FROM wide a JOIN wide b ON a.u = b.u ORDER BY a.id, b.id',
    true,
  ],
  [
    'MIN and MAX',
    'SELECT g, MIN(k) AS min_k, MAX(k) AS max_k, MIN(u) AS min_u, MAX(u) AS max_u, MIN(i) AS min_i, MAX(i) AS max_i, MIN(v) AS min_v, MAX(v) AS max_v FROM wide GROUP BY g ORDER BY g',
    true,
  ],
  [
    'comparison with a literal',
    'SELECT id FROM wide WHERE k > 12345678901234567890123.000000000000000000000000000001 OR u = 18446744073709551614 ORDER BY id',
    true,
  ],
  [
    'COUNT(DISTINCT)',
    'SELECT COUNT(DISTINCT k) AS dk, COUNT(DISTINCT u) AS du, COUNT(DISTINCT v) AS dv FROM wide',
    true,
  ],
  [
    'SUM and AVG of BIGINT passing 2^53 on the way',
    'SELECT SUM(j) AS s, AVG(j) AS a, SUM(j + 0) AS s0, SUM(u) AS su, AVG(u) AS au FROM wide',
    true,
  ],
];

const WINDOWS: readonly [string, string][] = [
  [
    'window SUM and AVG over a partition',
    'SELECT id, SUM(v) OVER (PARTITION BY g) AS s, AVG(v) OVER (PARTITION BY g) AS a, SUM(k) OVER (PARTITION BY g) AS sk FROM wide ORDER BY id',
  ],
  [
    'running window SUM and AVG',
    'SELECT id, SUM(v) OVER (ORDER BY id) AS s, AVG(k) OVER (ORDER BY id) AS a, SUM(v / 3) OVER (ORDER BY id ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS s3 FROM wide ORDER BY id',
  ],
  [
    'window MIN, MAX and SUM of BIGINT UNSIGNED',
    'SELECT id, MIN(k) OVER (PARTITION BY g) AS mk, MAX(u) OVER (PARTITION BY g) AS mu, SUM(u) OVER (PARTITION BY g) AS su, SUM(i) OVER (ORDER BY id) AS si, SUM(j) OVER (ORDER BY id) AS sj, AVG(j) OVER (ORDER BY id) AS aj FROM wide ORDER BY id',
  ],
];

const FUNCTIONS: readonly [string, string][] = [
  [
    'ROUND, ABS, FLOOR, CEIL of DECIMAL(65,30)',
    'SELECT id, ROUND(k, 5) AS r5, ROUND(k) AS r0, ROUND(k, -3) AS rm3, ABS(k) AS a, FLOOR(k) AS f, CEIL(k) AS c, ROUND(v / 7, 12) AS q FROM wide ORDER BY id',
  ],
  [
    'CAST AS DECIMAL(p,s) and arithmetic with BIGINT UNSIGNED',
    'SELECT id, CAST(k AS DECIMAL(40,3)) AS k3, CAST(v AS DECIMAL(65,20)) AS v20, u + 0 AS u0, u - 1 AS u1, i * 1.5 AS i15, u / 2 AS uh FROM wide ORDER BY id',
  ],
];

describe('exact keys: ORDER BY, GROUP BY, DISTINCT, joins, MIN/MAX beyond a double', () => {
  for (const [name, sql, ordered] of KEYS) {
    it(name, () => expectLocalSame(sql, ordered));
  }
  it('ORDER BY a DECIMAL(65,30) read in 3 key ranges', async () => {
    const want = await expected('SELECT id, k FROM wide ORDER BY k DESC, id');
    const frame = db
      .table('wide', { partitioning: { column: 'id', count: 3 } })
      .select('id', 'k')
      .orderBy(col('k').desc(), 'id');
    const diff = diffResults(
      { columns: ['id', 'k'], rows: want },
      { columns: ['id', 'k'], rows: await frame.collect() },
      { ordered: true },
    );
    expect(diff).toBeUndefined();
    expect(frame.explain()).toMatch(/read in 3 partitions[\s\S]*k-way merge of sorted partitions/);
  });
});

describe('exact window aggregates', () => {
  for (const [name, sql] of WINDOWS) it(name, () => expectLocalSame(sql, true));
});

describe('exact functions of DECIMAL text and BIGINT UNSIGNED', () => {
  for (const [name, sql] of FUNCTIONS) it(name, () => expectLocalSame(sql, true));

  it('CSV, JSON and NDJSON of a locally computed result keep every digit', async () => {
    const sql =
      'SELECT id, k, u, u + 0 AS u0, k * 1 AS k1, SUM(v) OVER (ORDER BY id) AS sv FROM wide ORDER BY id';
    const want = await expected(sql);
    const table = await db.sql(sql, { pushdown: false }).toArrow();
    const written = async (format: OutputFormat) => {
      const chunks: string[] = [];
      const stdout = new Writable({
        write(chunk, _encoding, done) {
          chunks.push(String(chunk));
          done();
        },
      });
      await writeResult(
        (async function* () {
          yield* table.batches;
        })(),
        { format, stdout },
      );
      return chunks.join('');
    };
    const text = (value: unknown) => String(value);
    const csv = (await written('csv')).trim().split('\n').slice(1);
    expect(csv).toEqual(
      want.map((row) => ['id', 'k', 'u', 'u0', 'k1', 'sv'].map((c) => text(row[c])).join(',')),
    );
    // JSON numbers written from their digits: compare the raw text, not a parsed double.
    const line = (row: Record<string, unknown>) =>
      `{"id":${row.id},"k":${row.k},"u":${row.u},"u0":${row.u0},"k1":${row.k1},"sv":${row.sv}}`;
    expect((await written('ndjson')).trim().split('\n')).toEqual(want.map(line));
    expect(await written('json')).toBe(`[\n${want.map(line).join(',\n')}\n]\n`);
  });
});
