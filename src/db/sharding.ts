/**
 * Sharded tables on a MariaDB Spider cluster: the head holds a Spider table whose partitions
 * each live on one leaf; the leaves hold ordinary InnoDB tables with the rows.
 */
import { ConfigError, SluiceError } from '../base/errors.ts';
import { quoteIdentifier, quoteTableName } from '../sql/identifiers.ts';
import { type DbSession, escapeLiteral, withSession } from './driver.ts';
import type { DbEndpoint } from './endpoint.ts';

export interface ClusterEndpoints {
  readonly head: DbEndpoint;
  readonly leaves: readonly DbEndpoint[];
}

export interface ColumnSpec {
  readonly name: string;
  /** A column type as in DDL, e.g. 'BIGINT NOT NULL', 'VARCHAR(64)', 'DECIMAL(12,2)'. */
  readonly type: string;
}

export interface ShardedTableOptions {
  /** Columns of the primary key; it must contain the shard key (a partitioning rule). */
  readonly primaryKey?: readonly string[];
  /** What to do when the table exists: fail (default) or drop and create it again. */
  readonly ifExists?: 'fail' | 'replace';
}

/** The name of the Spider server entry (`CREATE SERVER`) for leaf `index` (0-based). */
export function leafServerName(index: number): string {
  return `sluice_leaf${index + 1}`;
}

/** Makes (or refreshes) one `CREATE SERVER` entry on the head per leaf. */
export async function registerLeafServers(cluster: ClusterEndpoints): Promise<void> {
  await withSession(cluster.head, async (session) => {
    for (const [index, leaf] of cluster.leaves.entries()) {
      await session.query(createServerSql(leafServerName(index), leaf));
    }
  });
}

/** DDL cannot take parameters, so the server options are escaped literals. */
export function createServerSql(name: string, leaf: DbEndpoint): string {
  const options = [
    `HOST ${escapeLiteral(leaf.host)}`,
    `PORT ${Number(leaf.port)}`,
    `USER ${escapeLiteral(leaf.user)}`,
    `PASSWORD ${escapeLiteral(leaf.password)}`,
    `DATABASE ${escapeLiteral(leaf.database)}`,
  ];
  return `CREATE OR REPLACE SERVER ${quoteIdentifier(name)} FOREIGN DATA WRAPPER mysql OPTIONS (${options.join(', ')})`;
}

const PLAIN_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
// Types are DDL text from the program, not user data, but they are still checked so that a
// statement separator or comment can never ride along.
const COLUMN_TYPE = /^[A-Za-z][A-Za-z0-9 _(),'.]*$/;
const INTEGER_TYPE = /^(TINYINT|SMALLINT|MEDIUMINT|INT|INTEGER|BIGINT)\b/i;

function checkIdentifier(what: string, name: string): void {
  // Spider reads table and server names out of a quoted comment, so only plain names are safe there.
  if (!PLAIN_IDENTIFIER.test(name)) {
    throw new SluiceError(
      'IDENTIFIER_INVALID',
      `${what} '${name}' must match ${PLAIN_IDENTIFIER} for a sharded table`,
    );
  }
}

export interface ShardedTableDdl {
  readonly leaf: string;
  readonly head: string;
}

/** The DDL for the leaves' InnoDB table and the head's Spider table, one partition per leaf. */
export function shardedTableDdl(
  name: string,
  columns: readonly ColumnSpec[],
  shardKey: string,
  leafCount: number,
  options: ShardedTableOptions = {},
): ShardedTableDdl {
  checkIdentifier('table name', name);
  if (columns.length === 0) throw new ConfigError(`sharded table '${name}' needs at least one column`);
  for (const column of columns) {
    checkIdentifier('column name', column.name);
    if (!COLUMN_TYPE.test(column.type)) {
      throw new ConfigError(
        `column '${column.name}' has type '${column.type}', which is not a plain column type`,
      );
    }
  }
  const shardColumn = columns.find((column) => column.name === shardKey);
  if (!shardColumn) {
    throw new ConfigError(
      `shard key '${shardKey}' is not a column of '${name}'; columns: ${columns.map((c) => c.name).join(', ')}`,
    );
  }
  const primaryKey = options.primaryKey ?? [];
  if (primaryKey.length > 0 && !primaryKey.includes(shardKey)) {
    throw new ConfigError(
      `the primary key of '${name}' (${primaryKey.join(', ')}) must include the shard key '${shardKey}'`,
    );
  }
  for (const key of primaryKey) {
    if (!columns.some((column) => column.name === key)) {
      throw new ConfigError(`primary key column '${key}' is not a column of '${name}'`);
    }
  }
  if (!Number.isInteger(leafCount) || leafCount < 1)
    throw new ConfigError('a cluster needs at least one leaf');

  const body = [
    ...columns.map((column) => `${quoteIdentifier(column.name)} ${column.type}`),
    ...(primaryKey.length > 0 ? [`PRIMARY KEY (${primaryKey.map(quoteIdentifier).join(', ')})`] : []),
  ].join(', ');
  const table = quoteTableName(name);
  // HASH spreads consecutive integers evenly (id mod N); KEY hashes any other type.
  const method = INTEGER_TYPE.test(shardColumn.type) ? 'HASH' : 'KEY';
  const partitions = Array.from(
    { length: leafCount },
    (_, index) => `PARTITION p${index} COMMENT=${escapeLiteral(`srv "${leafServerName(index)}"`)}`,
  );
  return {
    leaf: `CREATE TABLE ${table} (${body}) ENGINE=InnoDB`,
    head:
      `CREATE TABLE ${table} (${body}) ENGINE=SPIDER COMMENT=${escapeLiteral(`wrapper "mysql", table "${name}"`)} ` +
      `PARTITION BY ${method} (${quoteIdentifier(shardKey)}) (${partitions.join(', ')})`,
  };
}

/**
 * Creates a table spread across the leaves: an InnoDB table on each leaf and a Spider table on
 * the head with one partition per leaf, partitioned on `shardKey`. Rows written through the head
 * land on the leaf that owns their shard key.
 */
export async function createShardedTable(
  cluster: ClusterEndpoints,
  name: string,
  columns: readonly ColumnSpec[],
  shardKey: string,
  options: ShardedTableOptions = {},
): Promise<void> {
  const ddl = shardedTableDdl(name, columns, shardKey, cluster.leaves.length, options);
  const prepare = async (session: DbSession) => {
    if (options.ifExists === 'replace') await session.query(`DROP TABLE IF EXISTS ${quoteTableName(name)}`);
  };
  await withSession(cluster.head, prepare);
  await Promise.all(
    cluster.leaves.map((leaf) =>
      withSession(leaf, async (session) => {
        await prepare(session);
        await session.query(ddl.leaf);
      }),
    ),
  );
  await withSession(cluster.head, (session) => session.query(ddl.head));
}
