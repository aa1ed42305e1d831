import net from 'node:net';
import type { RecordBatch } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DatabaseError, SluiceError } from '../../src/base/errors.ts';
import { withSession } from '../../src/db/driver.ts';
import type { DbEndpoint } from '../../src/db/endpoint.ts';
import { limitBatches } from '../../src/reader/merge.ts';
import {
  closeReaderPool,
  type ParallelReadStats,
  PartitionError,
  type ReadTask,
  readParallel,
  readParallelSorted,
} from '../../src/reader/parallel.ts';
import { scanSql } from '../../src/reader/partitioning/scan.ts';
import { planPartitions } from '../../src/reader/partitions.ts';
import { readArrow } from '../../src/reader/read.ts';

const { single, cluster } = inject('stack');
const servers = [single, cluster.head, ...cluster.leaves];
const ROWS = 50_000;

/** Statements running on a server, other than our own SHOW PROCESSLIST. */
async function runningQueries(endpoint: DbEndpoint): Promise<string[]> {
  const rows = await withSession(endpoint, (session) =>
    session.query<{ Command: string; Info: string | null }>('SHOW FULL PROCESSLIST'),
  );
  return rows
    .filter((row) => row.Command === 'Query' && !String(row.Info ?? '').startsWith('SHOW FULL PROCESSLIST'))
    .map((row) => String(row.Info));
}

async function expectNothingRunning(): Promise<void> {
  for (const server of servers)
    expect(await runningQueries(server), `${server.host}:${server.port}`).toEqual([]);
}

function newStats(): ParallelReadStats {
  return { batches: 0, rows: 0, maxQueued: 0, retries: 0 };
}

async function partitionTasks(select = '*', suffix = ''): Promise<ReadTask[]> {
  const plan = await planPartitions(single, 'rpp_items');
  return plan.scans.map((scan) => {
    const { sql, params } = scanSql(scan, select);
    return { label: scan.label, endpoint: scan.endpoint, sql: `${sql}${suffix}`, params };
  });
}

/** A statement that returns rows for a long time (a cross join), so reads can be stopped midway. */
const LONG_QUERY = 'SELECT a.id, a.payload, b.id AS id2 FROM rpp_items a CROSS JOIN rpp_items b';

beforeAll(async () => {
  await withSession(single, async (session) => {
    await session.query('DROP TABLE IF EXISTS rpp_items');
    await session.query(
      'CREATE TABLE rpp_items (id INT NOT NULL PRIMARY KEY, score DOUBLE NOT NULL, payload VARCHAR(200) NOT NULL) ' +
        'PARTITION BY HASH(id) PARTITIONS 4',
    );
    await session.query('SET SESSION max_recursive_iterations = ?', [ROWS + 1]);
    await session.query(
      `INSERT INTO rpp_items WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${ROWS})
       SELECT i, (i * 7919) % 10007 / 7.0, REPEAT(CHAR(65 + i % 26), 100 + i % 100) FROM n`,
    );
  });
});

afterAll(async () => {
  await closeReaderPool();
});

describe('a failing partition', () => {
  it('fails the whole read, naming the partition and the database error', async () => {
    const tasks = await partitionTasks('`id`');
    tasks.push({
      label: 'broken',
      endpoint: single,
      sql: 'SELECT * FROM rpp_missing WHERE id > ?',
      params: [1],
    });
    const read = async () => {
      for await (const _ of readParallel(tasks, { parallelism: 5 })) {
        // consume
      }
    };
    const error = await read().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PartitionError);
    expect((error as PartitionError).code).toBe('PARTITION_FAILED');
    expect((error as PartitionError).partition).toBe('broken');
    expect((error as PartitionError).errno).toBe(1146);
    expect((error as Error).message).toMatch(
      new RegExp(
        `^partition broken on ${single.host}:${single.port} failed: query failed on .*: Table 'sluice.rpp_missing' doesn't exist$`,
      ),
    );
    await expectNothingRunning();
  });

  it('fails a single-connection read with the database error', async () => {
    const read = async () => {
      for await (const _ of readArrow(single, 'SELECT * FROM rpp_missing WHERE id > ?', [1])) {
        // consume
      }
    };
    const error = await read().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DatabaseError);
    expect((error as DatabaseError).errno).toBe(1146);
    expect((error as Error).message).toMatch(
      /^query failed on .*: Table 'sluice.rpp_missing' doesn't exist$/,
    );
  });

  it('fails when a partition breaks after it has delivered rows', async () => {
    // The scalar subquery returns two rows only for id 40000: the statement fails mid-stream.
    const tasks: ReadTask[] = [
      {
        label: 'midway',
        endpoint: single,
        sql: 'SELECT id, IF(id = ?, (SELECT 1 UNION SELECT 2), id) AS v FROM rpp_items ORDER BY id',
        params: [40_000],
      },
    ];
    const stats = newStats();
    const read = async () => {
      for await (const _ of readParallel(tasks, { batchRows: 1000, stats })) {
        // consume
      }
    };
    await expect(read()).rejects.toThrow(
      /^partition midway on .* failed: .*Subquery returns more than 1 row/,
    );
    expect(stats.rows).toBeGreaterThan(0);
    expect(stats.retries).toBe(0);
  });
});

