/**
 * `native`: a table with native partitions (PARTITION BY HASH/KEY/RANGE/LIST) is read one
 * partition per scan with `FROM t PARTITION (pN)`, on the same server.
 */
import type { DbSession } from '../../db/driver.ts';
import type { DbEndpoint } from '../../db/endpoint.ts';
import { quoteIdentifier } from '../../sql/identifiers.ts';
import { type PartitionPlan, tableReference } from './scan.ts';

/** Partition names to read; subpartitions when there are any (PARTITION (…) takes either). */
export async function nativePartitions(session: DbSession, schema: string, table: string): Promise<string[]> {
  const rows = await session.query<{ PARTITION_NAME: string | null; SUBPARTITION_NAME: string | null }>(
    'SELECT PARTITION_NAME, SUBPARTITION_NAME FROM information_schema.PARTITIONS ' +
      'WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND PARTITION_NAME IS NOT NULL ' +
      'ORDER BY PARTITION_ORDINAL_POSITION, SUBPARTITION_ORDINAL_POSITION',
    [schema, table],
  );
  return rows.map((row) => row.SUBPARTITION_NAME ?? row.PARTITION_NAME!);
}

export function nativePlan(
  endpoint: DbEndpoint,
  schema: string,
  table: string,
  partitions: readonly string[],
  parallelism: number,
): PartitionPlan {
  return {
    table: { schema, name: table },
    parallelism,
    strategy: 'native',
    reason: `table has ${partitions.length} native partitions`,
    scans: partitions.map((name) => ({
      label: name,
      endpoint,
      from: `${tableReference(schema, table)} PARTITION (${quoteIdentifier(name)})`,
    })),
  };
}
