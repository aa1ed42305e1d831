import { describe, expect, it } from 'vitest';
import type { DbEndpoint } from '../../../src/db/endpoint.ts';
import { keyRanges, rangeCondition } from '../../../src/reader/partitioning/key-range.ts';
import { type PartitionScan, scanSql } from '../../../src/reader/partitioning/scan.ts';
import { describePartitionPlan, planPartitions } from '../../../src/reader/partitions.ts';
import { parseSpiderComment, resolveSpiderTargets } from '../../../src/reader/spider.ts';

const head: DbEndpoint = { host: '127.0.0.1', port: 3307, user: 'root', password: 'secret', database: 'app' };

describe('key ranges', () => {
  it('splits integers into equal ranges, open at both ends, NULLs in the first', () => {
    const ranges = keyRanges('id', 'integer', 0, 100, 4);
    expect(ranges).toEqual([
      { column: 'id', upper: 25, includeNulls: true },
      { column: 'id', lower: 25, upper: 50, includeNulls: false },
      { column: 'id', lower: 50, upper: 75, includeNulls: false },
      { column: 'id', lower: 75, includeNulls: false },
    ]);
    expect(ranges.map((range) => rangeCondition(range))).toEqual([
      { sql: '(`id` < ? OR `id` IS NULL)', params: [25] },
      { sql: '`id` >= ? AND `id` < ?', params: [25, 50] },
      { sql: '`id` >= ? AND `id` < ?', params: [50, 75] },
      { sql: '`id` >= ?', params: [75] },
    ]);
  });

  it('keeps BIGINT bounds exact beyond 2^53 and merges ranges a narrow span cannot fill', () => {
    const ranges = keyRanges('id', 'integer', '9223372036854775000', '9223372036854775807', 2);
    expect(ranges.map((range) => range.lower ?? null)).toEqual([null, 9223372036854775403n]);
    expect(
      keyRanges('id', 'integer', 10, 12, 8).map((range) => [range.lower ?? null, range.upper ?? null]),
    ).toEqual([
      [null, 11],
      [11, null],
    ]);
    expect(keyRanges('id', 'integer', 5, 5, 4)).toEqual([{ column: 'id', includeNulls: true }]);
    expect(keyRanges('id', 'integer', -100, 100, 2).map((range) => range.upper ?? null)).toEqual([0, null]);
  });

  it('splits decimals, dates and datetimes', () => {
    expect(keyRanges('price', 'number', '0.00', '10.00', 4).map((range) => range.lower ?? null)).toEqual([
      null,
      2.5,
      5,
      7.5,
    ]);
    expect(
      keyRanges('day', 'date', '1992-01-01', '1998-12-31', 3).map((range) => range.lower ?? null),
    ).toEqual([null, '1994-05-02', '1996-08-31']);
    expect(
      keyRanges('at', 'datetime', '2024-01-01 00:00:00', '2024-01-02 00:00:00.5', 4).map(
        (range) => range.lower ?? null,
      ),
    ).toEqual([null, '2024-01-01 06:00:00', '2024-01-01 12:00:00', '2024-01-01 18:00:00']);
    expect(keyRanges('day', 'date', new Date('2024-01-01'), new Date('2024-01-05'), 2)[1]!.lower).toBe(
      '2024-01-03',
    );
  });

  it('covers every value exactly once, whatever the bounds', () => {
    const values = [-50, -1, 0, 1, 7, 33, 99, 100, 101, 1000, null];
    for (const [lower, upper, count] of [
      [0, 100, 4],
      [10, 20, 3],
      [-1000, 5000, 7],
      [200, 300, 2],
    ] as const) {
      const ranges = keyRanges('k', 'integer', lower, upper, count);
      for (const value of values) {
        const owners = ranges.filter((range) =>
          value === null
            ? range.includeNulls
            : (range.lower === undefined || value >= Number(range.lower)) &&
              (range.upper === undefined || value < Number(range.upper)),
        );
        expect(owners, `value ${value} in ${lower}..${upper}/${count}`).toHaveLength(1);
      }
    }
  });
});