describe('stopping a read', () => {
  it('kills the running statements when the consumer breaks out, on every server', async () => {
    const tasks: ReadTask[] = [
      ...servers.map((endpoint, index) => ({
        label: `long${index}`,
        endpoint,
        // Runs for 30 s on every server, with the same columns as the stream.
        sql: "SELECT 1 AS id, 'x' AS payload, 1 AS id2 FROM (SELECT SLEEP(30) AS s) AS t",
        params: [],
      })),
      { label: 'stream', endpoint: single, sql: LONG_QUERY, params: [] },
    ];
    let batches = 0;
    for await (const batch of readParallel(tasks, { batchRows: 500, parallelism: tasks.length })) {
      expect(batch.numRows).toBeGreaterThan(0);
      if (++batches === 3) break;
    }
    expect(batches).toBe(3);
    await expectNothingRunning();
  });

  it('kills them when the AbortSignal fires', async () => {
    const controller = new AbortController();
    const tasks = (await partitionTasks('`id`')).map((task) => ({ ...task, sql: LONG_QUERY }));
    const read = async () => {
      for await (const _ of readParallel(tasks, { signal: controller.signal, batchRows: 1000 })) {
        controller.abort(new Error('enough'));
      }
    };
    const error = await read().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SluiceError);
    expect((error as SluiceError).code).toBe('READ_ABORTED');
    expect(((error as SluiceError).cause as Error).message).toBe('enough');
    await expectNothingRunning();
  });

  it('kills a single-connection read too', async () => {
    for await (const _ of readArrow(single, LONG_QUERY, [], { batchRows: 1000 })) break;
    await expectNothingRunning();
    const controller = new AbortController();
    const read = async () => {
      for await (const _ of readArrow(single, LONG_QUERY, [], {
        batchRows: 1000,
        signal: controller.signal,
      })) {
        controller.abort();
      }
    };
    await expect(read()).rejects.toMatchObject({ code: 'READ_ABORTED' });
    await expectNothingRunning();
  });

  it('stops the other partitions once a LIMIT is reached', async () => {
    const tasks = (await partitionTasks('`id`')).map((task) => ({ ...task, sql: LONG_QUERY }));
    let rows = 0;
    for await (const batch of limitBatches(readParallel(tasks, { batchRows: 1000 }), { limit: 2500 })) {
      rows += batch.numRows;
    }
    expect(rows).toBe(2500);
    await expectNothingRunning();
  });
});

describe('scheduling', () => {
  it('reads more partitions at once than there are reader threads', async () => {
    const plan = await planPartitions(single, 'rpp_items', { partitioning: { column: 'id', count: 12 } });
    expect(plan.scans).toHaveLength(12);
    const tasks = plan.scans.map((scan) => ({
      label: scan.label,
      endpoint: scan.endpoint,
      ...scanSql(scan, '`id`'),
    }));
    const stats = newStats();
    const ids = new Set<number>();
    for await (const batch of readParallel(tasks, { parallelism: 12, batchRows: 1000, stats })) {
      for (const id of batch.getChild('id')!) ids.add(id as number);
    }
    expect(ids.size).toBe(ROWS);
    expect(stats.rows).toBe(ROWS);
  });
});

