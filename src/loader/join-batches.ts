/**
 * Several decoded batches of one partition as one: what a writer commits when it writes the
 * fetches that waited for it in one transaction. Each batch was decoded on its own when it
 * arrived (so decoding overlapped the writes before it); joined, its record indices move past
 * the records of the batches before it, and its LOAD DATA text follows theirs.
 */
import { type BulkRows, isEncoded, rowValues } from '../writer/rows.ts';
import type { RoutedBatch, ServerRows } from './batch-decoder.ts';

/** A decoded batch and how many records it was decoded from. */
export interface DecodedPart {
  readonly records: number;
  readonly batch: RoutedBatch;
}

export async function joinBatches(parts: readonly DecodedPart[]): Promise<RoutedBatch> {
  if (parts.length === 1) return parts[0]!.batch;
  const bases: number[] = [];
  let base = 0;
  for (const part of parts) {
    bases.push(base);
    base += part.records;
  }
  const servers = parts[0]!.batch.servers.map((_, server) =>
    joinServerRows(
      parts.map((part) => part.batch.servers[server]!),
      bases,
    ),
  );
  return {
    failures: parts.flatMap((part, index) =>
      part.batch.failures.map((failure) => ({ ...failure, record: failure.record + bases[index]! })),
    ),
    filtered: parts.reduce((sum, part) => sum + part.batch.filtered, 0),
    servers: await Promise.all(servers),
  };
}

async function joinServerRows(parts: readonly ServerRows[], bases: readonly number[]): Promise<ServerRows> {
  const total = parts.reduce((sum, part) => sum + part.rowRecord.length, 0);
  const rowRecord = new Int32Array(total);
  let at = 0;
  parts.forEach((part, index) => {
    for (let row = 0; row < part.rowRecord.length; row++)
      rowRecord[at++] = part.rowRecord[row]! + bases[index]!;
  });
  return { rows: await joinRows(parts.map((part) => part.rows)), rowRecord };
}

/** Text after text when every part is LOAD DATA text; values otherwise (a small batch decoded here). */
async function joinRows(parts: readonly BulkRows[]): Promise<BulkRows> {
  if (parts.every(isEncoded)) {
    return {
      count: parts.reduce((sum, part) => sum + part.count, 0),
      tsv: {
        *[Symbol.iterator]() {
          for (const part of parts) yield* part.tsv;
        },
      },
      values: async () => (await Promise.all(parts.map((part) => part.values()))).flat(),
    };
  }
  return (await Promise.all(parts.map(rowValues))).flat();
}
