/**
 * `sluice bench ml`: the multi-pass ML feature benchmark. Its programs live in bench/ml (a
 * checkout of the repository has them; an installed package does not), loaded on demand so the
 * rest of the CLI never pays for them.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../base/errors.ts';

export async function runBenchCommand(argv: readonly string[]): Promise<number> {
  if (argv[0] !== 'ml') throw new UsageError(`unknown benchmark '${argv[0] ?? ''}'; benchmarks: ml`);
  const here = path.dirname(fileURLToPath(import.meta.url));
  // From src/cli, or built from dist/src/cli: the checkout's bench/ is two or three levels up.
  const candidates = [
    path.resolve(here, '../../bench/ml/run.ts'),
    path.resolve(here, '../../../bench/ml/run.ts'),
  ];
  const harness = candidates.find((candidate) => existsSync(candidate));
  if (!harness) {
    throw new UsageError(
      `sluice bench ml runs from a checkout of the sluice repository (no ${candidates[0]})`,
    );
  }
  // The built CLI runs without a TypeScript loader; the harness is TypeScript (tsx is a devDependency).
  if (import.meta.url.endsWith('.js')) (await import('tsx/esm/api')).register();
  const { runBenchMl } = (await import(harness)) as {
    runBenchMl: (argv: readonly string[]) => Promise<number>;
  };
  return runBenchMl(argv.slice(1));
}
