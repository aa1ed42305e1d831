/** One Kafka record as the loader sees it. Offsets fit in a JS number well past any real topic. */
export interface SourceRecord {
  readonly offset: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** Kafka's timestamp, milliseconds since the epoch, as text. */
  readonly timestamp: string;
}

/** What a JS transform gets for each record: text, not buffers, so it crosses threads cheaply. */
export interface TransformInput {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: string | null;
  readonly value: string | null;
  readonly timestamp: string;
}

/**
 * A transform's answer for one record: nothing (the record is filtered out), one output, or
 * several; an output is text (decoded by the pipeline's format) or an object (JSON format only).
 */
export type TransformOutput =
  | string
  | Record<string, unknown>
  | null
  | undefined
  | (string | Record<string, unknown>)[];

/** The result for one record: its outputs, or the error the transform raised for it. */
export type TransformResult =
  | { readonly outputs: (string | Record<string, unknown>)[] }
  | { readonly error: string };

/** What the transform worker (`workers/transform.ts`) is sent: a slice of a batch and the module to run. */
export interface TransformTask {
  readonly module: string;
  readonly per: 'record' | 'batch';
  readonly records: TransformInput[];
}
