import type { RecordBatch } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { withSession } from '../../src/db/driver.ts';
import type { DbEndpoint } from '../../src/db/endpoint.ts';
import { createShardedTable } from '../../src/db/sharding.ts';
import { closeReaderPool, type ReadTask, readParallel } from '../../src/reader/parallel.ts';
import { type PartitionPlan, type PartitionScan, scanSql } from '../../src/reader/partitioning/scan.ts';
import { describePartitionPlan, planPartitions } from '../../src/reader/partitions.ts';
import { decimalToString } from '../../src/values/decimal.ts';

const { single, cluster } = inject('stack');

function tasks(plan: PartitionPlan, select = '*', extra?: { sql: string; params: unknown[] }): ReadTask[] {
  return plan.scans.map((scan: PartitionScan) => {
    const { sql, params } = scanSql(scan, select);
    if (!extra) return { label: scan.label, endpoint: scan.endpoint, sql, params };
    const joiner = scan.where ? ' AND ' : ' WHERE ';
    return {
      label: scan.label,
      endpoint: scan.endpoint,
      sql: `${sql}${joiner}${extra.sql}`,
      params: [...params, ...extra.params],
    };
  });
}

/** Every id read, with how often it was seen: each must be seen exactly once. */
async function readIds(
  read: AsyncIterable<RecordBatch>,
  column = 'id',
): Promise<{ ids: Map<string, number>; rows: number }> {
  const ids = new Map<string, number>();
  let rows = 0;
  for await (const batch of read) {
    rows += batch.numRows;
    for (const id of batch.getChild(column)!) {
      const key = String(id);
      ids.set(key, (ids.get(key) ?? 0) + 1);
    }
  }
  return { ids, rows };
}

async function count(endpoint: DbEndpoint, sql: string, params: unknown[] = []): Promise<number> {
  const [row] = await withSession(endpoint, (session) => session.query<{ n: string | number }>(sql, params));
  return Number(row!.n);
}

afterAll(async () => {
  await closeReaderPool();
});

describe('native partitions on one server', () => {
  const ROWS = 20_000;

  beforeAll(async () => {
    await withSession(single, async (session) => {
      await session.query('DROP TABLE IF EXISTS rp_native');
      await session.query(
        'CREATE TABLE rp_native (id BIGINT NOT NULL PRIMARY KEY, grp INT NOT NULL, amount DECIMAL(12,2), note VARCHAR(40)) ' +
          'PARTITION BY HASH(id) PARTITIONS 4',
      );
      await session.query('SET SESSION max_recursive_iterations = ?', [ROWS + 1]);
      await session.query(
        `INSERT INTO rp_native WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${ROWS})
         SELECT i, i % 7, IF(i % 10 = 0, NULL, (i % 1000) + 0.25), CONCAT('note ', i) FROM n`,
      );
    });
  });

  it('plans one scan per partition with PARTITION (pN)', async () => {
    const plan = await planPartitions(single, 'rp_native', { parallelism: 3 });
    expect(plan.strategy).toBe('native');
    expect(plan.scans.map((scan) => scan.from)).toEqual(
      [0, 1, 2, 3].map((n) => `\`sluice\`.\`rp_native\` PARTITION (\`p${n}\`)`),
    );
    expect(describePartitionPlan(plan).split('\n')[0]).toBe(
      'partitions: native, 4 scan(s), 3 at a time (table has 4 native partitions)',
    );
  });

  it('reads every row exactly once across the partitions, with filters pushed to each', async () => {
    const plan = await planPartitions(single, 'rp_native');
    const { ids, rows } = await readIds(readParallel(tasks(plan, '`id`, `amount`'), { parallelism: 2 }));
    expect(rows).toBe(ROWS);
    expect(ids.size).toBe(ROWS);
    expect([...ids.values()].every((seen) => seen === 1)).toBe(true);

    const filtered = await readIds(
      readParallel(tasks(plan, '`id`', { sql: '`grp` = ? AND `amount` IS NOT NULL', params: [3] })),
    );
    expect(filtered.rows).toBe(
      await count(single, 'SELECT COUNT(*) AS n FROM rp_native WHERE grp = ? AND amount IS NOT NULL', [3]),
    );
  });
});

