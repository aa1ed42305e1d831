import { describe, expect, it } from 'vitest';
import { createServerSql, shardedTableDdl } from '../../../src/db/sharding.ts';

const columns = [
  { name: 'id', type: 'BIGINT NOT NULL' },
  { name: 'name', type: 'VARCHAR(32)' },
];

describe('sharded table DDL', () => {
  it('makes an InnoDB table for the leaves and a Spider table with one partition per leaf', () => {
    const ddl = shardedTableDdl('orders', columns, 'id', 2, { primaryKey: ['id'] });
    expect(ddl.leaf).toBe(
      'CREATE TABLE `orders` (`id` BIGINT NOT NULL, `name` VARCHAR(32), PRIMARY KEY (`id`)) ENGINE=InnoDB',
    );
    expect(ddl.head).toBe(
      'CREATE TABLE `orders` (`id` BIGINT NOT NULL, `name` VARCHAR(32), PRIMARY KEY (`id`)) ENGINE=SPIDER ' +
        `COMMENT='wrapper \\"mysql\\", table \\"orders\\"' PARTITION BY HASH (\`id\`) ` +
        `(PARTITION p0 COMMENT='srv \\"sluice_leaf1\\"', PARTITION p1 COMMENT='srv \\"sluice_leaf2\\"')`,
    );
  });

  it('hashes integer keys with HASH and any other type with KEY', () => {
    expect(shardedTableDdl('t', columns, 'name', 3).head).toContain('PARTITION BY KEY (`name`)');
    expect(shardedTableDdl('t', columns, 'name', 3).head).toContain('PARTITION p2');
  });

  it.each([
    [
      'a shard key that is not a column',
      () => shardedTableDdl('t', columns, 'nope', 2),
      /shard key 'nope' is not a column of 't'; columns: id, name/,
    ],
    [
      'a primary key without the shard key',
      () => shardedTableDdl('t', columns, 'id', 2, { primaryKey: ['name'] }),
      /must include the shard key 'id'/,
    ],
    [
      'a table name Spider cannot quote',
      () => shardedTableDdl('t"x', columns, 'id', 2),
      /table name 't"x' must match/,
    ],
    [
      'a type that smuggles a statement',
      () => shardedTableDdl('t', [{ name: 'id', type: 'INT; DROP TABLE x' }], 'id', 2),
      /not a plain column type/,
    ],
  ])('rejects %s', (_what, build, message) => {
    expect(build).toThrow(message);
  });

  it('escapes server options, which DDL cannot take as parameters', () => {
    const sql = createServerSql('sluice_leaf1', {
      host: 'h',
      port: 3307,
      user: 'u',
      password: "it's",
      database: 'd',
    });
    expect(sql).toBe(
      "CREATE OR REPLACE SERVER `sluice_leaf1` FOREIGN DATA WRAPPER mysql OPTIONS (HOST 'h', PORT 3307, USER 'u', PASSWORD 'it\\'s', DATABASE 'd')",
    );
  });
});
