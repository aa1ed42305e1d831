import { describe, expect, it } from 'vitest';
import { type RestartHost, restartAfterCrash } from '../../../src/loader/crash-restart.ts';

/** A runner as restartAfterCrash sees it: consumer starts fail `failures` times, then succeed. */
function runner(failures: number) {
  const calls: string[] = [];
  const startedAt: number[] = [];
  let stopping = false;
  const host: RestartHost = {
    isStopping: () => stopping,
    log: () => undefined,
    fail: async (error) => {
      calls.push(`fail ${(error as Error).message}`);
    },
    discardConsumer: async () => {
      calls.push('discard');
    },
    startConsumer: async () => {
      startedAt.push(performance.now());
      if (startedAt.length <= failures) throw new Error(`broker away (${startedAt.length})`);
      calls.push('started');
    },
    noteError: (error) => {
      calls.push(`noted ${error}`);
    },
  };
  return { host, calls, startedAt, stop: () => (stopping = true) };
}

describe('restartAfterCrash', () => {
  it('starts new consumers until one joins, the first retry within 250 ms, the waits growing', async () => {
    const { host, calls, startedAt } = runner(2);
    await restartAfterCrash(host, new Error('connection closed'));
    expect(calls).toEqual([
      'discard',
      'noted error: broker away (1)',
      'noted error: broker away (2)',
      'started',
    ]);
    const first = startedAt[1]! - startedAt[0]!;
    const second = startedAt[2]! - startedAt[1]!;
    // Equal jitter: the first wait is 125-250 ms, the second 250-500 ms (timers may fire late on a
    // busy machine, never early).
    expect(first).toBeGreaterThanOrEqual(120);
    expect(first).toBeLessThan(1000);
    expect(second).toBeGreaterThanOrEqual(245);
  });

  it('stops the pipeline on a crash no new consumer can fix, without starting one', async () => {
    const { host, calls, startedAt } = runner(0);
    const missing = Object.assign(new Error('LZ4 compression not implemented'), {
      name: 'KafkaJSNotImplemented',
    });
    await restartAfterCrash(host, missing);
    expect(startedAt).toEqual([]);
    expect(calls).toEqual(['fail a record batch cannot be read: LZ4 compression not implemented']);
  });

  it('gives up starting when the runner stops meanwhile, and does nothing once it is stopping', async () => {
    const { host, startedAt, stop } = runner(Number.POSITIVE_INFINITY);
    const restarting = restartAfterCrash(host, new Error('connection closed'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    stop();
    await restarting;
    expect(startedAt.length).toBe(1);
    await restartAfterCrash(host, new Error('connection closed'));
    expect(startedAt.length).toBe(1);
  });
});
