/**
 * How long `sluice --help` takes to start: the built CLI (dist/, what the `sluice` bin and an
 * installed package run) against the same CLI from the TypeScript sources through tsx (what the
 * bin ran before there was a build), with bare `node -e 0` as the floor. The three commands run
 * interleaved, one of each per round, so a busy machine slows them alike; medians are reported.
 *
 *   npm run build && node --import tsx bench/cli-startup.ts [--runs 15] [--json]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '15' }, json: { type: 'boolean' } },
});
const runs = Number(values.runs);
const root = path.resolve(import.meta.dirname, '..');
const built = path.join(root, 'dist', 'src', 'cli', 'main.js');
if (!existsSync(built)) throw new Error('dist/ is missing: run npm run build first');

const commands: Record<string, string[]> = {
  'node -e 0 (floor)': ['-e', '0'],
  'sluice --help, built (dist/)': [
    '--input-type=module',
    '-e',
    `const { main } = await import(${JSON.stringify(built)}); process.exit(await main(['--help']));`,
  ],
  'sluice --help, sources through tsx': [
    '--import',
    'tsx',
    '--input-type=module',
    '-e',
    `const { main } = await import(${JSON.stringify(path.join(root, 'src', 'cli', 'main.ts'))}); process.exit(await main(['--help']));`,
  ],
};

function median(numbers: number[]): number {
  const sorted = [...numbers].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const times = new Map<string, number[]>(Object.keys(commands).map((name) => [name, []]));
for (let run = 0; run < runs; run++) {
  for (const [name, args] of Object.entries(commands)) {
    const started = performance.now();
    execFileSync(process.execPath, args, { cwd: root, stdio: 'ignore' });
    times.get(name)!.push(performance.now() - started);
  }
}

const load = os.loadavg()[0]!.toFixed(1);
const results = [...times].map(([name, ms]) => ({ name, medianMs: Math.round(median(ms)), runs: ms.length }));
const report = {
  machine: `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GB, load average ${load} at the end`,
  node: process.version,
  results,
};
if (values.json) {
  const dir = path.join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'cli-startup.json'), `${JSON.stringify(report, null, 2)}\n`);
}
console.log(`${report.machine}, node ${report.node}, ${runs} interleaved runs, medians:`);
for (const { name, medianMs } of results) console.log(`  ${name.padEnd(36)} ${medianMs} ms`);
