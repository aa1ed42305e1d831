/**
 * `spider`: a MariaDB Spider table is read on its leaves, each partition's backing table on the
 * server that holds it (like the SingleStore connector's readFromLeaves); where the rows live is
 * worked out from the table and partition comments and the head's mysql.servers (`../spider.ts`).
 */
import type { DbSession } from '../../db/driver.ts';
import type { DbEndpoint } from '../../db/endpoint.ts';
import { resolveSpiderTargets, type SpiderServer } from '../spider.ts';
import { type PartitionPlan, type PartitionScan, type TableInfo, tableReference } from './scan.ts';

export async function spiderPlan(
  session: DbSession,
  head: DbEndpoint,
  schema: string,
  table: string,
  info: TableInfo,
  parallelism: number,
): Promise<PartitionPlan> {
  const partitions = await session.query<{ PARTITION_NAME: string | null; PARTITION_COMMENT: string }>(
    'SELECT PARTITION_NAME, PARTITION_COMMENT FROM information_schema.PARTITIONS ' +
      'WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND PARTITION_NAME IS NOT NULL ORDER BY PARTITION_ORDINAL_POSITION',
    [schema, table],
  );
  const servers = (
    await session.query<Record<string, string | number>>(
      'SELECT Server_name, Host, Port, Username, Password, Db FROM mysql.servers',
    )
  ).map(
    (row): SpiderServer => ({
      name: String(row.Server_name),
      host: String(row.Host),
      port: Number(row.Port),
      user: String(row.Username ?? ''),
      password: String(row.Password ?? ''),
      database: String(row.Db ?? ''),
    }),
  );
  const targets = resolveSpiderTargets(
    head,
    schema,
    table,
    info.comment,
    partitions.map((partition) => ({
      name: partition.PARTITION_NAME,
      comment: partition.PARTITION_COMMENT ?? '',
    })),
    servers,
  );
  // Two partitions backed by the same table on the same server would read its rows twice.
  const seen = new Set<string>();
  const scans: PartitionScan[] = [];
  for (const target of targets) {
    const key = `${target.endpoint.host}:${target.endpoint.port}/${target.database}.${target.table}`;
    if (seen.has(key)) continue;
    seen.add(key);
    scans.push({
      label: `${target.partition ?? 'spider'}@${target.endpoint.host}:${target.endpoint.port}`,
      endpoint: target.endpoint,
      from: tableReference(target.database, target.table),
    });
  }
  return {
    table: { schema, name: table },
    parallelism,
    strategy: 'spider',
    reason: `Spider table with ${targets.length} partition(s) on ${scans.length} leaf table(s), read on the leaves`,
    scans,
  };
}
