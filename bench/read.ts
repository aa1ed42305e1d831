/**
 * Full-table reads of the seeded TPC-H-shaped lineitem table (16 columns) into Arrow, against
 * the physical floor and mysql2's row objects, all in one run:
 *
 * - floor: `mariadb --quick --batch -e 'SELECT * FROM lineitem' > /dev/null` (the server's own
 *   time to produce and send the rows, to a C client that does nothing with them);
 * - mysql2 row objects: `query()` materializing every row, and mysql2's row stream;
 * - sluice: one partition on a worker thread (and on the calling thread), native partitions
 *   1/2/4/8 on the single server, key ranges, and the Spider cluster read on its leaves.
 *
 * Each measurement runs in a child process of its own (clean peak RSS), `--runs` times,
 * interleaved; the report gives medians. Server CPU comes from /proc/<mariadbd pid>/stat, so
 * the servers must run on this machine. Data is loaded once and reused by later runs.
 *
 *   node --import tsx bench/read.ts --home /tmp/stack [--lineitem 6000000] [--runs 3]
 *     [--partitions 1,2,4,8] [--only floor,sluice-1] [--skip-materialized] [--out bench/results/read]
 */
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { describeError, UsageError } from '../src/base/errors.ts';
import { resolveStackConfig } from '../src/config/stack.ts';
import { type DbSession, withSession } from '../src/db/driver.ts';
import { type DbEndpoint, parseDbUrl } from '../src/db/endpoint.ts';
import { forEachRowObject } from '../src/db/raw-query.ts';
import { leafServerName, shardedTableDdl } from '../src/db/sharding.ts';
import { tsvLine } from '../src/db/tsv.ts';
import { closeReaderPool, type ReadTask, readParallel } from '../src/reader/parallel.ts';
import { type PartitionPlan, scanSql } from '../src/reader/partitioning/scan.ts';
import { planPartitions } from '../src/reader/partitions.ts';
import { readArrow } from '../src/reader/read.ts';
import { quoteIdentifier } from '../src/sql/identifiers.ts';
import { stackStatus } from '../src/stack/stack.ts';
import { cpuSeconds, serverPid } from './data/cpu.ts';
import { loadTpch } from './data/load.ts';
import { TPCH_SCHEMA, tpchColumns, tpchRows } from './data/tpch.ts';

const DATABASE = 'tpch';

interface Endpoints {
  readonly single: DbEndpoint;
  readonly head?: DbEndpoint;
  readonly leaves: readonly DbEndpoint[];
}

/** One measurement, run in a child process. */
interface Variant {
  readonly name: string;
  readonly kind: 'mysql2-query' | 'mysql2-stream' | 'mysql2-stream-defaults' | 'sluice-thread' | 'sluice';
  /** sluice: how to split the table. */
  readonly plan?: {
    readonly endpoint: 'single' | 'head';
    readonly table: string;
    readonly keyRanges?: number;
  };
  readonly parallelism?: number;
  /** Servers whose CPU this read uses. */
  readonly servers: readonly ('single' | 'head' | 'leaves')[];
}

interface Measurement {
  readonly rows: number;
  readonly seconds: number;
  readonly serverCpuSeconds: number;
  readonly clientCpuSeconds: number;
  readonly peakRssMb: number;
  readonly arrowBytes?: number;
}

function integer(name: string, text: string, min: number): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min) {
    throw new UsageError(`--${name} must be an integer of at least ${min}, not '${text}'`);
  }
  return value;
}

async function endpointsFrom(values: { home?: string; url?: string; cluster?: string }): Promise<Endpoints> {
  if (values.url) {
    const urls = values.cluster?.split(',').filter(Boolean) ?? [];
    return {
      single: parseDbUrl(values.url, '--url'),
      head: urls[0] ? parseDbUrl(urls[0], '--cluster') : undefined,
      leaves: urls.slice(1).map((url) => parseDbUrl(url, '--cluster')),
    };
  }
  const report = await stackStatus(resolveStackConfig({ home: values.home }));
  const { single, cluster } = report.endpoints;
  if (!single) throw new UsageError('the stack has no single server; start one or pass --url');
  return { single, head: cluster?.head, leaves: cluster?.leaves ?? [] };
}

