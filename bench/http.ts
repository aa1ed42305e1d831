/**
 * The HTTP service against the direct paths, side by side in one run (medians):
 *
 * (a) point query (one row by key): p50/p99 and req/s through `POST /v1/query` (autocannon) vs
 *     mysql2 directly (a DbSession per connection, closed loop), at 1, 16 and 64 connections;
 * (b) a full-table result: MB/s and rows/s as Arrow stream, NDJSON and CSV vs in-process toArrow();
 * (c) disconnect-to-clean: a client drops the socket mid-stream; time until SHOW PROCESSLIST
 *     holds no statement of the query (p50/p99);
 * (d) peak RSS of a server process streaming 10 full-table results at once.
 *
 * The server runs as `sluice serve` in a child process (its RSS is its own). The table is made
 * once with the Sequence engine and reused.
 *
 *   node --import tsx bench/http.ts --url mysql://root@127.0.0.1:3306/sluice [--rows 6000000]
 *     [--duration 10] [--disconnects 20] [--out bench/results/http]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { openSession, withSession } from '../src/db/driver.ts';
import { parseDbUrl } from '../src/db/endpoint.ts';
import { connect } from '../src/index.ts';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    rows: { type: 'string', default: '1000000' },
    duration: { type: 'string', default: '10' },
    disconnects: { type: 'string', default: '20' },
    connections: { type: 'string', default: '1,16,64' },
    out: { type: 'string', default: 'bench/results/http' },
  },
});
if (!values.url) throw new Error('--url mysql://user@host:port/database is required');
const url = values.url;
const endpoint = parseDbUrl(url);
const ROWS = Number(values.rows);
const DURATION = Number(values.duration);
const TABLE = `http_bench_${ROWS}`;
const root = path.resolve(import.meta.dirname, '..');

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s[Math.floor((s.length - 1) / 2)]!;
};
const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};

async function prepare(): Promise<void> {
  await withSession(endpoint, async (s) => {
    const exists = await s.query<{ n: number }>(
      'SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?',
      [TABLE],
    );
    if (Number(exists[0]!.n) > 0) return;
    process.stderr.write(`creating ${TABLE} (${ROWS} rows)\n`);
    await s.query(
      `CREATE TABLE ${TABLE} (id INT PRIMARY KEY, k VARCHAR(16) NOT NULL, amount DECIMAL(12,2) NOT NULL, day DATE NOT NULL, note VARCHAR(60)) ENGINE=InnoDB`,
    );
    await s.query(
      `INSERT INTO ${TABLE} SELECT seq, CONCAT('k', seq % 1000), (seq % 100000) / 100, DATE '2020-01-01' + INTERVAL (seq % 1500) DAY, IF(seq % 10 = 0, NULL, REPEAT('n', 40)) FROM seq_1_to_${ROWS}`,
    );
  });
}

interface Server {
  readonly url: string;
  readonly child: ChildProcess;
}

async function startServer(): Promise<Server> {
  const child = spawn(
    process.execPath,
    [path.join(root, 'bin', 'sluice.mjs'), 'serve', '--port', '0', '--quiet', '--source', `b=${url}`],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, SLUICE_TOKENS: '' } },
  );
  const line = await new Promise<string>((resolve, reject) => {
    let buffered = '';
    child.stdout!.on('data', (chunk) => {
      buffered += String(chunk);
      const nl = buffered.indexOf('\n');
      if (nl >= 0) resolve(buffered.slice(0, nl));
    });
    child.once('exit', (code) => reject(new Error(`sluice serve exited with ${code}`)));
  });
  return { url: (JSON.parse(line) as { url: string }).url, child };
}

async function stopServer(server: Server): Promise<number> {
  const hwm = peakRssMb(server.child.pid!);
  server.child.kill('SIGTERM');
  await new Promise((resolve) => server.child.once('exit', resolve));
  return hwm;
}

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+)/.exec(status)![1]) / 1024;
}

function post(base: string, body: unknown, accept: string): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      new URL('/v1/query', base),
      { method: 'POST', headers: { 'content-type': 'application/json', accept } },
      resolve,
    );
    request.on('error', reject);
    request.end(JSON.stringify(body));
  });
}

// (a) point queries
async function pointHttp(base: string, connections: number) {
  const result = await autocannon({
    url: `${base}/v1/query`,
    method: 'POST',
    connections,
    duration: DURATION,
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ sql: `SELECT * FROM ${TABLE} WHERE id = ?`, params: [4242] }),
  });
  return {
    p50: result.latency.p50,
    p99: result.latency.p99,
    reqPerSec: result.requests.average,
    errors: result.errors + result.non2xx,
  };
}

async function pointDirect(connections: number) {
  const sessions = await Promise.all(Array.from({ length: connections }, () => openSession(endpoint)));
  const latencies: number[] = [];
  const deadline = performance.now() + DURATION * 1000;
  await Promise.all(
    sessions.map(async (session) => {
      while (performance.now() < deadline) {
        const started = performance.now();
        await session.query(`SELECT * FROM ${TABLE} WHERE id = ?`, [4242]);
        latencies.push(performance.now() - started);
      }
    }),
  );
  await Promise.all(sessions.map((s) => s.close()));
  return {
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    reqPerSec: latencies.length / DURATION,
    errors: 0,
  };
}

// (b) big results
async function drain(base: string, accept: string): Promise<{ seconds: number; bytes: number }> {
  const started = performance.now();
  const response = await post(base, { sql: `SELECT * FROM ${TABLE}`, limits: { maxRows: 0 } }, accept);
  if (response.statusCode !== 200) throw new Error(`status ${response.statusCode}`);
  let bytes = 0;
  for await (const chunk of response) bytes += (chunk as Buffer).byteLength;
  return { seconds: (performance.now() - started) / 1000, bytes };
}

async function inProcess(): Promise<number> {
  const db = await connect(url);
  const started = performance.now();
  const table = await db.sql(`SELECT * FROM ${TABLE}`).toArrow();
  const seconds = (performance.now() - started) / 1000;
  if (table.numRows !== ROWS) throw new Error(`toArrow returned ${table.numRows} rows`);
  await db.close();
  return seconds;
}

// (c) disconnect to clean
async function ourStatements(): Promise<number> {
  const rows = await withSession(endpoint, (s) =>
    s.query('SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE ? AND ID <> CONNECTION_ID()', [
      `%FROM \`${TABLE}\`%`,
    ]),
  );
  return rows.length;
}

async function disconnectToClean(base: string): Promise<number> {
  const response = await post(
    base,
    { sql: `SELECT * FROM ${TABLE}`, limits: { maxRows: 0 } },
    'application/vnd.apache.arrow.stream',
  );
  await new Promise((resolve) => response.once('readable', resolve));
  while ((await ourStatements()) === 0) await new Promise((r) => setTimeout(r, 5));
  const started = performance.now();
  response.destroy();
  while ((await ourStatements()) > 0) await new Promise((r) => setTimeout(r, 5));
  return performance.now() - started;
}

async function main(): Promise<void> {
  await prepare();
  const report: Record<string, unknown> = {
    machine: {
      cpus: os.cpus().length,
      model: os.cpus()[0]?.model,
      memGb: Math.round(os.totalmem() / 2 ** 30),
      loadavg: os.loadavg().map((x) => x.toFixed(2)),
      node: process.version,
    },
    rows: ROWS,
    command: `node --import tsx bench/http.ts ${process.argv.slice(2).join(' ')}`,
  };

  const server = await startServer();
  const point: Record<string, unknown> = {};
  for (const c of String(values.connections).split(',').map(Number)) {
    const viaHttp = await pointHttp(server.url, c);
    const direct = await pointDirect(c);
    point[c] = { http: viaHttp, mysql2: direct, p50Ratio: viaHttp.p50 / direct.p50 };
    process.stderr.write(
      `point c=${c}: http p50 ${viaHttp.p50} ms ${viaHttp.reqPerSec.toFixed(0)} req/s; mysql2 p50 ${direct.p50.toFixed(2)} ms ${direct.reqPerSec.toFixed(0)} req/s\n`,
    );
  }
  report.point = point;

  const formats: Record<string, unknown> = {};
  const runs = 3;
  const toArrowSeconds: number[] = [];
  const perFormat: Record<string, { seconds: number[]; bytes: number }> = {};
  const accepts: Record<string, string> = {
    arrow: 'application/vnd.apache.arrow.stream',
    ndjson: 'application/x-ndjson',
    csv: 'text/csv',
  };
  for (let run = 0; run < runs; run++) {
    toArrowSeconds.push(await inProcess());
    for (const [name, accept] of Object.entries(accepts)) {
      const { seconds, bytes } = await drain(server.url, accept);
      perFormat[name] ??= { seconds: [], bytes };
      perFormat[name].seconds.push(seconds);
    }
  }
  const inProc = median(toArrowSeconds);
  formats.toArrowInProcess = { seconds: inProc, rowsPerSec: ROWS / inProc };
  for (const [name, { seconds, bytes }] of Object.entries(perFormat)) {
    const s = median(seconds);
    formats[name] = {
      seconds: s,
      MBps: bytes / 2 ** 20 / s,
      rowsPerSec: ROWS / s,
      bytes,
      vsToArrow: inProc / s,
    };
    process.stderr.write(
      `${name}: ${(bytes / 2 ** 20 / s).toFixed(1)} MB/s, ${(ROWS / s).toFixed(0)} rows/s (${((inProc / s) * 100).toFixed(0)}% of toArrow)\n`,
    );
  }
  report.bigResult = formats;

  const cleans: number[] = [];
  for (let i = 0; i < Number(values.disconnects); i++) cleans.push(await disconnectToClean(server.url));
  report.disconnectToCleanMs = {
    p50: percentile(cleans, 50),
    p99: percentile(cleans, 99),
    runs: cleans.length,
  };
  process.stderr.write(
    `disconnect-to-clean p50 ${percentile(cleans, 50).toFixed(0)} ms p99 ${percentile(cleans, 99).toFixed(0)} ms\n`,
  );
  report.serverPeakRssMbAfterSerialPhases = await stopServer(server);

  const streamsServer = await startServer();
  const started = performance.now();
  const results = await Promise.all(
    Array.from({ length: 10 }, () => drain(streamsServer.url, accepts.arrow!)),
  );
  report.tenStreams = {
    seconds: (performance.now() - started) / 1000,
    totalMB: results.reduce((s, r) => s + r.bytes, 0) / 2 ** 20,
    peakRssMb: await stopServer(streamsServer),
  };
  process.stderr.write(
    `10 streams: peak RSS ${(report.tenStreams as { peakRssMb: number }).peakRssMb.toFixed(0)} MB\n`,
  );

  writeFileSync(`${values.out}.json`, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

await main();
