/**
 * Messages between the batch decoder (main thread, `batch-decoder.ts`) and a decode worker
 * (`workers/decode-batch.ts`). A task carries a batch's record values packed into one buffer;
 * the answer carries each write server's rows as LOAD DATA text. Both directions transfer their
 * buffers instead of copying them.
 */
import type { Failure } from './processor.ts';
import type { FormatSpec } from './spec.ts';

export interface RoutingData {
  readonly shardKey: string;
  readonly keyIndex: number;
  readonly leafOfPartition: readonly number[];
}

export interface DecodeTask {
  readonly format: FormatSpec;
  readonly routing: RoutingData | undefined;
  readonly servers: number;
  /** Every record's value, with what lay between them in the fetched memory (batch-decoder.ts). */
  readonly payloads: Uint8Array;
  /** Where each record's value starts in `payloads`. */
  readonly starts: Int32Array;
  /** Each record's value length in `payloads`; -1 for a record without a value. */
  readonly lengths: Int32Array;
}

export interface EncodedServerRows {
  readonly count: number;
  readonly tsv: Uint8Array[];
  readonly rowRecord: Int32Array;
}

export interface DecodeAnswer {
  readonly servers: EncodedServerRows[];
  readonly failures: Failure[];
  readonly filtered: number;
}