async function tableRows(session: DbSession, schema: string, table: string): Promise<number> {
  const exists = await session.query(
    'SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
    [schema, table],
  );
  if (exists.length === 0) return -1;
  const [row] = await session.query<{ n: string }>(
    `SELECT COUNT(*) AS n FROM ${quoteIdentifier(schema)}.${quoteIdentifier(table)}`,
  );
  return Number(row!.n);
}

function progress(message: string): void {
  process.stderr.write(`${message}\n`);
}

/** Loads lineitem (and the rest of TPC-H) once, and the partitioned copies, unless already there. */
async function prepareSingle(
  single: DbEndpoint,
  lineitem: number,
  seed: number,
  partitions: number[],
): Promise<void> {
  // A marker table says which data is loaded; a missing one (or other data) means load again.
  const marker = await withSession(
    single,
    async (session) => {
      const rows = await session
        .query<{ lineitem: string; seed: number }>('SELECT lineitem, seed FROM tpch.sluice_bench')
        .catch(() => []);
      return rows[0];
    },
    { withoutDatabase: true },
  );
  if (!marker || Number(marker.lineitem) !== lineitem || Number(marker.seed) !== seed) {
    progress(
      `loading TPC-H-shaped data (${lineitem} lineitem rows, seed ${seed}) into ${single.host}:${single.port}/${DATABASE}`,
    );
    await loadTpch(single, { database: DATABASE, lineitem, seed });
    await withSession({ ...single, database: DATABASE }, async (session) => {
      await session.query('CREATE TABLE sluice_bench (lineitem BIGINT, seed INT)');
      await session.query('INSERT INTO sluice_bench VALUES (?, ?)', [lineitem, seed]);
    });
  }
  await withSession({ ...single, database: DATABASE }, async (session) => {
    for (const count of partitions.filter((n) => n > 1)) {
      const table = `lineitem_p${count}`;
      if ((await tableRows(session, DATABASE, table)) === lineitem) continue;
      progress(`creating ${table}: lineitem in ${count} native partitions`);
      await session.query(`DROP TABLE IF EXISTS ${quoteIdentifier(table)}`);
      await session.query(`CREATE TABLE ${quoteIdentifier(table)} LIKE lineitem`);
      await session.query(
        `ALTER TABLE ${quoteIdentifier(table)} PARTITION BY HASH(l_orderkey) PARTITIONS ${count}`,
      );
      await session.query(`INSERT INTO ${quoteIdentifier(table)} SELECT * FROM lineitem`);
    }
  });
}

/** lineitem sharded over the cluster's leaves (each leaf loaded with its share), a Spider table on the head. */
async function prepareCluster(endpoints: Endpoints, lineitem: number, seed: number): Promise<boolean> {
  const { head, leaves } = endpoints;
  if (!head || leaves.length === 0) return false;
  const count = await withSession(head, (session) => tableRows(session, head.database, 'lineitem'));
  if (count === lineitem) return true;
  progress(`sharding lineitem over ${leaves.length} leaves (each leaf generates and loads its share)`);
  const columns = TPCH_SCHEMA.lineitem.columns.map((column) => ({
    name: column.name,
    type: `${column.type} NOT NULL`,
  }));
  const ddl = shardedTableDdl('lineitem', columns, 'l_orderkey', leaves.length, {
    primaryKey: TPCH_SCHEMA.lineitem.primaryKey,
  });
  await withSession(head, (session) => session.query('DROP TABLE IF EXISTS lineitem'));
  await Promise.all(
    leaves.map((leaf, index) =>
      withSession(leaf, async (session) => {
        await session.query('DROP TABLE IF EXISTS lineitem');
        await session.query(ddl.leaf);
        await session.query('SET unique_checks = 0');
        // HASH partitioning of an integer key puts l_orderkey in partition l_orderkey MOD leaves.
        await session.loadInfile(
          'lineitem',
          tpchColumns('lineitem'),
          leafShare(lineitem, seed, index, leaves.length),
        );
      }),
    ),
  );
  await withSession(head, (session) => session.query(ddl.head));
  progress(`Spider table on the head, partitions on ${leaves.map((_, i) => leafServerName(i)).join(', ')}`);
  return true;
}

