/**
 * Which Spider leaf owns a row, for a table partitioned by HASH on one integer column: the server
 * puts a row in partition |key mod N|, computed here the same way (BigInt, so 64-bit keys route
 * exactly). Plain data in, so decode workers build the same router the main thread uses.
 */
import type { TsvValue } from '../db/tsv.ts';

export interface LeafRouter {
  /** Position of the shard key among the loaded columns. */
  readonly keyIndex: number;
  readonly shardKey: string;
  /** For each of the head's partitions (in order), the leaf that holds it. */
  readonly leafOfPartition: readonly number[];
  /** The leaf (index into the cluster's leaves) that owns a row. */
  leafOf(row: readonly TsvValue[]): number;
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
    leafOfPartition,
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
