/**
 * Which consumer crashes no restart can fix. kafkajs hands over a crash it will not restart by
 * itself; restarting is right for most (a broker that went away), but a batch that cannot be
 * decoded is fetched again, byte for byte, by every new consumer: that one must stop the
 * pipeline with its reason in the status, not loop with the lag never moving.
 */
import { SluiceError } from '../base/errors.ts';

/** The error to stop the pipeline with, or undefined when starting a new consumer may help. */
export function permanentCrash(error: Error): Error | undefined {
  for (const cause of causes(error)) {
    if (cause instanceof SluiceError && !cause.retriable) return cause;
    if (cause.name === 'KafkaJSNotImplemented') {
      return new SluiceError('KAFKA_CODEC', `a record batch cannot be read: ${cause.message}`, { cause });
    }
    // The broker refused something no retry changes (a session timeout out of its range, no
    // rights on the group).
    if (cause.name === 'KafkaJSProtocolError' && (cause as { retriable?: boolean }).retriable === false) {
      return cause;
    }
  }
  return undefined;
}

function* causes(error: Error): Generator<Error> {
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 8; depth++) {
    yield current;
    const { cause, originalError } = current as { cause?: unknown; originalError?: unknown };
    current = cause ?? originalError;
  }
}