function* leafShare(lineitem: number, seed: number, leaf: number, leaves: number): Generator<string> {
  let chunk = '';
  for (const row of tpchRows('lineitem', { lineitem, seed })) {
    if (Number(row[0]) % leaves !== leaf) continue;
    chunk += tsvLine(row);
    if (chunk.length >= 256 * 1024) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}

/** The floor: the mariadb client reading everything with --quick into /dev/null. */
async function measureFloor(single: DbEndpoint, pid: number): Promise<Measurement> {
  const args = [
    '--quick',
    '--batch',
    '--skip-column-names',
    `--host=${single.host}`,
    `--port=${single.port}`,
    `--user=${single.user}`,
    ...(single.password ? [`--password=${single.password}`] : []),
    DATABASE,
    '-e',
    'SELECT * FROM lineitem',
  ];
  const server = cpuSeconds(pid);
  const started = performance.now();
  const child = spawn('mariadb', args, { stdio: ['ignore', 'ignore', 'inherit'] });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`mariadb client exited with ${code}`);
  return {
    rows: -1,
    seconds,
    serverCpuSeconds: cpuSeconds(pid) - server,
    clientCpuSeconds: Number.NaN,
    peakRssMb: Number.NaN,
  };
}

/** Bytes of the result as the text protocol carries it (what the floor's client receives). */
function resultTextBytes(single: DbEndpoint): number {
  const output = execFileSync(
    'sh',
    [
      '-c',
      `mariadb --quick --batch --skip-column-names --host=${single.host} --port=${single.port} --user=${single.user} ${DATABASE} -e 'SELECT * FROM lineitem' | wc -c`,
    ],
    { encoding: 'utf8', maxBuffer: 1024 },
  );
  return Number(output.trim());
}

