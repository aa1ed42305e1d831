/**
 * Which Spider leaf owns a row. The head's partitioning (information_schema.PARTITIONS) names the
 * method, the shard column and, in each partition's comment, the leaf server entry. For HASH on
 * an integer column the server puts a row in partition |key mod N|, which is computed here the
 * same way (BigInt, so 64-bit keys route exactly); other methods hash with the server's internal
 * functions, and such tables are written through the head instead.
 */
import type { DbSession } from '../db/driver.ts';
import { leafServerName } from '../db/sharding.ts';
import type { TsvValue } from '../db/tsv.ts';
import { ConfigError } from '../errors.ts';

export interface LeafRouter {
  /** Position of the shard key among the loaded columns. */
  readonly keyIndex: number;
  readonly shardKey: string;
  /** The leaf (index into the cluster's leaves) that owns a row. */
  leafOf(row: readonly TsvValue[]): number;
}

type PartitionRow = {
  PARTITION_ORDINAL_POSITION: string | number;
  PARTITION_METHOD: string | null;
  PARTITION_EXPRESSION: string | null;
  PARTITION_COMMENT: string | null;
};

/** Reads the head's partitioning of `table` and builds the router for rows of `columns`. */
export async function discoverRouter(
  head: DbSession,
  table: string,
  columns: readonly string[],
  leafCount: number,
): Promise<LeafRouter> {
  const partitions = await head.query<PartitionRow>(
    'SELECT PARTITION_ORDINAL_POSITION, PARTITION_METHOD, PARTITION_EXPRESSION, PARTITION_COMMENT ' +
      'FROM information_schema.PARTITIONS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ' +
      'ORDER BY PARTITION_ORDINAL_POSITION',
    [table],
  );
  if (partitions.length === 0 || partitions[0]!.PARTITION_METHOD === null) {
    throw new ConfigError(`table '${table}' on the Spider head does not exist or is not partitioned`);
  }
  const method = partitions[0]!.PARTITION_METHOD!;
  const expression = partitions[0]!.PARTITION_EXPRESSION ?? '';
  const shardKey = /^`([^`]+)`$/.exec(expression.trim())?.[1];
  if (method !== 'HASH' || shardKey === undefined) {
    throw new ConfigError(
      `table '${table}' is partitioned by ${method}(${expression}); direct leaf writes need HASH on one ` +
        `integer column. Use target.via 'head' for this table`,
    );
  }
  const keyIndex = columns.indexOf(shardKey);
  if (keyIndex === -1) {
    throw new ConfigError(`the shard key '${shardKey}' of '${table}' is not among the loaded columns`);
  }
  const leafOfPartition = partitions.map((partition) => {
    const server = /srv\s+"([^"]+)"/.exec(partition.PARTITION_COMMENT ?? '')?.[1];
    const leaf = Array.from({ length: leafCount }, (_, index) => leafServerName(index)).indexOf(server ?? '');
    if (leaf === -1) {
      throw new ConfigError(
        `partition ${partition.PARTITION_ORDINAL_POSITION} of '${table}' is on server '${server}', ` +
          `which is not one of the ${leafCount} configured leaves`,
      );
    }
    return leaf;
  });
  return hashRouter(shardKey, keyIndex, leafOfPartition);
}

/** HASH(key) over N partitions: partition |key mod N|; NULL is partition 0. */
export function hashRouter(
  shardKey: string,
  keyIndex: number,
  leafOfPartition: readonly number[],
): LeafRouter {
  const count = leafOfPartition.length;
  const bigCount = BigInt(count);
  return {
    keyIndex,
    shardKey,
    leafOf(row) {
      const key = row[keyIndex];
      let partition = 0;
      if (typeof key === 'number' && Number.isSafeInteger(key)) {
        partition = Math.abs(key % count);
      } else if (typeof key === 'bigint') {
        const rest = key % bigCount;
        partition = Number(rest < 0n ? -rest : rest);
      } else if (typeof key === 'string' && /^\s*-?\d+\s*$/.test(key)) {
        const rest = BigInt(key.trim()) % bigCount;
        partition = Number(rest < 0n ? -rest : rest);
      }
      // Anything else (not an integer) cannot be stored in the key column anyway: the leaf rejects
      // it and the record is kept as an error.
      return leafOfPartition[partition]!;
    },
  };
}
