/**
 * Which Spider leaf owns a row. The head's partitioning (information_schema.PARTITIONS) names the
 * method, the shard column and, in each partition's comment, the leaf server entry. For HASH on
 * an integer column the server puts a row in partition |key mod N|, which is computed here the
 * same way (BigInt, so 64-bit keys route exactly); other methods hash with the server's internal
 * functions, and such tables are written through the head instead.
 */

import { ConfigError } from '../base/errors.ts';
import type { DbSession } from '../db/driver.ts';
import { leafServerName } from '../db/sharding.ts';
import { hashRouter, type LeafRouter } from './hash-router.ts';

export { hashRouter, type LeafRouter } from './hash-router.ts';

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
