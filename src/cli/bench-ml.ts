/**
 * `sluice bench ml`: the multi-pass ML feature benchmark. Its programs live in bench/ml (a
 * checkout of the repository has them; an installed package does not), loaded on demand so the
 * rest of the CLI never pays for them.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../errors.ts';

export async function runBenchCommand(argv: readonly string[]): Promise<number> {
  if (argv[0] !== 'ml') throw new UsageError(`unknown benchmark '${argv[0] ?? ''}'; benchmarks: ml`);
  const harness = fileURLToPath(new URL('../../bench/ml/run.ts', import.meta.url));
  if (!existsSync(harness)) {
    throw new UsageError(`sluice bench ml runs from a checkout of the sluice repository (no ${harness})`);
  }
  const { runBenchMl } = (await import(harness)) as {
    runBenchMl: (argv: readonly string[]) => Promise<number>;
  };
  return runBenchMl(argv.slice(1));
}
