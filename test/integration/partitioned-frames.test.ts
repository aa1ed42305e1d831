import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadTpch } from '../../bench/data/load.ts';
import { withSession } from '../../src/db/driver.ts';
import { createShardedTable } from '../../src/db/sharding.ts';
import type { Database } from '../../src/frame/database.ts';
import { instanceOf } from '../../src/frame/plan-template.ts';
import { bindParams, type SqlParam } from '../../src/frame/sql-text/params.ts';
import { col, connect, fn, type LazyFrame } from '../../src/index.ts';
import { quoteIdentifier } from '../../src/sql/identifiers.ts';

const stack = inject('stack');
const DATABASE = 'sluice_parts_it';
let single: Database;
let head: Database;

const urlOf = (endpoint: { user: string; host: string; port: number }, database: string) =>
  `mysql://${endpoint.user}@${endpoint.host}:${endpoint.port}/${database}`;

beforeAll(async () => {
  // lineitem in 4 native partitions on the single server.
  await loadTpch(stack.single, { lineitem: 20_000, seed: 3, database: DATABASE, partitions: 4 });
  single = await connect({ url: urlOf(stack.single, DATABASE), dialect: 'mariadb' });

  // A Spider table over the two leaves, written through the head.
  const { head: headEndpoint } = stack.cluster;
  await createShardedTable(
    stack.cluster,
    'readings',
    [
      { name: 'id', type: 'BIGINT NOT NULL' },
      { name: 'sensor', type: 'VARCHAR(16)' },
      { name: 'value', type: 'DOUBLE' },
    ],
    'id',
    { primaryKey: ['id'], ifExists: 'replace' },
  );
  await withSession(headEndpoint, async (session) => {
    const rows: unknown[][] = [];
    for (let id = 1; id <= 5000; id++) rows.push([id, `s${id % 7}`, (id % 101) / 4]);
    await session.query('INSERT INTO readings (id, sensor, value) VALUES ?', [rows]);
  });
  head = await connect({ url: urlOf(headEndpoint, headEndpoint.database), dialect: 'mariadb' });
});

