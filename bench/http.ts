/**
 * The HTTP service against the direct paths, side by side in one run (medians):
 *
 * (a) point query (one row by key, a different key each request): p50/p99 and req/s through
 *     `POST /v1/query` (a closed loop over keep-alive sockets, and autocannon for req/s) vs
 *     mysql2 directly (a DbSession per connection, closed loop), at 1, 16 and 64 connections, and
 *     two floors over the same client: fastify answering a constant row, and fastify running the
 *     same query on mysql2 and writing its JSON by hand (`--runs` interleaved runs, medians);
 * (b) a full-table result: MB/s and rows/s as Arrow stream, NDJSON and CSV vs in-process toArrow();
 * (c) disconnect-to-clean: a client drops the socket mid-stream; time until the process list
 *     holds no statement of the query on every server (p50/p99): the single server, and with
 *     --cluster the Spider head and every leaf;
 * (d) RSS of a server process streaming 10 full-table results at once (peak, and sampled).
 *
 * The server runs as `sluice serve` in a child process (its RSS is its own). The tables are made
 * once with the Sequence engine and reused. `--phases` picks some of point,formats,disconnect,streams.
 *
 *   node --import tsx bench/http.ts --url mysql://root@127.0.0.1:3306/sluice [--rows 6000000]
 *     [--cluster HEAD_URL,LEAF_URL,…] [--duration 10] [--disconnects 20] [--runs 3]
 *     [--phases point,formats,disconnect,streams] [--connections 1,16,64] [--out bench/results/http]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { openSession, withSession } from '../src/db/driver.ts';
import { type DbEndpoint, parseDbUrl } from '../src/db/endpoint.ts';
import { createShardedTable } from '../src/db/sharding.ts';
import type { Database } from '../src/frame/database.ts';
import { connect } from '../src/index.ts';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    rows: { type: 'string', default: '1000000' },
    duration: { type: 'string', default: '10' },
    disconnects: { type: 'string', default: '20' },
    runs: { type: 'string', default: '3' },
    connections: { type: 'string', default: '1,16,64' },
    /** Spider head then leaves (comma-separated URLs): disconnect-to-clean on the cluster too. */
    cluster: { type: 'string' },
    'sharded-rows': { type: 'string', default: '1000000' },
    phases: { type: 'string', default: 'point,formats,disconnect,streams' },
    /** Formats the formats phase reads (arrow,ndjson,csv). */
    formats: { type: 'string', default: 'arrow,ndjson,csv' },
    out: { type: 'string', default: 'bench/results/http' },
  },
});
const PHASES = new Set(String(values.phases).split(','));
const FORMAT_NAMES = new Set(String(values.formats).split(','));
if (!values.url) throw new Error('--url mysql://user@host:port/database is required');
const url = values.url;
const endpoint = parseDbUrl(url);
const clusterUrls = values.cluster ? values.cluster.split(',') : undefined;
const cluster = clusterUrls
  ? { head: clusterUrls[0]!, endpoints: clusterUrls.map((u) => parseDbUrl(u)) }
  : undefined;
const SHARDED_ROWS = Number(values['sharded-rows']);
const SHARDED = `http_bench_sharded_${SHARDED_ROWS}`;
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

/**
 * The server's config: 64 queries at once (the point phase runs up to 64 connections), the
 * default event-loop pressure limit (a 503 is retried by the client, as Retry-After says).
 */
const configFile = path.join(os.tmpdir(), `sluice-bench-http-${process.pid}.json`);
writeFileSync(configFile, JSON.stringify({ serve: { maxConcurrentQueries: 64 } }));
/** The same server with point reads off: every query the general way (the point phase's "general" line). */
const generalConfigFile = path.join(os.tmpdir(), `sluice-bench-http-general-${process.pid}.json`);
writeFileSync(generalConfigFile, JSON.stringify({ serve: { maxConcurrentQueries: 64, pointReads: false } }));

/**
 * `sluice serve`, or a floor (bench/http-floor-server.ts): fastify answering a constant row
 * ('constant'), or running the query on mysql2 and writing its JSON by hand ('mysql2').
 */
