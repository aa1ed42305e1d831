/**
 * What a format decoder takes (a record's payload) and throws for a record that cannot become a
 * row. Apart from `formats.ts` so that decoders in their own modules (Avro) need not import the
 * module that dispatches to them.
 */

export type Payload = string | Buffer | Readonly<Record<string, unknown>>;

/** A record that cannot become a row; `stage` says where it failed. */
export class RecordError extends Error {
  constructor(
    readonly stage: 'parse' | 'transform' | 'load',
    message: string,
  ) {
    super(message);
    this.name = 'RecordError';
  }
}