async function runChild(
  variant: Variant,
  endpoints: Endpoints,
  pids: Record<string, number[]>,
): Promise<Measurement> {
  const heap = variant.kind === 'mysql2-query' ? ['--max-old-space-size=16384'] : [];
  const child = spawn(
    process.execPath,
    [
      ...heap,
      '--import',
      'tsx',
      path.join(import.meta.dirname, 'read.ts'),
      '--child',
      JSON.stringify({ variant, endpoints, pids }),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`${variant.name} exited with ${code}`);
  return JSON.parse(output.trim().split('\n').at(-1)!) as Measurement;
}

/** In the child: one measurement, printed as JSON. */
async function child(payload: string): Promise<void> {
  const { variant, endpoints, pids } = JSON.parse(payload) as {
    variant: Variant;
    endpoints: Endpoints;
    pids: Record<string, number[]>;
  };
  const single = { ...endpoints.single, database: DATABASE };
  const sql = 'SELECT * FROM lineitem';
  let tasks: ReadTask[] = [];
  let parallelism = variant.parallelism ?? 1;
  if (variant.kind === 'sluice') {
    const endpoint = variant.plan!.endpoint === 'head' ? endpoints.head! : single;
    const plan: PartitionPlan = await planPartitions(endpoint, variant.plan!.table, {
      parallelism,
      partitioning: variant.plan!.keyRanges
        ? { column: 'l_orderkey', count: variant.plan!.keyRanges }
        : variant.parallelism === 1
          ? 'none'
          : 'auto',
    });
    tasks = plan.scans.map((scan) => ({ label: scan.label, endpoint: scan.endpoint, ...scanSql(scan) }));
    parallelism = Math.min(parallelism, tasks.length);
    // Start the worker threads first: a service keeps its pool warm between reads.
    const warm = tasks.map((task) => ({ ...task, sql: 'SELECT 1 AS one', params: [] }));
    for await (const _ of readParallel(warm, { parallelism })) {
      // warm-up
    }
  }
  const serverPids = variant.servers.flatMap((server) => pids[server] ?? []);
  const serverBefore = serverPids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  let rows = 0;
  let arrowBytes = 0;
  switch (variant.kind) {
    case 'mysql2-query': {
      const result = await withSession(single, (session) => session.query(sql));
      rows = result.length;
      break;
    }
    case 'mysql2-stream':
      rows = await forEachRowObject(single, sql, [], () => undefined);
      break;
    case 'mysql2-stream-defaults':
      rows = await forEachRowObject(single, sql, [], () => undefined, { driverDefaults: true });
      break;
    case 'sluice-thread':
      for await (const batch of readArrow(single, sql)) {
        rows += batch.numRows;
        arrowBytes += batch.data.children.reduce((sum, data) => sum + data.byteLength, 0);
      }
      break;
    case 'sluice':
      for await (const batch of readParallel(tasks, { parallelism })) {
        rows += batch.numRows;
        arrowBytes += batch.data.children.reduce((sum, data) => sum + data.byteLength, 0);
      }
      break;
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const serverCpuSeconds = serverPids.reduce((sum, pid) => sum + cpuSeconds(pid), 0) - serverBefore;
  await closeReaderPool();
  const measurement: Measurement = {
    rows,
    seconds,
    serverCpuSeconds,
    clientCpuSeconds: (cpu.user + cpu.system) / 1e6,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    ...(arrowBytes ? { arrowBytes } : {}),
  };
  process.stdout.write(`${JSON.stringify(measurement)}\n`);
}

function ratio(numerator: number | undefined, denominator: number | undefined): number | null {
  return numerator && denominator ? Number((numerator / denominator).toFixed(2)) : null;
}

/** The largest of the values that are numbers (NaN when none is). */
function maxOf(values: readonly number[]): number {
  const numbers = values.filter((value) => !Number.isNaN(value));
  return numbers.length === 0 ? Number.NaN : Math.round(Math.max(...numbers));
}

function median(values: readonly number[]): number {
  const sorted = [...values].filter((value) => !Number.isNaN(value)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      child: { type: 'string' },
      home: { type: 'string' },
      url: { type: 'string' },
      cluster: { type: 'string' },
      lineitem: { type: 'string', default: '6000000' },
      seed: { type: 'string', default: '1' },
      runs: { type: 'string', default: '3' },
      partitions: { type: 'string', default: '1,2,4,8' },
      only: { type: 'string' },
      'skip-materialized': { type: 'boolean', default: false },
      out: { type: 'string', default: 'bench/results/read' },
    },
  });
  if (values.child) return child(values.child);
  const lineitem = integer('lineitem', values.lineitem, 10);
  const seed = integer('seed', values.seed, 0);
  const runs = integer('runs', values.runs, 1);
  const partitions = values.partitions.split(',').map((part) => integer('partitions', part, 1));
  const endpoints = await endpointsFrom(values);
  await prepareSingle(endpoints.single, lineitem, seed, partitions);
  const hasCluster = await prepareCluster(endpoints, lineitem, seed);
  const pids = {
    single: [await serverPid(endpoints.single)],
    head: endpoints.head ? [await serverPid(endpoints.head)] : [],
    leaves: await Promise.all(endpoints.leaves.map(serverPid)),
  };
  const textBytes = resultTextBytes({ ...endpoints.single, database: DATABASE });

  const variants: Variant[] = [
    ...(values['skip-materialized']
      ? []
      : [{ name: 'mysql2 query(), row objects', kind: 'mysql2-query', servers: ['single'] } as const]),
    { name: 'mysql2 row stream, row objects', kind: 'mysql2-stream', servers: ['single'] },
    {
      name: 'mysql2 row stream, row objects, driver defaults (Date objects)',
      kind: 'mysql2-stream-defaults',
      servers: ['single'],
    },
    { name: 'sluice, 1 partition, calling thread', kind: 'sluice-thread', servers: ['single'] },
    ...partitions.map(
      (count): Variant => ({
        name: count === 1 ? 'sluice, 1 partition, worker' : `sluice, ${count} native partitions`,
        kind: 'sluice',
        plan: { endpoint: 'single', table: count === 1 ? 'lineitem' : `lineitem_p${count}` },
        parallelism: count,
        servers: ['single'],
      }),
    ),
    {
      name: 'sluice, 4 key ranges on l_orderkey',
      kind: 'sluice',
      plan: { endpoint: 'single', table: 'lineitem', keyRanges: 4 },
      parallelism: 4,
      servers: ['single'],
    },
    ...(hasCluster
      ? [
          {
            name: `sluice, Spider cluster, ${endpoints.leaves.length} leaves read directly`,
            kind: 'sluice',
            plan: { endpoint: 'head', table: 'lineitem' },
            parallelism: endpoints.leaves.length,
            servers: ['head', 'leaves'],
          } as const,
        ]
      : []),
  ];
  const only = values.only?.split(',');
  const selected = only
    ? variants.filter((variant) => only.some((name) => variant.name.includes(name)))
    : variants;
  const includeFloor = !only || only.includes('floor');

  const machine = `${os.cpus().length} cores (${os.cpus()[0]?.model.trim()}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}, ${os.type()} ${os.release()}`;
  const [version] = await withSession(endpoints.single, (session) =>
    session.query<{ v: string }>('SELECT VERSION() AS v'),
  );
  const loadBefore = os.loadavg();
  const results = new Map<string, Measurement[]>();
  for (let run = 1; run <= runs; run++) {
    if (includeFloor) {
      const floor = await measureFloor(endpoints.single, pids.single[0]!);
      (results.get('floor') ?? results.set('floor', []).get('floor')!).push({ ...floor, rows: lineitem });
      progress(
        `run ${run}: floor (mariadb --quick > /dev/null) ${floor.seconds.toFixed(2)} s, server CPU ${floor.serverCpuSeconds.toFixed(2)} s`,
      );
    }
    for (const variant of selected) {
      const measurement = await runChild(variant, endpoints, pids);
      if (measurement.rows !== lineitem)
        throw new Error(`${variant.name} read ${measurement.rows} rows, not ${lineitem}`);
      (results.get(variant.name) ?? results.set(variant.name, []).get(variant.name)!).push(measurement);
      progress(
        `run ${run}: ${variant.name} ${measurement.seconds.toFixed(2)} s, server CPU ${measurement.serverCpuSeconds.toFixed(2)} s, client CPU ${measurement.clientCpuSeconds.toFixed(2)} s, peak RSS ${Math.round(measurement.peakRssMb)} MB`,
      );
    }
  }
  const loadAfter = os.loadavg();
  const rowsOut = [...results.entries()].map(([name, list]) => {
    const seconds = median(list.map((m) => m.seconds));
    return {
      name,
      runs: list.map((m) => Number(m.seconds.toFixed(2))),
      seconds: Number(seconds.toFixed(2)),
      rowsPerSecond: Math.round(lineitem / seconds),
      textMBPerSecond: Number((textBytes / 2 ** 20 / seconds).toFixed(1)),
      serverCpuSeconds: Number(median(list.map((m) => m.serverCpuSeconds)).toFixed(2)),
      clientCpuSeconds: Number(median(list.map((m) => m.clientCpuSeconds)).toFixed(2)),
      peakRssMb: maxOf(list.map((m) => m.peakRssMb)),
      peakRssMbRuns: list.map((m) => (Number.isNaN(m.peakRssMb) ? null : Math.round(m.peakRssMb))),
      serverCpuSecondsRuns: list.map((m) => Number(m.serverCpuSeconds.toFixed(2))),
    };
  });
  const get = (name: string) => rowsOut.find((row) => row.name === name)?.seconds;
  const floor = get('floor');
  const one = get('sluice, 1 partition, worker');
  const summary = {
    benchmark: 'read',
    command: `node --import tsx bench/read.ts ${process.argv.slice(2).join(' ')}`.trim(),
    machine,
    server: version?.v,
    date: new Date().toISOString(),
    loadAverageBefore: loadBefore.map((v) => Number(v.toFixed(2))),
    loadAverageAfter: loadAfter.map((v) => Number(v.toFixed(2))),
    lineitem,
    seed,
    runs,
    resultTextMB: Number((textBytes / 2 ** 20).toFixed(1)),
    ratios: {
      onePartitionOverFloor: ratio(one, floor),
      mysql2QueryOverOnePartition: ratio(get('mysql2 query(), row objects'), one),
      mysql2StreamOverOnePartition: ratio(get('mysql2 row stream, row objects'), one),
      mysql2StreamDefaultsOverOnePartition: ratio(
        get('mysql2 row stream, row objects, driver defaults (Date objects)'),
        one,
      ),
      mysql2StreamOverTwoPartitions: ratio(
        get('mysql2 row stream, row objects'),
        get('sluice, 2 native partitions'),
      ),
    },
    results: rowsOut,
  };
  writeFileSync(`${values.out}.json`, `${JSON.stringify(summary, null, 2)}\n`);
  writeFileSync(`${values.out}.md`, markdown(summary));
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
}