describe('a Spider table read on its leaves', () => {
  const ROWS = 10_000;

  beforeAll(async () => {
    await createShardedTable(
      cluster,
      'rp_sharded',
      [
        { name: 'id', type: 'BIGINT NOT NULL' },
        { name: 'customer', type: 'VARCHAR(32) NOT NULL' },
        { name: 'amount', type: 'DECIMAL(12,2) NOT NULL' },
      ],
      'id',
      { primaryKey: ['id'], ifExists: 'replace' },
    );
    await withSession(cluster.head, async (session) => {
      for (let start = 0; start < ROWS; start += 2000) {
        const rows = Array.from({ length: 2000 }, (_, i) => [
          start + i + 1,
          `c${(start + i) % 97}`,
          ((start + i) % 500) + 0.5,
        ]);
        await session.query('INSERT INTO rp_sharded (id, customer, amount) VALUES ?', [rows]);
      }
    });
  });

  it('finds each partition’s leaf through the head’s mysql.servers', async () => {
    const plan = await planPartitions(cluster.head, 'rp_sharded');
    expect(plan.strategy).toBe('spider');
    expect(plan.scans.map((scan) => [scan.endpoint.host, scan.endpoint.port, scan.from])).toEqual(
      cluster.leaves.map((leaf) => [leaf.host, leaf.port, '`sluice`.`rp_sharded`']),
    );
    expect(plan.scans.map((scan) => scan.label)).toEqual(
      cluster.leaves.map((leaf, index) => `p${index}@${leaf.host}:${leaf.port}`),
    );
  });

  it('reads the leaves directly, and their rows add up to the head’s', async () => {
    const plan = await planPartitions(cluster.head, 'rp_sharded');
    const { ids, rows } = await readIds(readParallel(tasks(plan)));
    expect(rows).toBe(await count(cluster.head, 'SELECT COUNT(*) AS n FROM rp_sharded'));
    expect(rows).toBe(ROWS);
    expect([...ids.values()].every((seen) => seen === 1)).toBe(true);
    for (const scan of plan.scans) {
      // Each leaf holds only its share: reading a leaf is not reading the head.
      const leafRows = await count(scan.endpoint, 'SELECT COUNT(*) AS n FROM rp_sharded');
      expect(leafRows).toBeGreaterThan(0);
      expect(leafRows).toBeLessThan(ROWS);
    }

    let total = 0;
    for await (const batch of readParallel(tasks(plan, 'SUM(`amount`) AS `s`'))) {
      for (const value of batch.getChild('s')!) total += Number(decimalToString(value as Uint32Array, 2));
    }
    const [head] = await withSession(cluster.head, (session) =>
      session.query<{ s: string }>('SELECT SUM(amount) AS s FROM rp_sharded'),
    );
    expect(total).toBeCloseTo(Number(head!.s), 2);
  });
});

