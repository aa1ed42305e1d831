import { beforeAll, describe, expect, inject, it } from 'vitest';
import { withSession } from '../../src/db/driver.ts';
import { createShardedTable } from '../../src/db/sharding.ts';

const { cluster } = inject('stack');
const ROWS = 10_000;

async function leafRows(table: string) {
  return Promise.all(
    cluster.leaves.map((leaf) =>
      withSession(leaf, (session) =>
        session.query<{ n: string; total: string; min_mod: string; max_mod: string }>(
          `SELECT COUNT(*) AS n, SUM(amount) AS total, MIN(id % ${cluster.leaves.length}) AS min_mod, MAX(id % ${cluster.leaves.length}) AS max_mod FROM ${table}`,
        ),
      ),
    ),
  );
}

describe('a sharded table on the Spider cluster', () => {
  beforeAll(async () => {
    await createShardedTable(
      cluster,
      'orders_sharded',
      [
        { name: 'id', type: 'BIGINT NOT NULL' },
        { name: 'customer', type: 'VARCHAR(32) NOT NULL' },
        { name: 'amount', type: 'DECIMAL(12,2) NOT NULL' },
      ],
      'id',
      { primaryKey: ['id'], ifExists: 'replace' },
    );
    await withSession(cluster.head, async (session) => {
      const rows = Array.from({ length: ROWS }, (_, i) => [
        i + 1,
        `c${i % 97}`,
        ((i % 500) + 0.25).toFixed(2),
      ]);
      for (let i = 0; i < ROWS; i += 1000) {
        await session.query('INSERT INTO orders_sharded (id, customer, amount) VALUES ?', [
          rows.slice(i, i + 1000),
        ]);
      }
    });
  });

  it('has every row written through the head, and the leaves together hold exactly those rows', async () => {
    const [head] = await withSession(cluster.head, (session) =>
      session.query<{ n: string; total: string }>(
        'SELECT COUNT(*) AS n, SUM(amount) AS total FROM orders_sharded',
      ),
    );
    const leaves = (await leafRows('orders_sharded')).map(([row]) => row!);
    const leafCount = leaves.reduce((sum, row) => sum + Number(row.n), 0);
    const leafTotal = leaves.reduce((sum, row) => sum + Number(row.total), 0);
    expect(Number(head!.n)).toBe(ROWS);
    expect(leafCount).toBe(ROWS);
    expect(leafTotal).toBeCloseTo(Number(head!.total), 2);
    for (const row of leaves) expect(Number(row.n)).toBeGreaterThan(0);
  });

  it('places each row on the leaf that owns its shard key (HASH on id: leaf i holds id mod N = i)', async () => {
    const leaves = (await leafRows('orders_sharded')).map(([row]) => row!);
    leaves.forEach((row, index) => {
      expect(Number(row.min_mod)).toBe(index);
      expect(Number(row.max_mod)).toBe(index);
    });
  });

  it('registers one Spider server entry per leaf on the head, pointing at the leaf port', async () => {
    const servers = await withSession(cluster.head, (session) =>
      session.query<{ Server_name: string; Port: number }>(
        "SELECT Server_name, Port FROM mysql.servers WHERE Server_name LIKE 'sluice_leaf%' ORDER BY Server_name",
      ),
    );
    expect(servers.map((server) => Number(server.Port))).toEqual(cluster.leaves.map((leaf) => leaf.port));
  });
});