const RATIO_NAMES: Record<string, string> = {
  onePartitionOverFloor: 'sluice, 1 partition / floor (target: at most 1.3)',
  mysql2QueryOverOnePartition: 'mysql2 query() / sluice, 1 partition (target: at least 1.5)',
  mysql2StreamOverOnePartition: 'mysql2 row stream / sluice, 1 partition',
  mysql2StreamDefaultsOverOnePartition: 'mysql2 row stream with driver defaults / sluice, 1 partition',
  mysql2StreamOverTwoPartitions: 'mysql2 row stream / sluice, 2 native partitions',
};

function markdown(summary: {
  command: string;
  machine: string;
  server?: string;
  date: string;
  loadAverageBefore: number[];
  loadAverageAfter: number[];
  lineitem: number;
  runs: number;
  resultTextMB: number;
  ratios: Record<string, number | null>;
  results: {
    name: string;
    runs: number[];
    seconds: number;
    rowsPerSecond: number;
    textMBPerSecond: number;
    serverCpuSeconds: number;
    clientCpuSeconds: number;
    peakRssMb: number;
  }[];
}): string {
  const lines = [
    '# Full-table read of lineitem into Arrow',
    '',
    `- Command: \`${summary.command}\``,
    `- Machine: ${summary.machine}; server ${summary.server}; ${summary.date}`,
    `- Load average (1/5/15 min) before ${summary.loadAverageBefore.join(' / ')}, after ${summary.loadAverageAfter.join(' / ')} (the machine is shared)`,
    `- Table: ${summary.lineitem.toLocaleString('en')} rows, 16 columns, ${summary.resultTextMB} MB as text; medians of ${summary.runs} runs, each in a fresh process`,
    `- MB/s counts the result's text size; server CPU is the mariadbd processes' user + system time during the read`,
    '',
    '| read | median s | rows/s | MB/s | server CPU s | client CPU s | peak RSS MB | runs (s) |',
    '|---|---|---|---|---|---|---|---|',
    ...summary.results.map(
      (row) =>
        `| ${row.name === 'floor' ? 'floor: `mariadb --quick` > /dev/null' : row.name} | ${row.seconds} | ${row.rowsPerSecond.toLocaleString('en')} | ${row.textMBPerSecond} | ${row.serverCpuSeconds} | ${Number.isNaN(row.clientCpuSeconds) ? '' : row.clientCpuSeconds} | ${Number.isNaN(row.peakRssMb) ? '' : row.peakRssMb} | ${row.runs.join(', ')} |`,
    ),
    '',
    'Ratios (time of the first / time of the second):',
    '',
    ...Object.entries(summary.ratios).map(
      ([name, value]) => `- ${RATIO_NAMES[name] ?? name}: ${value ?? 'not measured'}`,
    ),
    '',
  ];
  return lines.join('\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`${describeError(error)}\n`);
  process.exitCode = 1;
});