describe('key ranges', () => {
  beforeAll(async () => {
    await withSession(single, async (session) => {
      await session.query('DROP TABLE IF EXISTS rp_keys');
      await session.query(
        'CREATE TABLE rp_keys (id INT NOT NULL PRIMARY KEY, k INT NULL, big BIGINT UNSIGNED NULL, day DATE NULL, ' +
          'at DATETIME NULL, price DECIMAL(10,2) NULL)',
      );
      await session.query('SET SESSION max_recursive_iterations = 5001');
      await session.query(
        `INSERT INTO rp_keys WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
         SELECT i,
           IF(i % 50 = 0, NULL, (i * 7919) % 2000 - 1000),
           IF(i % 40 = 0, NULL, 18446744073709551615 - i * 1000000000000),
           IF(i % 30 = 0, NULL, DATE_ADD('1992-01-01', INTERVAL (i * 13) % 2500 DAY)),
           IF(i % 20 = 0, NULL, DATE_ADD('2024-01-01', INTERVAL i * 97 MINUTE)),
           IF(i % 10 = 0, NULL, (i % 997) / 4)
         FROM n`,
      );
      await session.query('ANALYZE TABLE rp_keys');
    });
  });

  const cases: [string, Record<string, unknown>][] = [
    ['an integer column with NULLs', { column: 'k', count: 5 }],
    [
      'bounds inside the data (they set the stride, they do not filter)',
      { column: 'k', lower: -10, upper: 10, count: 4 },
    ],
    ['bounds outside the data', { column: 'k', lower: -100000, upper: 100000, count: 3 }],
    ['BIGINT UNSIGNED above 2^63', { column: 'big', count: 4 }],
    ['a DATE column', { column: 'day', count: 6 }],
    ['a DATETIME column', { column: 'at', count: 3 }],
    ['a DECIMAL column', { column: 'price', count: 7 }],
    ['more ranges than values', { column: 'k', lower: 0, upper: 2, count: 50 }],
  ];
  for (const [what, partitioning] of cases) {
    it(`cover every row exactly once: ${what}`, async () => {
      const plan = await planPartitions(single, 'rp_keys', { partitioning: partitioning as never });
      expect(plan.strategy).toBe('key-range');
      expect(plan.scans[0]!.where?.sql).toMatch(/IS NULL\)$/);
      const { ids, rows } = await readIds(readParallel(tasks(plan, '`id`')));
      expect(rows).toBe(5000);
      expect(ids.size).toBe(5000);
    });
  }

  it('splits on a numeric primary key by itself when the table is big enough', async () => {
    const plan = await planPartitions(single, 'rp_keys', { parallelism: 4, minRowsPerScan: 1000 });
    expect(plan.strategy).toBe('key-range');
    expect(plan.scans).toHaveLength(4);
    expect(plan.reason).toMatch(/^4 key ranges on the primary key on id \(int\) between 1 and 5000$/);
    const { rows, ids } = await readIds(readParallel(tasks(plan, '`id`')));
    expect([rows, ids.size]).toEqual([5000, 5000]);
    const small = await planPartitions(single, 'rp_keys', { parallelism: 4 });
    expect(small.strategy).toBe('single');
    expect(small.reason).toMatch(/too few to split on primary key id/);
  });

  it('says why a table is read with one query', async () => {
    await withSession(single, (session) => session.query('CREATE OR REPLACE TABLE rp_heap (v VARCHAR(10))'));
    const plan = await planPartitions(single, 'rp_heap', { parallelism: 4 });
    expect(plan).toMatchObject({
      strategy: 'single',
      reason: 'no native partitions, not a Spider table, no single-column numeric or date primary key',
    });
    expect((await planPartitions(single, 'rp_keys', { parallelism: 1 })).reason).toBe('parallelism is 1');
  });

  it('names a missing table or column with the ones that exist', async () => {
    await expect(planPartitions(single, 'rp_nope')).rejects.toThrow(
      /table 'rp_nope' does not exist in 'sluice'; tables there: .*rp_keys/,
    );
    await expect(
      planPartitions(single, 'rp_keys', { partitioning: { column: 'nope', count: 2 } }),
    ).rejects.toThrow(
      "partitioning column 'nope' is not a column of 'rp_keys'; columns: id, k, big, day, at, price",
    );
    await withSession(single, (session) =>
      session.query('CREATE OR REPLACE TABLE rp_text (id INT PRIMARY KEY, s VARCHAR(5))'),
    );
    await expect(
      planPartitions(single, 'rp_text', { partitioning: { column: 's', count: 2 } }),
    ).rejects.toThrow("partitioning column 's' is varchar; key ranges need a numeric or date column");
  });
});
