/**
 * Generates TPC-H-shaped data for a seed and bulk-loads it into a MySQL-wire server with
 * LOAD DATA LOCAL INFILE. Progress goes to stderr, a JSON summary to stdout.
 *
 *   node --import tsx bench/load-tpch.ts --lineitem 6000000 --seed 1 [--partitions 4]
 *     [--url mysql://root@127.0.0.1:13306/sluice] [--database tpch]
 *
 * The default server is SLUICE_DB_URL, else the local stack's single server on 13306.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { describeError, UsageError } from '../src/base/errors.ts';
import { parseDbUrl } from '../src/db/endpoint.ts';
import { loadTpch } from './data/load.ts';
import { tpchScale } from './data/tpch.ts';

function integer(name: string, text: string, min: number): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min) {
    throw new UsageError(`--${name} must be an integer of at least ${min}, not '${text}'`);
  }
  return value;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      lineitem: { type: 'string', default: '6000000' },
      seed: { type: 'string', default: '1' },
      partitions: { type: 'string' },
      url: { type: 'string' },
      database: { type: 'string', default: 'tpch' },
    },
  });
  const lineitem = integer('lineitem', values.lineitem, 10);
  const seed = integer('seed', values.seed, 0);
  const partitions =
    values.partitions === undefined ? undefined : integer('partitions', values.partitions, 1);
  const url = values.url ?? process.env.SLUICE_DB_URL ?? 'mysql://root@127.0.0.1:13306/sluice';
  const endpoint = parseDbUrl(url, '--url');
  const scale = tpchScale(lineitem);
  process.stderr.write(
    `loading TPC-H-shaped data (seed ${seed}) into ${endpoint.host}:${endpoint.port}/${values.database}\n`,
  );
  const started = performance.now();
  let peakRssMb = 0;
  const sampler = setInterval(() => {
    peakRssMb = Math.max(peakRssMb, process.memoryUsage().rss / 2 ** 20);
  }, 200);
  try {
    const loads = await loadTpch(endpoint, {
      lineitem,
      seed,
      partitions,
      database: values.database,
      onTable: (table, rows, seconds) => {
        const rate = Math.round(rows / Math.max(seconds, 1e-6));
        process.stderr.write(
          `${table.padEnd(9)} ${String(rows).padStart(9)} rows (expected ${scale[table]}) in ${seconds.toFixed(2)}s, ${rate} rows/s\n`,
        );
      },
    });
    const seconds = (performance.now() - started) / 1000;
    const summary = {
      benchmark: 'tpch-load',
      command: `node --import tsx bench/load-tpch.ts ${process.argv.slice(2).join(' ')}`.trim(),
      machine: `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`,
      seed,
      partitions: partitions ?? null,
      seconds: Number(seconds.toFixed(2)),
      peakRssMb: Math.round(peakRssMb),
      tables: Object.fromEntries(
        Object.entries(loads).map(([table, load]) => [
          table,
          {
            rows: load.rows,
            seconds: Number(load.seconds.toFixed(2)),
            rowsPerSecond: Math.round(load.rows / Math.max(load.seconds, 1e-6)),
          },
        ]),
      ),
    };
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  } finally {
    clearInterval(sampler);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${describeError(error)}\n`);
  process.exitCode = 1;
});