describe('backpressure', () => {
  it('keeps at most maxBatchesInFlight batches waiting for a slow consumer', async () => {
    const stats = newStats();
    const tasks = await partitionTasks();
    let rows = 0;
    for await (const batch of readParallel(tasks, { batchRows: 500, maxBatchesInFlight: 4, stats })) {
      rows += batch.numRows;
      // A slow consumer for the first batches: the workers must wait, not pile batches up.
      if (stats.batches < 20) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(rows).toBe(ROWS);
    expect(stats.batches).toBeGreaterThanOrEqual(ROWS / 500);
    expect(stats.maxQueued).toBeLessThanOrEqual(4);
    expect(stats.maxQueued).toBeGreaterThan(0);
  });

  it('streams far more rows than it holds in memory', async () => {
    // 2,000 x 1,000 rows of about 150 bytes: some 300 MB of row data in all.
    const plan = await planPartitions(single, 'rpp_items');
    const tasks: ReadTask[] = plan.scans.map((scan) => ({
      label: scan.label,
      endpoint: scan.endpoint,
      sql: `SELECT a.id, a.payload, b.id AS id2 FROM ${scan.from} AS a JOIN rpp_items b ON b.id <= ? WHERE a.id <= ?`,
      params: [1000, 2000],
    }));
    const stats = newStats();
    const before = process.memoryUsage().rss;
    let peak = before;
    let rows = 0;
    let bytes = 0;
    for await (const batch of readParallel(tasks, { batchBytes: 1 << 20, maxBatchesInFlight: 4, stats })) {
      rows += batch.numRows;
      bytes += batch.getChild('payload')!.data[0]!.values.byteLength;
      peak = Math.max(peak, process.memoryUsage().rss);
    }
    expect(rows).toBe(2_000_000);
    expect(bytes).toBeGreaterThan(250 * 2 ** 20);
    expect(stats.maxQueued).toBeLessThanOrEqual(4);
    expect((peak - before) / 2 ** 20).toBeLessThan(200);
  });
});

/**
 * A TCP proxy in front of the single server that cuts the first connection once it has passed
 * `cutAfter` bytes from the server: a real connection loss in the middle of a result.
 */
async function flakyProxy(
  cutAfter: number,
): Promise<{ endpoint: DbEndpoint; connections: () => number; close: () => Promise<void> }> {
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const index = connections++;
    const upstream = net.connect(single.port, single.host);
    sockets.add(client).add(upstream);
    let passed = 0;
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      passed += chunk.length;
      if (index === 0 && passed > cutAfter) {
        client.destroy();
        upstream.destroy();
        return;
      }
      client.write(chunk);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    endpoint: { ...single, host: '127.0.0.1', port },
    connections: () => connections,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('connection loss', () => {
  it('reads a partition again from scratch when its connection drops before it delivered anything', async () => {
    const proxy = await flakyProxy(200_000);
    try {
      const stats = newStats();
      const ids = new Set<number>();
      const tasks: ReadTask[] = [
        { label: 'flaky', endpoint: proxy.endpoint, sql: 'SELECT id, payload FROM rpp_items', params: [] },
      ];
      for await (const batch of readParallel(tasks, { batchRows: 1_000_000, stats })) {
        for (const id of batch.getChild('id')!) ids.add(id as number);
      }
      expect(ids.size).toBe(ROWS);
      expect(stats.rows).toBe(ROWS);
      expect(stats.retries).toBe(1);
      expect(proxy.connections()).toBe(2);
    } finally {
      await proxy.close();
    }
  });

  it('fails instead of retrying once the partition has delivered rows', async () => {
    const proxy = await flakyProxy(2_000_000);
    try {
      const stats = newStats();
      const tasks: ReadTask[] = [
        { label: 'flaky', endpoint: proxy.endpoint, sql: 'SELECT id, payload FROM rpp_items', params: [] },
      ];
      const read = async () => {
        for await (const _ of readParallel(tasks, { batchRows: 500, stats })) {
          // consume
        }
      };
      await expect(read()).rejects.toThrow(
        /^partition flaky on 127\.0\.0\.1:\d+ failed: query failed on .*: Connection lost/,
      );
      expect(stats.retries).toBe(0);
      expect(stats.rows).toBeGreaterThan(0);
    } finally {
      await proxy.close();
    }
  });
});

describe('sorted reads', () => {
  it('merges partitions sorted by the same keys into the order of one query', async () => {
    const order = ' ORDER BY `score` DESC, `id`';
    const tasks = await partitionTasks('`id`, `score`', `${order} LIMIT 1000`);
    const merged: [number, number][] = [];
    for await (const batch of readParallelSorted(
      tasks,
      [{ column: 'score', descending: true }, { column: 'id' }],
      { limit: 1000, batchRows: 300 },
    )) {
      for (const row of batch) merged.push([row!.id as number, row!.score as number]);
    }
    const expected: [number, number][] = [];
    for await (const batch of readArrow(single, `SELECT id, score FROM rpp_items${order} LIMIT 1000`)) {
      for (const row of batch) expected.push([row!.id as number, row!.score as number]);
    }
    expect(merged).toEqual(expected);
    await expectNothingRunning();
  });

  it('merges whole partitions without a limit', async () => {
    const tasks = await partitionTasks('`id`', ' ORDER BY `id` DESC');
    let previous = Number.POSITIVE_INFINITY;
    let rows = 0;
    const batches: RecordBatch[] = [];
    for await (const batch of readParallelSorted(tasks, [{ column: 'id', descending: true }])) {
      batches.push(batch);
      for (const id of batch.getChild('id')!) {
        expect(id as number).toBeLessThan(previous);
        previous = id as number;
        rows++;
      }
    }
    expect(rows).toBe(ROWS);
  });
});
