/**
 * What a format decoder takes (a record's payload) and throws for a record that cannot become a
 * row. Apart from `formats.ts` so that decoders in their own modules (Avro) need not import the
 * module that dispatches to them.
 */
import { SluiceError } from '../base/errors.ts';

export type Payload = string | Buffer | Readonly<Record<string, unknown>>;

/**
 * A record that cannot become a row; `stage` says where it failed. Not retriable: the same bytes
 * fail the same way, so the record is kept as bad rather than tried again.
 */
export class RecordError extends SluiceError {
  constructor(
    readonly stage: 'parse' | 'transform' | 'load',
    message: string,
  ) {
    super('RECORD_INVALID', message);
  }
}
