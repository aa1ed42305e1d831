import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { Progress } from '../../../src/cli/progress.ts';

function fakeStream(isTTY: boolean) {
  const chunks: string[] = [];
  return { chunks, stream: { isTTY, write: (chunk: string) => chunks.push(chunk) > 0 } as never };
}

describe('progress', () => {
  it('draws rows, MB, rows/s and an ETA on a terminal after the first second, and clears its line', async () => {
    const tty = fakeStream(true);
    const progress = new Progress({ verb: 'loaded', stream: tty.stream });
    progress.add(1000, 1_000_000, { done: 100, total: 400 });
    expect(tty.chunks).toEqual([]);
    await sleep(1100);
    progress.add(1000, 1_000_000, { done: 200, total: 400 });
    expect(tty.chunks).toHaveLength(1);
    const clear = '\r\x1b[2K';
    expect(tty.chunks[0]!.startsWith(clear)).toBe(true);
    expect(tty.chunks[0]!.slice(clear.length)).toMatch(
      /^loaded 2,000 rows, 2\.0 MB, [\d,]+ rows\/s, 50 %, ETA \ds$/,
    );
    progress.finish();
    expect(tty.chunks.at(-1)).toBe('\r\x1b[2K');
  });

  it('prints nothing on a pipe or with --quiet', async () => {
    const pipe = fakeStream(false);
    const quiet = fakeStream(true);
    const progresses = [
      new Progress({ verb: 'read', stream: pipe.stream }),
      new Progress({ verb: 'read', stream: quiet.stream, quiet: true }),
    ];
    await sleep(1100);
    for (const progress of progresses) {
      progress.add(10, 10);
      progress.finish();
      expect(progress.summary.rows).toBe(10);
    }
    expect([...pipe.chunks, ...quiet.chunks]).toEqual([]);
  });
});
