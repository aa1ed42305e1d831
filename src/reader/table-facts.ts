/**
 * What the read planner asks the catalog about a table before deciding whether to split a read:
 * its unique keys and the columns its (native or Spider) partitioning hashes or ranges on. The
 * answers are cached for a while per server and table, so a stream of point lookups does not pay
 * for information_schema queries on each one. A stale answer is harmless: the facts only decide
 * whether a read is done in one piece, and one piece is always a correct read.
 */
import { withSession } from '../db/driver.ts';
import type { DbEndpoint } from '../db/endpoint.ts';

export interface TableFacts {
  /** Each unique key (the primary key first) as its column names. */
  readonly uniqueKeys: readonly (readonly string[])[];
  /** Columns of the partitioning expression, when it is a plain column list (HASH(c), KEY(a, b), RANGE(c)). */
  readonly partitionColumns: readonly string[];
}

const DEFAULT_TTL_MS = 30_000;

/** `a`, `b` (KEY partitioning) or a bare column; undefined for an expression. */
export function expressionColumns(expression: string | null | undefined): string[] {
  if (!expression) return [];
  const columns: string[] = [];
  for (const part of expression.split(',')) {
    const match = /^\s*(?:`((?:[^`]|``)+)`|([A-Za-z_$][\w$]*))\s*$/.exec(part);
    if (!match) return [];
    columns.push(match[1] !== undefined ? match[1].replaceAll('``', '`') : match[2]!);
  }
  return columns;
}

export class TableFactsCache {
  private readonly entries = new Map<string, { at: number; facts: Promise<TableFacts> }>();

  constructor(private readonly ttlMs = DEFAULT_TTL_MS) {}

  facts(endpoint: DbEndpoint, schema: string, table: string): Promise<TableFacts> {
    const key = JSON.stringify([endpoint.host, endpoint.port, schema, table]);
    const cached = this.entries.get(key);
    if (cached && performance.now() - cached.at < this.ttlMs) return cached.facts;
    const facts = readFacts(endpoint, schema, table);
    this.entries.set(key, { at: performance.now(), facts });
    facts.catch(() => this.entries.delete(key));
    return facts;
  }

  clear(): void {
    this.entries.clear();
  }
}

async function readFacts(endpoint: DbEndpoint, schema: string, table: string): Promise<TableFacts> {
  return withSession(endpoint, async (session) => {
    const keyRows = await session.query<{ INDEX_NAME: string; COLUMN_NAME: string }>(
      'SELECT INDEX_NAME, COLUMN_NAME FROM information_schema.STATISTICS ' +
        'WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND NON_UNIQUE = 0 ' +
        "ORDER BY INDEX_NAME <> 'PRIMARY', INDEX_NAME, SEQ_IN_INDEX",
      [schema, table],
    );
    const keys = new Map<string, string[]>();
    for (const row of keyRows) {
      const columns = keys.get(row.INDEX_NAME) ?? [];
      columns.push(row.COLUMN_NAME);
      keys.set(row.INDEX_NAME, columns);
    }
    const [partition] = await session.query<{ PARTITION_EXPRESSION: string | null }>(
      'SELECT PARTITION_EXPRESSION FROM information_schema.PARTITIONS ' +
        'WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND PARTITION_NAME IS NOT NULL LIMIT 1',
      [schema, table],
    );
    return {
      uniqueKeys: [...keys.values()],
      partitionColumns: expressionColumns(partition?.PARTITION_EXPRESSION),
    };
  });
}
