/**
 * How long the local stack takes to come up from nothing (caches warm: MariaDB template datadir
 * and Kafka jars already made), median of several runs, each in a fresh folder on free ports.
 *
 *   node --import tsx bench/stack-startup.ts [--runs 5] [--json]
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { resolveStackConfig } from '../src/config/stack.ts';
import { stackDown, stackUp } from '../src/stack/stack.ts';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '5' }, json: { type: 'boolean' } },
});
const runs = Number(values.runs);
const root = path.resolve(import.meta.dirname, '..');

function median(numbers: number[]): number {
  const sorted = [...numbers].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

async function timeUp(topology: 'single' | 'all', kafka: boolean, run: number): Promise<number> {
  const config = resolveStackConfig({
    home: path.join(root, '.sluice', `bench-startup-${process.pid}-${topology}-${run}`),
    cacheDir: path.join(root, '.sluice', 'cache'),
    topology,
    kafka,
    portBase: 'auto',
    kafkaPort: 'auto',
  });
  const started = performance.now();
  try {
    await stackUp(config);
    return (performance.now() - started) / 1000;
  } finally {
    // Also after a failed start: the state file names whatever did start.
    await stackDown(config, { purge: true });
  }
}

// One warm-up run fills the caches (template datadir, Kafka jars) and is not counted.
await timeUp('all', true, -1);
const single: number[] = [];
const full: number[] = [];
for (let run = 0; run < runs; run++) {
  single.push(await timeUp('single', false, run));
  full.push(await timeUp('all', true, run));
  process.stderr.write(
    `run ${run + 1}/${runs}: single ${single.at(-1)!.toFixed(2)}s, full ${full.at(-1)!.toFixed(2)}s\n`,
  );
}
const result = {
  benchmark: 'stack-startup',
  command: `node --import tsx bench/stack-startup.ts --runs ${runs}`,
  machine: `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}, node ${process.version}`,
  date: new Date().toISOString(),
  runs,
  medianSeconds: {
    singleServer: Number(median(single).toFixed(2)),
    fullStack: Number(median(full).toFixed(2)),
  },
  allSeconds: {
    singleServer: single.map((s) => Number(s.toFixed(2))),
    fullStack: full.map((s) => Number(s.toFixed(2))),
  },
};
await mkdir(path.join(root, 'bench', 'results'), { recursive: true });
await writeFile(
  path.join(root, 'bench', 'results', 'stack-startup.json'),
  `${JSON.stringify(result, null, 2)}\n`,
);
process.stdout.write(
  values.json
    ? `${JSON.stringify(result)}\n`
    : `median: single server ${result.medianSeconds.singleServer}s, full stack ${result.medianSeconds.fullStack}s\n`,
);
