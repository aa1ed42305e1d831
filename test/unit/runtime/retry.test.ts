import { describe, expect, it } from 'vitest';
import { ConfigError, SluiceError } from '../../../src/base/errors.ts';
import { backoffDelay, withRetries } from '../../../src/runtime/retry.ts';

const fast = { initialMs: 1, maxMs: 4 };

describe('retry with jittered backoff', () => {
  it('doubles the delay per failure up to the cap, jittered between half and all of it', () => {
    const backoff = { initialMs: 200, maxMs: 5000 };
    expect([1, 2, 3, 6, 10].map((n) => backoffDelay(n, backoff, () => 1))).toEqual([
      200, 400, 800, 5000, 5000,
    ]);
    expect(backoffDelay(2, backoff, () => 0)).toBe(200);
  });

  it('retries retriable errors until the work succeeds', async () => {
    let calls = 0;
    const seen: number[] = [];
    const result = await withRetries(
      async () => {
        calls++;
        if (calls < 3) throw new SluiceError('DB_ERROR', 'lost connection', { retriable: true });
        return 'done';
      },
      { ...fast, attempts: 5, onRetry: (_error, failures) => void seen.push(failures) },
    );
    expect(result).toBe('done');
    expect(seen).toEqual([1, 2]);
  });

  it('throws the last error when the tries run out, and at once for errors retrying cannot fix', async () => {
    let calls = 0;
    const transient = withRetries(
      async () => {
        calls++;
        throw new SluiceError('DB_ERROR', `try ${calls}`, { retriable: true });
      },
      { ...fast, attempts: 3 },
    );
    await expect(transient).rejects.toThrow('try 3');
    let configCalls = 0;
    const config = withRetries(
      async () => {
        configCalls++;
        throw new ConfigError('bad option');
      },
      { ...fast, attempts: 3 },
    );
    await expect(config).rejects.toThrow('bad option');
    expect(configCalls).toBe(1);
  });
});
