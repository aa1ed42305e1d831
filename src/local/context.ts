import type { Batch } from './batch.ts';
import type { Collation } from './collation.ts';
import type { Scope } from './expr/compiled.ts';

/** What every step of one local execution shares. */
export interface ExecContext {
  readonly collation: Collation;
}

export function scopeOf(batch: Batch, context: ExecContext, where: string): Scope {
  return { batch, collation: context.collation, where };
}