async function startServer(floor?: 'constant' | 'mysql2' | 'general'): Promise<Server> {
  const sources = ['--source', `b=${url}`, ...(cluster ? ['--source', `c=${cluster.head}`] : [])];
  const args =
    floor && floor !== 'general'
      ? [
          '--import',
          'tsx',
          path.join(root, 'bench', 'http-floor-server.ts'),
          ...(floor === 'mysql2' ? ['--db', url] : []),
        ]
      : [
          path.join(root, 'bin', 'sluice.mjs'),
          'serve',
          '--port',
          '0',
          '--config',
          floor === 'general' ? generalConfigFile : configFile,
          ...sources,
        ];
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, SLUICE_TOKENS: '' },
  });
  const line = await new Promise<string>((resolve, reject) => {
    let buffered = '';
    child.stdout!.on('data', (chunk) => {
      buffered += String(chunk);
      let nl = buffered.indexOf('\n');
      while (nl >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        // The server's own log is on stdout too: its errors are shown, the rest is dropped.
        if (line.startsWith('{"url"')) resolve(line);
        else if (line.includes('"level":50')) process.stderr.write(`server: ${line}\n`);
        nl = buffered.indexOf('\n');
      }
    });
    child.once('exit', (code) => reject(new Error(`sluice serve exited with ${code}`)));
  });
  // The server must not outlive a bench that fails.
  process.once('exit', () => child.kill('SIGTERM'));
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

// (a) point queries: a different key each request (the plan is made once per SQL text, the read is not cached)
const POINT_SQL = `SELECT * FROM ${TABLE} WHERE id = ?`;
const keyAt = (n: number) => 1 + ((n * 7919) % ROWS);

async function pointHttp(base: string, connections: number) {
  let n = 0;
  const result = await autocannon({
    url: `${base}/v1/query`,
    method: 'POST',
    connections,
    duration: DURATION,
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    requests: [
      {
        setupRequest: (request) => ({
          ...request,
          body: JSON.stringify({ sql: POINT_SQL, source: 'b', params: [keyAt(n++)] }),
        }),
      },
    ],
  });
  return {
    p50: result.latency.p50,
    p99: result.latency.p99,
    reqPerSec: result['2xx'] / DURATION,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

/**
 * Closed loop over keep-alive sockets, timed like the mysql2 loop below (autocannon's latency
 * histogram has whole milliseconds, too coarse for a sub-millisecond p50).
 */
async function pointHttpLoop(base: string, connections: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const latencies: number[] = [];
  let failed = 0;
  let n = 0;
  const deadline = performance.now() + DURATION * 1000;
  const one = () =>
    new Promise<number>((resolve, reject) => {
      const request = http.request(
        new URL('/v1/query', base),
        {
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', accept: 'application/json' },
        },
        (response) => {
          response.resume();
          response.once('end', () => resolve(response.statusCode ?? 0));
        },
      );
      request.once('error', reject);
      request.end(JSON.stringify({ sql: POINT_SQL, source: 'b', params: [keyAt(n++)] }));
    });
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < deadline) {
        const started = performance.now();
        const status = await one();
        if (status === 200) latencies.push(performance.now() - started);
        else failed++;
      }
    }),
  );
  agent.destroy();
  return {
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    reqPerSec: latencies.length / DURATION,
    failed,
  };
}

