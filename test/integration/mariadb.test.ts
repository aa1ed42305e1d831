import { describe, expect, inject, it } from 'vitest';
import { withSession } from '../../src/db/driver.ts';
import type { DbEndpoint } from '../../src/db/endpoint.ts';

const stack = inject('stack');
const servers: [string, DbEndpoint][] = [
  ['single', stack.single],
  ['head', stack.cluster.head],
  ...stack.cluster.leaves.map((leaf, index): [string, DbEndpoint] => [`leaf${index + 1}`, leaf]),
];

describe('every MariaDB server of the stack answers real queries', () => {
  it.each(servers)('%s reports its own port and the sluice schema', async (_name, endpoint) => {
    const [row] = await withSession(endpoint, (session) =>
      session.query<{ port: number; db: string; version: string }>(
        'SELECT @@port AS port, DATABASE() AS db, VERSION() AS version',
      ),
    );
    expect(Number(row!.port)).toBe(endpoint.port);
    expect(row!.db).toBe('sluice');
    expect(row!.version).toMatch(/MariaDB/);
  });

  it.each(servers)(
    '%s keeps its temporary tables in its own folder, not the shared /tmp',
    async (_name, endpoint) => {
      const [row] = await withSession(endpoint, (session) =>
        session.query<{ tmpdir: string }>('SELECT @@tmpdir AS tmpdir'),
      );
      // A stack from SLUICE_DB_URL / SLUICE_CLUSTER_URLS or testcontainers has no home of ours.
      if (!stack.home) return;
      expect(row!.tmpdir.startsWith(`${stack.home}/`)).toBe(true);
      expect(row!.tmpdir.endsWith('/tmp')).toBe(true);
    },
  );

  it.each(servers)('%s stores and returns utf8mb4 text and computes an aggregate', async (name, endpoint) => {
    const table = `smoke_${name}`;
    const values = ['plain', "it's \\ quoted", '🦀 crab', ''];
    const rows = await withSession(endpoint, async (session) => {
      await session.query(`DROP TABLE IF EXISTS ${table}`);
      await session.query(
        `CREATE TABLE ${table} (id INT PRIMARY KEY, label VARCHAR(32) NOT NULL) ENGINE=InnoDB`,
      );
      for (const [index, value] of values.entries()) {
        await session.query(`INSERT INTO ${table} (id, label) VALUES (?, ?)`, [index + 1, value]);
      }
      const read = await session.query<{ id: number; label: string }>(
        `SELECT id, label FROM ${table} ORDER BY id`,
      );
      const [sum] = await session.query<{ total: string }>(`SELECT SUM(id) AS total FROM ${table}`);
      return { read, total: Number(sum!.total) };
    });
    expect(rows.read.map((row) => row.label)).toEqual(values);
    expect(rows.total).toBe(10);
  });

  it('a database error keeps the server code and message as its cause', async () => {
    const failure = withSession(stack.single, (session) => session.query('SELECT * FROM no_such_table'));
    await expect(failure).rejects.toMatchObject({
      code: 'DB_ERROR',
      errno: 1146,
      message: expect.stringMatching(/no_such_table.*doesn't exist/),
    });
  });
});
