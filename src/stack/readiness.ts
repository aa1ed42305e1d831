import { StackError } from '../base/errors.ts';
import { isOurProcess, logTail, sleep } from './processes.ts';
import type { ComponentRecord } from './types.ts';

export interface ReadinessCheck {
  /** How a person names it in messages, e.g. 'head (MariaDB)'. */
  readonly label: string;
  /** Resolves once the server answers; a rejection means "not yet". */
  readonly probe: () => Promise<unknown>;
  /** What the timeout message says it waited for, e.g. 'a metadata request on port 9092'. */
  readonly waitingFor: string;
  readonly timeoutSeconds: number;
  readonly intervalMs: number;
  /** Log text for a failure report; defaults to the tail of the component's log. */
  readonly logs?: () => string;
}

/**
 * Polls a freshly started server until it answers. Fails at once, with its log, if the process
 * dies; fails with the last probe error and the log if it does not answer in time.
 */
export async function waitUntilReady(record: ComponentRecord, check: ReadinessCheck): Promise<void> {
  const logs = check.logs ?? (() => logTail(record));
  const deadline = Date.now() + check.timeoutSeconds * 1000;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (!isOurProcess(record.pid!, record.marker!)) {
      throw new StackError('COMPONENT_FAILED', record.name, `${check.label} exited during startup`, {
        details: logs(),
      });
    }
    try {
      await check.probe();
      return;
    } catch (error) {
      lastError = error;
      await sleep(check.intervalMs);
    }
  }
  throw new StackError(
    'COMPONENT_TIMEOUT',
    record.name,
    `${check.label} did not answer ${check.waitingFor} within ${check.timeoutSeconds}s`,
    { cause: lastError, details: logs() },
  );
}