afterAll(async () => {
  await single?.close();
  await head?.close();
  await withSession(stack.single, (s) => s.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(DATABASE)}`), {
    withoutDatabase: true,
  });
});

async function same(partitioned: LazyFrame, whole: LazyFrame): Promise<string> {
  const got = await partitioned.collect();
  const want = await whole.collect();
  const norm = (rows: Record<string, unknown>[]) =>
    rows.map((row) =>
      Object.fromEntries(
        Object.entries(row).map(([k, v]) => [
          k,
          v === null ? null : Number.isNaN(Number(v)) ? v : Number(Number(v).toPrecision(10)),
        ]),
      ),
    );
  expect(norm(got)).toEqual(norm(want));
  return partitioned.explain();
}

describe('frames read in parallel over partitions', () => {
  const q1 = (db: Database, partitioning: 'auto' | 'none') =>
    db
      .table('lineitem', { partitioning })
      .filter(col('l_shipdate').le('1998-09-02'))
      .groupBy('l_returnflag', 'l_linestatus')
      .agg(
        fn.sum('l_quantity').as('sum_qty'),
        fn.avg('l_discount').as('avg_disc'),
        fn.stddev('l_extendedprice').as('sd_price'),
        fn.min('l_shipdate').as('first'),
        fn.count().as('n'),
      )
      .orderBy('l_returnflag', 'l_linestatus');

  it('native partitions: partial aggregates per partition, merged', async () => {
    const explain = await same(q1(single, 'auto'), q1(single, 'none'));
    expect(explain).toContain('read in 4 partitions (native: table has 4 native partitions)');
    expect(explain).toContain('partial aggregates per partition, final aggregate');
    expect(explain).toMatch(/p0 on .*FROM `sluice_parts_it`\.`lineitem` PARTITION \(`p0`\)/);
  });

  it('native partitions: a top-N per partition and a plain filtered read', async () => {
    const top = (p: 'auto' | 'none') =>
      single
        .table('lineitem', { partitioning: p })
        .select('l_orderkey', 'l_linenumber', 'l_extendedprice')
        .orderBy(col('l_extendedprice').desc(), 'l_orderkey', 'l_linenumber')
        .limit(7);
    expect(await same(top('auto'), top('none'))).toContain('k-way merge of sorted partitions, top 7');
    const filtered = (p: 'auto' | 'none') =>
      single
        .table('lineitem', { partitioning: p })
        .filter(col('l_quantity').gt(45))
        .select('l_orderkey', 'l_quantity');
    const rows = await filtered('auto').collect();
    expect(rows.length).toBe((await filtered('none').collect()).length);
    expect(filtered('auto').explain()).toContain('concatenation');
  });

  it('key ranges on a column split a table that has no partitions', async () => {
    const q = (p: { column: string; count: number } | 'none') =>
      single
        .table('orders', { partitioning: p })
        .groupBy('o_orderstatus')
        .agg(fn.count().as('n'), fn.max('o_totalprice').as('top'))
        .orderBy('o_orderstatus');
    const explain = await same(q({ column: 'o_orderkey', count: 4 }), q('none'));
    expect(explain).toContain('read in 4 partitions (key-range');
  });

  it('COUNT(DISTINCT) is read in one piece, and explain says why', async () => {
    const q = (p: 'auto' | 'none') =>
      single.table('lineitem', { partitioning: p }).agg(fn.countDistinct('l_orderkey').as('orders'));
    expect(await same(q('auto'), q('none'))).toContain(
      'read in one piece: COUNT(DISTINCT) cannot be merged from partitions',
    );
  });

  it('a Spider table is read on its leaves, in parallel', async () => {
    const q = (p: 'auto' | 'none') =>
      head
        .table('readings', { partitioning: p })
        .groupBy('sensor')
        .agg(fn.count().as('n'), fn.avg('value').as('avg'))
        .orderBy('sensor');
    const explain = await same(q('auto'), q('none'));
    expect(explain).toContain('(spider: Spider table with 2 partition(s)');
    for (const leaf of stack.cluster.leaves) expect(explain).toContain(`on ${leaf.host}:${leaf.port}:`);
    const total = await head.table('readings', { partitioning: 'auto' }).count();
    expect(total).toBe(5000);
  });

  it('a filter that fixes a unique key, or a LIMIT without ORDER BY, is read in one piece', async () => {
    const [max] = await single.sql('SELECT MAX(l_orderkey) AS k FROM lineitem').collect();
    const key = Number(max!.k);
    const point = (p: 'auto' | 'none') =>
      single
        .table('lineitem', { partitioning: p })
        .filter(col('l_orderkey').eq(key).and(col('l_linenumber').eq(1)))
        .select('l_orderkey', 'l_linenumber', 'l_extendedprice');
    expect(await same(point('auto'), point('none'))).toContain(
      'read in one piece: the filter fixes unique key (l_orderkey, l_linenumber): one row at most',
    );
    const spider = (p: 'auto' | 'none') =>
      head.table('readings', { partitioning: p }).filter(col('id').eq(4242));
    expect(await same(spider('auto'), spider('none'))).toContain(
      'read in one piece: the filter fixes unique key (id): one row at most',
    );
    const firstRows = single.table('lineitem').select('l_orderkey').limit(5);
    expect(await firstRows.count()).toBe(5);
    await firstRows.collect();
    expect(firstRows.explain()).toContain('read in one piece: LIMIT 5 without ORDER BY');
  });

  it('explain describes the latest 256 reads only: a point query per value does not grow memory', async () => {
    const text = 'SELECT l_orderkey FROM lineitem WHERE l_orderkey = ? AND l_linenumber = 1';
    const point = (key: number) => single.sql(text, { params: [key] });
    for (let key = 1; key <= 300; key++) await point(key).collect();
    expect(point(1).explain()).toContain('partitions are discovered when the read starts');
    expect(point(300).explain()).toContain('read in one piece: the filter fixes unique key');
    // Reading a value again makes it recent.
    await point(1).collect();
    expect(point(1).explain()).toContain('read in one piece');
  });

  it('SQL text with ? parameters is planned once and gives what the text with the values gives', async () => {
    const cases: [string, SqlParam[][]][] = [
      [
        'SELECT l_orderkey, l_linenumber, l_quantity FROM lineitem WHERE l_orderkey = ? AND l_linenumber = ?',
        [
          [1, 1],
          [7, 2],
        ],
      ],
      [
        'SELECT l_returnflag, COUNT(*) AS n, SUM(l_quantity) AS q FROM lineitem WHERE l_shipmode = ? AND l_quantity > ? GROUP BY l_returnflag ORDER BY l_returnflag',
        [
          ['MAIL', 40],
          ['AIR', -1],
          ["O'Brien", 3],
        ],
      ],
      ['SELECT l_orderkey FROM lineitem ORDER BY l_orderkey, l_linenumber LIMIT ?', [[3], [5]]],
    ];
    for (const [text, calls] of cases) {
      for (const params of calls) {
        const frame = single.sql(text, { params });
        expect(await frame.collect()).toEqual(await single.sql(bindParams(text, params)).collect());
      }
    }
    // The point lookup and the grouped query are templated; LIMIT ? is not (it is no value in the plan).
    expect(instanceOf(single.sql(cases[0]![0], { params: [1, 1] }).plan)).toBeDefined();
    expect(instanceOf(single.sql(cases[1]![0], { params: ['x', 1] }).plan)).toBeDefined();
    expect(instanceOf(single.sql(cases[2]![0], { params: [1] }).plan)).toBeUndefined();
    expect(() => single.sql(cases[0]![0], { params: [1] })).toThrow(
      /more \? placeholders than the 1 params given/,
    );
  });

  it('SQL text without parameters is planned and optimized once per text and options, until refresh()', async () => {
    const text =
      'SELECT l_returnflag, COUNT(*) AS n FROM lineitem WHERE l_quantity > (SELECT AVG(l_quantity) FROM lineitem) GROUP BY l_returnflag ORDER BY l_returnflag';
    const first = single.sql(text);
    const again = single.sql(text);
    expect(again.plan).toBe(first.plan);
    expect(await again.runtime.optimized(again.plan)).toBe(await first.runtime.optimized(first.plan));
    // Other options are another plan, with its own answer computed the same.
    const local = single.sql(text, { pushdown: false });
    expect(local.plan).not.toBe(first.plan);
    const want = await first.collect();
    expect(want.length).toBeGreaterThan(0);
    expect(await again.collect()).toEqual(want);
    expect(await local.collect()).toEqual(want);
    expect(await single.sql(text, { pushdown: false }).collect()).toEqual(want);
    // A plan over the kept one is planned on its own.
    const narrowed = again.filter(col('l_returnflag').eq('R'));
    expect(await narrowed.collect()).toEqual(want.filter((row) => row.l_returnflag === 'R'));
    // refresh() reads the catalog again: the text is planned again.
    await single.refresh();
    const fresh = single.sql(text);
    expect(fresh.plan).not.toBe(first.plan);
    expect(await fresh.runtime.optimized(fresh.plan)).not.toBe(await first.runtime.optimized(first.plan));
    expect(await fresh.collect()).toEqual(want);
  });
});
