/**
 * Messages between the parallel reader (main thread) and a partition worker, over the
 * MessagePort each task gets. Batches travel with their ArrayBuffers transferred.
 */
import type { MessagePort } from 'node:worker_threads';
import type { ColumnMeta } from '../db/column-meta.ts';
import type { DbEndpoint } from '../db/endpoint.ts';
import type { BatchBuffers } from './batch-buffers.ts';
import type { TypeOptions } from './column-plan.ts';
import type { DecoderOptions } from './decoder.ts';

export type FromWorker =
  /** The connection is open and the statement is about to be sent. */
  | { readonly type: 'started'; readonly threadId: number }
  | { readonly type: 'columns'; readonly columns: readonly ColumnMeta[] }
  | { readonly type: 'batch'; readonly batch: BatchBuffers }
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

/** One partition read, as the main thread hands it to a reader thread. */
export interface PartitionTaskData {
  readonly label: string;
  readonly endpoint: DbEndpoint;
  readonly sql: string;
  readonly params: readonly unknown[];
  readonly options: TypeOptions &
    DecoderOptions & { readonly credits: number; readonly netWriteTimeoutSeconds?: number };
  /** The partition's own channel: batches and credits travel here (transferred to the thread). */
  readonly port: MessagePort;
}

/** The session channel of a reader thread (one piscina task that runs many partitions). */
export type SessionToWorker =
  | { readonly type: 'read'; readonly id: number; readonly task: PartitionTaskData }
  /** No more partitions: return once the running ones are done. */
  | { readonly type: 'close' };

export type SessionToMain = { readonly type: 'finished'; readonly id: number };