async function pointDirect(connections: number) {
  const sessions = await Promise.all(Array.from({ length: connections }, () => openSession(endpoint)));
  const latencies: number[] = [];
  let n = 0;
  const deadline = performance.now() + DURATION * 1000;
  await Promise.all(
    sessions.map(async (session) => {
      while (performance.now() < deadline) {
        const started = performance.now();
        await session.query(POINT_SQL, [keyAt(n++)]);
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
const failures: string[] = [];

/** A full read; a refused or failed one is recorded and tried again (up to 5 times). */
async function drain(
  base: string,
  accept: string,
  table = TABLE,
): Promise<{ seconds: number; bytes: number }> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await drainOnce(base, accept, table);
    } catch (error) {
      failures.push(`${accept}: ${(error as Error).message.slice(0, 200)}`);
      if (attempt === 5) throw error;
      process.stderr.write(`read failed, trying again: ${(error as Error).message.slice(0, 200)}\n`);
      await new Promise((r) => setTimeout(r, 1000 * attempt));
    }
  }
}

async function drainOnce(
  base: string,
  accept: string,
  table: string,
): Promise<{ seconds: number; bytes: number }> {
  const started = performance.now();
  const response = await post(
    base,
    { sql: `SELECT * FROM ${table}`, source: 'b', limits: { maxRows: 0 } },
    accept,
  );
  if (response.statusCode !== 200) {
    let body = '';
    for await (const chunk of response) body += String(chunk);
    throw new Error(`status ${response.statusCode}: ${body.slice(0, 500)}`);
  }
  let bytes = 0;
  for await (const chunk of response) bytes += (chunk as Buffer).byteLength;
  return { seconds: (performance.now() - started) / 1000, bytes };
}

async function inProcess(db: Database): Promise<number> {
  const started = performance.now();
  const table = await db.sql(`SELECT * FROM ${TABLE}`).toArrow();
  const seconds = (performance.now() - started) / 1000;
  if (table.numRows !== ROWS) throw new Error(`toArrow returned ${table.numRows} rows`);
  return seconds;
}

// (c) disconnect to clean
/** Statements reading `table` on `server`, other than this check itself. */
async function statementsOn(server: DbEndpoint, table: string): Promise<number> {
  const rows = await withSession(server, (s) =>
    s.query('SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE ? AND ID <> CONNECTION_ID()', [
      `%${table}%`,
    ]),
  );
  return rows.length;
}

async function statementsEverywhere(servers: readonly DbEndpoint[], table: string): Promise<number> {
  const counts = await Promise.all(servers.map((server) => statementsOn(server, table)));
  return counts.reduce((a, b) => a + b, 0);
}

async function waitFor(what: string, test: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await test())) {
    if (performance.now() > deadline) throw new Error(`gave up waiting for ${what} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/**
 * One disconnect: start a streaming read, wait until its statements run, drop the socket, and
 * time until no statement of it is left on any server. A refused request (503/429) is retried.
 */
async function disconnectToClean(
  base: string,
  source: string,
  table: string,
  servers: readonly DbEndpoint[],
): Promise<number> {
  await waitFor(
    'a clean process list before starting',
    async () => (await statementsEverywhere(servers, table)) === 0,
  );
  for (let attempt = 1; ; attempt++) {
    const response = await post(
      base,
      { sql: `SELECT * FROM ${table}`, source, limits: { maxRows: 0 } },
      'application/vnd.apache.arrow.stream',
    );
    if (response.statusCode !== 200) {
      response.resume();
      if (attempt === 5) throw new Error(`status ${response.statusCode} five times`);
      await new Promise((r) => setTimeout(r, 1000 * Number(response.headers['retry-after'] ?? 1)));
      continue;
    }
    await new Promise((resolve) => response.once('readable', resolve));
    await waitFor(
      'the statements to start',
      async () => (await statementsEverywhere(servers, table)) > 0,
      10_000,
    ).catch(() => undefined);
    const started = performance.now();
    response.destroy();
    await waitFor('a clean process list', async () => (await statementsEverywhere(servers, table)) === 0);
    return performance.now() - started;
  }
}

async function prepareSharded(): Promise<void> {
  if (!cluster) return;
  const head = cluster.endpoints[0]!;
  const exists = await withSession(head, (s) =>
    s.query<{ n: number }>(
      'SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?',
      [SHARDED],
    ),
  );
  if (Number(exists[0]!.n) > 0) return;
  process.stderr.write(`creating ${SHARDED} on the cluster (${SHARDED_ROWS} rows)\n`);
  await createShardedTable(
    { head, leaves: cluster.endpoints.slice(1) },
    SHARDED,
    [
      { name: 'id', type: 'BIGINT NOT NULL' },
      { name: 'payload', type: 'VARCHAR(100) NOT NULL' },
    ],
    'id',
    { primaryKey: ['id'] },
  );
  await withSession(head, (s) =>
    s.query(`INSERT INTO ${SHARDED} SELECT seq, REPEAT('y', 80) FROM seq_1_to_${SHARDED_ROWS}`),
  );
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

const ACCEPTS: Record<string, string> = {
  arrow: 'application/vnd.apache.arrow.stream',
  ndjson: 'application/x-ndjson',
  csv: 'text/csv',
};

type Loop = { p50: number; p99: number; reqPerSec: number };

/** Medians over runs of each figure of a loop's results. */
function medianLoop<T extends Loop>(runs: readonly T[]): Loop & { runs: readonly T[] } {
  return {
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    reqPerSec: median(runs.map((r) => r.reqPerSec)),
    runs,
  };
}

/**
 * Every client at each connection count, `--runs` times interleaved (floors, endpoint, mysql2),
 * medians of the runs: a busy machine moves all of them, and a ratio is taken within one run.
 */
async function pointPhase(report: Record<string, unknown>): Promise<void> {
  const server = await startServer();
  const constantFloor = await startServer('constant');
  const mysql2Floor = await startServer('mysql2');
  const generalServer = await startServer('general');
  const counts = String(values.connections).split(',').map(Number);
  const runs: Record<
    number,
    {
      floor: Loop[];
      floorMysql2: Loop[];
      httpLoop: Loop[];
      general: Loop[];
      autocannon: Loop[];
      mysql2: Loop[];
    }
  > = {};
  for (const c of counts)
    runs[c] = { floor: [], floorMysql2: [], httpLoop: [], general: [], autocannon: [], mysql2: [] };
  for (let run = 0; run < Number(values.runs); run++) {
    for (const c of counts) {
      const r = runs[c]!;
      // The floors: the same client against fastify answering a constant JSON row, and against
      // fastify running the same query on mysql2 and writing its JSON by hand.
      const floor = await pointHttpLoop(constantFloor.url, c);
      const floorMysql2 = await pointHttpLoop(mysql2Floor.url, c);
      const loop = await pointHttpLoop(server.url, c);
      const general = await pointHttpLoop(generalServer.url, c);
      const cannon = await pointHttp(server.url, c);
      const direct = await pointDirect(c);
      r.floor.push(floor);
      r.floorMysql2.push(floorMysql2);
      r.httpLoop.push(loop);
      r.general.push(general);
      r.autocannon.push(cannon);
      r.mysql2.push(direct);
      process.stderr.write(
        `run ${run + 1} point c=${c} (load ${os.loadavg()[0]!.toFixed(1)}): floor p50 ${floor.p50.toFixed(2)} ms ${floor.reqPerSec.toFixed(0)} req/s; ` +
          `mysql2 floor p50 ${floorMysql2.p50.toFixed(2)} ms ${floorMysql2.reqPerSec.toFixed(0)} req/s; ` +
          `http p50 ${loop.p50.toFixed(2)} ms p99 ${loop.p99.toFixed(2)} ms ${loop.reqPerSec.toFixed(0)} req/s ` +
          `(general path p50 ${general.p50.toFixed(2)} ms ${general.reqPerSec.toFixed(0)} req/s; autocannon ${cannon.reqPerSec.toFixed(0)} req/s, p50 ${cannon.p50} ms); ` +
          `mysql2 p50 ${direct.p50.toFixed(2)} ms ${direct.reqPerSec.toFixed(0)} req/s\n`,
      );
    }
  }
  const point: Record<string, unknown> = {};
  for (const c of counts) {
    const r = runs[c]!;
    const [floor, floorMysql2, httpLoop, general, autocannonRuns, mysql2] = [
      medianLoop(r.floor),
      medianLoop(r.floorMysql2),
      medianLoop(r.httpLoop),
      medianLoop(r.general),
      medianLoop(r.autocannon),
      medianLoop(r.mysql2),
    ];
    point[c] = {
      floor,
      floorMysql2,
      httpLoop,
      general,
      autocannon: autocannonRuns,
      mysql2,
      // Ratios within each run, then their median.
      p50Ratio: median(r.httpLoop.map((h, i) => h.p50 / r.mysql2[i]!.p50)),
      p50RatioToMysql2Floor: median(r.httpLoop.map((h, i) => h.p50 / r.floorMysql2[i]!.p50)),
    };
  }
  report.point = point;
  await stopServer(constantFloor);
  await stopServer(mysql2Floor);
  await stopServer(generalServer);
  report.serverPeakRssMbAfterPointQueries = await stopServer(server);
}

/**
 * Each run reads the table in process (`toArrow()` on one warm connection, its reader threads
 * started) and then through the endpoint in each format; a warm-up read of each goes first. The
 * ratio to `toArrow()` is taken within each run (the machine's load moves both), then the median.
 */
async function formatsPhase(report: Record<string, unknown>): Promise<void> {
  const server = await startServer();
  const runs = Number(values.runs);
  const accepts = Object.entries(ACCEPTS).filter(([name]) => FORMAT_NAMES.has(name));
  const toArrowSeconds: number[] = [];
  const perFormat: Record<string, { seconds: number[]; bytes: number }> = {};
  const db = await connect(url);
  await inProcess(db);
  for (const [, accept] of accepts) await drain(server.url, accept);
  for (let run = 0; run < runs; run++) {
    toArrowSeconds.push(await inProcess(db));
    process.stderr.write(
      `run ${run + 1} (load ${os.loadavg()[0]!.toFixed(1)}): toArrow ${toArrowSeconds.at(-1)!.toFixed(2)} s\n`,
    );
    for (const [name, accept] of accepts) {
      const { seconds, bytes } = await drain(server.url, accept);
      perFormat[name] ??= { seconds: [], bytes };
      perFormat[name].seconds.push(seconds);
      process.stderr.write(`run ${run + 1}: ${name} ${seconds.toFixed(2)} s\n`);
    }
  }
  await db.close();
  const inProc = median(toArrowSeconds);
  const formats: Record<string, unknown> = {
    toArrowInProcess: { seconds: inProc, rowsPerSec: ROWS / inProc, runs: toArrowSeconds },
  };
  for (const [name, { seconds, bytes }] of Object.entries(perFormat)) {
    const s = median(seconds);
    formats[name] = {
      seconds: s,
      runs: seconds,
      MBps: bytes / 2 ** 20 / s,
      rowsPerSec: ROWS / s,
      bytes,
      vsToArrow: inProc / s,
      vsToArrowPerRun: median(seconds.map((x, i) => toArrowSeconds[i]! / x)),
    };
    process.stderr.write(
      `${name}: ${(bytes / 2 ** 20 / s).toFixed(1)} MB/s, ${(ROWS / s).toFixed(0)} rows/s (${((inProc / s) * 100).toFixed(0)}% of toArrow; median of per-run ratios ${((formats[name] as { vsToArrowPerRun: number }).vsToArrowPerRun * 100).toFixed(0)}%)\n`,
    );
  }
  report.bigResult = formats;
  report.serverPeakRssMbAfterSerialStreams = await stopServer(server);
}

async function disconnectPhase(report: Record<string, unknown>): Promise<void> {
  const server = await startServer();
  const targets: [string, string, string, DbEndpoint[]][] = [['single', 'b', TABLE, [endpoint]]];
  if (cluster) targets.push(['spider', 'c', SHARDED, cluster.endpoints]);
  const result: Record<string, unknown> = {};
  for (const [label, source, table, servers] of targets) {
    const cleans: number[] = [];
    for (let i = 0; i < Number(values.disconnects); i++)
      cleans.push(await disconnectToClean(server.url, source, table, servers));
    result[label] = {
      p50: percentile(cleans, 50),
      p99: percentile(cleans, 99),
      max: Math.max(...cleans),
      runs: cleans.length,
      servers: servers.length,
    };
    process.stderr.write(
      `disconnect-to-clean (${label}, ${servers.length} server(s)): p50 ${percentile(cleans, 50).toFixed(0)} ms p99 ${percentile(cleans, 99).toFixed(0)} ms\n`,
    );
  }
  report.disconnectToCleanMs = result;
  await stopServer(server);
}

async function streamsPhase(report: Record<string, unknown>): Promise<void> {
  const server = await startServer();
  const pid = server.child.pid!;
  const samples: number[] = [];
  const sampler = setInterval(() => samples.push(rssMb(pid)), 500);
  const started = performance.now();
  const results = await Promise.all(Array.from({ length: 10 }, () => drain(server.url, ACCEPTS.arrow!)));
  clearInterval(sampler);
  const seconds = (performance.now() - started) / 1000;
  const quarter = (q: number) =>
    samples[Math.min(samples.length - 1, Math.floor((q * samples.length) / 4))] ?? Number.NaN;
  report.tenStreams = {
    seconds,
    rows: ROWS * 10,
    totalMB: results.reduce((s, r) => s + r.bytes, 0) / 2 ** 20,
    rssMbAtQuarters: [quarter(0), quarter(1), quarter(2), quarter(3), samples.at(-1)],
    peakRssMb: await stopServer(server),
  };
  process.stderr.write(
    `10 streams: ${seconds.toFixed(0)} s, peak RSS ${(report.tenStreams as { peakRssMb: number }).peakRssMb.toFixed(0)} MB, RSS by quarter ${(report.tenStreams as { rssMbAtQuarters: number[] }).rssMbAtQuarters.map((x) => x.toFixed(0)).join(' / ')} MB\n`,
  );
}

async function main(): Promise<void> {
  await prepare();
  await prepareSharded();
  const report: Record<string, unknown> = {
    machine: {
      cpus: os.cpus().length,
      model: os.cpus()[0]?.model,
      memGb: Math.round(os.totalmem() / 2 ** 30),
      loadavgAtStart: os.loadavg().map((x) => x.toFixed(2)),
      node: process.version,
    },
    rows: ROWS,
    command: `node --import tsx bench/http.ts ${process.argv.slice(2).join(' ')}`,
  };
  if (PHASES.has('point')) await pointPhase(report);
  if (PHASES.has('formats')) await formatsPhase(report);
  if (PHASES.has('disconnect')) await disconnectPhase(report);
  if (PHASES.has('streams')) await streamsPhase(report);
  (report.machine as Record<string, unknown>).loadavgAtEnd = os.loadavg().map((x) => x.toFixed(2));
  report.failedReads = failures;
  rmSync(configFile, { force: true });
  rmSync(generalConfigFile, { force: true });
  writeFileSync(`${values.out}.json`, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

await main();
