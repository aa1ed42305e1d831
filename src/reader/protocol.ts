/**
 * Messages between the parallel reader (main thread) and a partition worker, over the
 * MessagePort each task gets. Batches travel with their ArrayBuffers transferred.
 */
import type { ColumnMeta } from './column-plan.ts';
import type { DecodedBatch } from './decoder.ts';

export type FromWorker =
  /** The connection is open and the statement is about to be sent. */
  | { readonly type: 'started'; readonly threadId: number }
  | { readonly type: 'columns'; readonly columns: readonly ColumnMeta[] }
  | { readonly type: 'batch'; readonly batch: DecodedBatch }
  /**
   * The last message of a task. The task's own result travels on piscina's port, which is not
   * ordered with this one, so the outcome comes here, after every batch.
   */
  | { readonly type: 'done'; readonly outcome: PartitionOutcome };

export type ToWorker =
  /** The consumer took `count` batches: the worker may post that many more. */
  | { readonly type: 'credit'; readonly count: number }
  /** Stop: kill the statement and return. */
  | { readonly type: 'cancel' };

/** A database or connection error, as data that survives the thread boundary. */
export interface WireError {
  readonly message: string;
  readonly code?: string;
  readonly errno?: number;
  readonly sqlState?: string;
  readonly retriable: boolean;
}

/** What a partition task returns. */
export interface PartitionOutcome {
  readonly rows: number;
  readonly cancelled: boolean;
  readonly error?: WireError;
}
