/** A user function over the input as an Arrow table; it returns an Arrow table or row objects. */
import { PlanError } from '../../base/errors.ts';
import type { MapBatchesFn } from '../../plan/nodes.ts';
import { batchFromArrow } from '../arrow-in.ts';
import { batchToArrow } from '../arrow-out.ts';
import type { Batch } from '../batch.ts';
import { batchFromRows } from '../rows.ts';

const looksLikeArrowTable = (value: unknown): boolean =>
  value !== null &&
  typeof value === 'object' &&
  'schema' in value &&
  'numRows' in value &&
  typeof (value as { getChildAt?: unknown }).getChildAt === 'function';

export async function mapBatch(batch: Batch, fn: MapBatchesFn, label: string): Promise<Batch> {
  const result = await fn(batchToArrow(batch));
  if (looksLikeArrowTable(result)) return batchFromArrow(result);
  if (Array.isArray(result)) return batchFromRows(result);
  throw new PlanError(
    `mapBatches(${label}): the function must return an Arrow table or an array of row objects, got ${Object.prototype.toString.call(result)}`,
  );
}
