/**
 * Does `sluice serve` answer more point queries as several processes sharing its port? N copies
 * of the server run under node:cluster (the primary hands connections to the workers in turn),
 * and autocannon sends the point query of bench/http.ts at `--connections`; for each N, req/s and
 * the servers' CPU time per request (utime + stime of every worker from /proc, so a busy machine
 * moves it less than req/s). `--runs` rounds interleave the worker counts; medians are printed.
 *
 *   node --import tsx bench/http-cluster.ts --url mysql://root@127.0.0.1:3306/sluice \
 *     [--rows 1000000] [--workers 1,2] [--connections 16] [--duration 5] [--runs 3]
 *
 * The table is bench/http.ts's `http_bench_<rows>` (run that once first to make it).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import cluster from 'node:cluster';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    rows: { type: 'string', default: '1000000' },
    workers: { type: 'string', default: '1,2' },
    connections: { type: 'string', default: '16' },
    duration: { type: 'string', default: '5' },
    runs: { type: 'string', default: '3' },
    /** Internal: run as the cluster's primary with this many workers. */
    primary: { type: 'string' },
    config: { type: 'string' },
  },
});
const root = path.resolve(import.meta.dirname, '..');

if (values.primary !== undefined) {
  // The cluster: each worker is `sluice serve` (bin/sluice.mjs, plain Node) on the shared port.
  cluster.setupPrimary({
    exec: path.join(root, 'bin', 'sluice.mjs'),
    args: ['serve', '--port', '18655', '--config', values.config!, '--source', `b=${values.url}`],
    execArgv: [],
  });
  for (let i = 0; i < Number(values.primary); i++) cluster.fork();
  // The workers close their servers first (they tell the primary, so it must still be there).
  process.on('SIGTERM', () => {
    const workers = Object.values(cluster.workers ?? {}).filter((w) => w !== undefined);
    let left = workers.length;
    for (const worker of workers) {
      worker.once('exit', () => {
        if (--left === 0) process.exit(0);
      });
      worker.process.kill('SIGTERM');
    }
  });
} else {
  if (!values.url) throw new Error('--url mysql://user@host:port/database is required');
  const sql = `SELECT * FROM http_bench_${values.rows} WHERE id = ?`;
  const rows = Number(values.rows);
  const duration = Number(values.duration);
  const connections = Number(values.connections);
  const configFile = path.join(os.tmpdir(), `sluice-bench-http-cluster-${process.pid}.json`);
  writeFileSync(configFile, JSON.stringify({ serve: { maxConcurrentQueries: 64 } }));

  const cpuMs = (pids: number[]) =>
    pids.reduce((sum, pid) => {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return sum + (Number(fields[11]) + Number(fields[12])) * (1000 / 100);
    }, 0);
  const workerPids = (primary: ChildProcess) =>
    readFileSync(`/proc/${primary.pid}/task/${primary.pid}/children`, 'utf8').trim().split(/\s+/).map(Number);

  let n = 0;
  const load = (seconds: number) =>
    autocannon({
      url: 'http://127.0.0.1:18655/v1/query',
      method: 'POST',
      connections,
      duration: seconds,
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      requests: [
        {
          setupRequest: (request) => ({
            ...request,
            body: JSON.stringify({ sql, source: 'b', params: [1 + ((n++ * 7919) % rows)] }),
          }),
        },
      ],
    });

  const results: Record<number, { reqPerSec: number; cpuUsPerRequest: number; load: number }[]> = {};
  for (let run = 0; run < Number(values.runs); run++) {
    for (const workers of String(values.workers).split(',').map(Number)) {
      const primary = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          import.meta.filename,
          '--primary',
          String(workers),
          '--url',
          values.url,
          '--config',
          configFile,
        ],
        { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, SLUICE_TOKENS: '' } },
      );
      await new Promise((r) => setTimeout(r, 4000));
      await load(1);
      const pids = workerPids(primary);
      const before = cpuMs(pids);
      const result = await load(duration);
      const cpu = cpuMs(pids) - before;
      const entry = {
        reqPerSec: result['2xx'] / duration,
        cpuUsPerRequest: (cpu * 1000) / result['2xx'],
        load: os.loadavg()[0]!,
      };
      results[workers] ??= [];
      results[workers].push(entry);
      process.stderr.write(
        `run ${run + 1} workers=${workers} (load ${entry.load.toFixed(1)}): ${entry.reqPerSec.toFixed(0)} req/s, ` +
          `${entry.cpuUsPerRequest.toFixed(0)} µs server CPU per request, non-2xx ${result.non2xx}\n`,
      );
      primary.kill('SIGTERM');
      await new Promise((resolve) => primary.once('exit', resolve));
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
  for (const [workers, runs] of Object.entries(results)) {
    process.stdout.write(
      `${JSON.stringify({
        workers: Number(workers),
        connections,
        reqPerSec: Math.round(median(runs.map((r) => r.reqPerSec))),
        cpuUsPerRequest: Math.round(median(runs.map((r) => r.cpuUsPerRequest))),
        runs,
      })}\n`,
    );
  }
}