describe('Spider comments', () => {
  it('parses parameters, abbreviations and quoting', () => {
    expect(parseSpiderComment('wrapper "mysql", srv "leaf1", tbl "t_0"')).toEqual({
      wrapper: 'mysql',
      server: 'leaf1',
      table: 't_0',
    });
    expect(
      parseSpiderComment('host \'10.0.0.1\', port "3310", user "u", password \'p\\\'w\', database "db"'),
    ).toEqual({
      host: '10.0.0.1',
      port: '3310',
      user: 'u',
      password: "p'w",
      database: 'db',
    });
    expect(parseSpiderComment('table "a b"')).toEqual({ table: 'a' });
    expect(parseSpiderComment('')).toEqual({});
  });

  const servers = [
    { name: 'leaf1', host: '10.0.0.1', port: 3308, user: 'spider', password: 'pw', database: 'shard' },
    { name: 'leaf2', host: '10.0.0.2', port: 3309, user: '', password: '', database: '' },
  ];

  it('resolves partitions to leaf tables: partition over table comment over server over head', () => {
    const targets = resolveSpiderTargets(
      head,
      'app',
      'orders',
      'wrapper "mysql", table "orders_all"',
      [
        { name: 'p0', comment: 'srv "leaf1"' },
        { name: 'p1', comment: 'srv "leaf2", table "orders_p1"' },
        { name: 'p2', comment: 'host "10.0.0.3", port "3400", database "other"' },
      ],
      servers,
    );
    expect(targets).toEqual([
      {
        partition: 'p0',
        endpoint: { host: '10.0.0.1', port: 3308, user: 'spider', password: 'pw', database: 'shard' },
        database: 'shard',
        table: 'orders_all',
      },
      {
        partition: 'p1',
        endpoint: { host: '10.0.0.2', port: 3309, user: 'root', password: '', database: 'app' },
        database: 'app',
        table: 'orders_p1',
      },
      {
        partition: 'p2',
        endpoint: { host: '10.0.0.3', port: 3400, user: 'root', password: 'secret', database: 'other' },
        database: 'other',
        table: 'orders_all',
      },
    ]);
  });

  it('names what is missing or unsupported', () => {
    expect(() =>
      resolveSpiderTargets(head, 'app', 't', '', [{ name: 'p0', comment: 'srv "leaf9"' }], servers),
    ).toThrow(
      "partition p0 of 't' names server 'leaf9', which is not in the head's mysql.servers (known: leaf1, leaf2)",
    );
    expect(() => resolveSpiderTargets(head, 'app', 't', 'table "x"', [], servers)).toThrow(
      "Spider table 't' names neither a server nor a host in its Spider comment",
    );
    expect(() => resolveSpiderTargets(head, 'app', 't', 'wrapper "odbc", srv "leaf1"', [], servers)).toThrow(
      /uses the Spider wrapper 'odbc'/,
    );
  });
});

describe('SingleStore tables', () => {
  it('are read through one connection, without asking the server', async () => {
    // Port 1 has no server: the plan must not connect.
    const nowhere: DbEndpoint = { ...head, port: 1 };
    const plan = await planPartitions(nowhere, 'orders', { dialect: 'singlestore', parallelism: 4 });
    expect(plan.strategy).toBe('single');
    expect(describePartitionPlan(plan)).toBe(
      [
        'partitions: single, 1 scan(s), 1 at a time (SingleStore tables are read through one connection (result-table reads are not built))',
        '  all on 127.0.0.1:1: FROM `app`.`orders`',
      ].join('\n'),
    );
  });
});

describe('partition plans', () => {
  it("plans a single read for partitioning: 'none' without asking the database", async () => {
    const offline: DbEndpoint = { ...head, port: 1 };
    const plan = await planPartitions(offline, 'orders', { partitioning: 'none' });
    expect(plan).toMatchObject({ strategy: 'single', reason: "partitioning: 'none'" });
    expect(plan.scans).toEqual([{ label: 'all', endpoint: offline, from: '`app`.`orders`' }]);
  });

  it('rejects partitioning options that are not valid', async () => {
    await expect(planPartitions(head, 't', { partitioning: 'fast' as 'auto' })).rejects.toThrow(
      `partitioning is "fast"; valid: 'auto', 'none' or { column, lower?, upper?, count }`,
    );
    await expect(planPartitions(head, 't', { partitioning: { column: 'id', count: 0 } })).rejects.toThrow(
      'partitioning.count must be an integer from 1 to 10000, not 0',
    );
  });

  it('renders key-range scans with their parameters', () => {
    const scans: PartitionScan[] = keyRanges('id', 'integer', 0, 10, 2).map((range, index) => ({
      label: `range ${index + 1}/2`,
      endpoint: head,
      from: '`app`.`t`',
      where: rangeCondition(range),
      range,
    }));
    expect(scans.map((scan) => scanSql(scan, '`id`'))).toEqual([
      { sql: 'SELECT `id` FROM `app`.`t` WHERE (`id` < ? OR `id` IS NULL)', params: [5] },
      { sql: 'SELECT `id` FROM `app`.`t` WHERE `id` >= ?', params: [5] },
    ]);
  });
});
