export { batchFromArrow } from './arrow-in.ts';
export { batchToArrow } from './arrow-out.ts';
export type { Batch, LocalColumn } from './batch.ts';
export type { Collation } from './collation.ts';
export { executeLocal, type LocalOptions } from './execute.ts';
export type { SqlType, Value } from './types.ts';
