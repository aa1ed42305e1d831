/**
 * Supervision of the runner's consumer. kafkajs restarts a consumer by itself after most
 * failures; the crashes it hands over are either permanent (see crash.ts: a batch no consumer can
 * read, a refusal no retry changes), which stop the pipeline with their reason, or worth a new
 * consumer (the broker stayed away longer than kafkajs's own retries). New consumers are started
 * until one joins or the runner stops, with the same jittered backoff as every other retry
 * (runtime/retry.ts), so that a broker coming back is not met by every pipeline at once.
 */
import { describeError } from '../base/errors.ts';
import { backOff } from '../runtime/retry.ts';
import { permanentCrash } from './crash.ts';

/**
 * Between failed starts: the first retry within 250 ms, so a pipeline resumes promptly once the
 * broker answers, growing to at most 5 s while it does not (kafkajs's own maxRetryTime).
 */
const RESTART_BACKOFF = { initialMs: 250, maxMs: 5000 } as const;

/** What restarting needs from the runner. */
export interface RestartHost {
  isStopping(): boolean;
  log(line: string): void;
  /** Stops the pipeline with this error. */
  fail(error: unknown): Promise<void>;
  /** Lets go of the crashed consumer; every partition's position is unknown from here. */
  discardConsumer(): Promise<void>;
  /** Starts a new consumer (resolves once it has joined the group). */
  startConsumer(): Promise<void>;
  /** A start failed; the runner's status shows why while it tries again. */
  noteError(error: string): void;
}

export async function restartAfterCrash(host: RestartHost, error: Error): Promise<void> {
  if (host.isStopping()) return;
  const permanent = permanentCrash(error);
  if (permanent) {
    await host.fail(permanent);
    return;
  }
  host.log(`consumer crashed (${error.message}); starting a new one`);
  await host.discardConsumer();
  for (let failures = 1; !host.isStopping(); failures++) {
    try {
      await host.startConsumer();
      return;
    } catch (startError) {
      host.noteError(describeError(startError));
      await backOff(failures, RESTART_BACKOFF);
    }
  }
}
