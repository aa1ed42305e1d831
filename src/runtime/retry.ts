/**
 * Retrying what can succeed on a second try, the way kafkajs does: only errors marked
 * `retriable` are tried again (never programming or configuration errors), a bounded number of
 * times, with exponential backoff and jitter so that writers or readers that failed together do
 * not all come back at the same instant. When the tries run out the last error is thrown as it
 * is, with its code and cause.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { SluiceError } from '../base/errors.ts';

export interface Backoff {
  /** The delay after the first failure, before jitter; it doubles with every further failure. */
  readonly initialMs: number;
  /** The delay never grows past this. */
  readonly maxMs: number;
}

/**
 * How long to wait after `failures` failed attempts (1 for the first): the exponential delay,
 * capped, with "equal jitter" (uniform between half of it and all of it).
 */
export function backoffDelay(failures: number, backoff: Backoff, random: () => number = Math.random): number {
  const delay = Math.min(backoff.maxMs, backoff.initialMs * 2 ** (failures - 1));
  return delay / 2 + random() * (delay / 2);
}

/** Waits the backoff delay after `failures` failed attempts. */
export function backOff(failures: number, backoff: Backoff): Promise<void> {
  return sleep(backoffDelay(failures, backoff));
}

export interface RetryOptions extends Backoff {
  /** Tries in all, the first included. */
  readonly attempts: number;
  /** Runs between a failure and the next try (e.g. to drop connections or cached state). */
  readonly onRetry?: (error: SluiceError, failures: number) => Promise<void> | void;
  /** A failure that is retried at once, without backoff (the cause is already gone). */
  readonly immediate?: (error: SluiceError) => boolean;
}

export function isRetriable(error: unknown): error is SluiceError {
  return error instanceof SluiceError && error.retriable;
}

/** Runs `work` until it succeeds, a failure is not retriable, or `attempts` tries have failed. */
export async function withRetries<T>(work: () => Promise<T>, options: RetryOptions): Promise<T> {
  for (let failures = 1; ; failures++) {
    try {
      return await work();
    } catch (error) {
      if (!isRetriable(error) || failures >= options.attempts) throw error;
      await options.onRetry?.(error, failures);
      if (!options.immediate?.(error)) await backOff(failures, options);
    }
  }
}
