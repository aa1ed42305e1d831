/**
 * The 22 TPC-H queries computed locally (pushdown off) against DuckDB and MariaDB on the same
 * data. Every table is read once into Arrow through sluice; then, per query:
 *
 * - sluice-local: the query's plan with pushdown off, its table reads answered from those Arrow
 *   tables (no database in the loop), the rest run by src/local;
 * - DuckDB (@duckdb/node-api, in this process) over tables appended from the same Arrow tables;
 * - MariaDB running the SQL text itself.
 *
 * Every system gets the same treatment: the query's SQL text in, its rows out (sluice's time
 * includes planning the text and optimizing the plan as `db.sql(text)` and the frame's runtime
 * do, which keep the optimized plan of a repeated text, as a prepared statement would, for a
 * minute; DuckDB's and MariaDB's, their parsing and planning each run), one untimed first run
 * (reported as `first`, sluice's planning in it too), then the median of --runs timed runs
 * (wall seconds; the machine is shared: compare ratios within a run). DuckDB and MariaDB each
 * run on one connection opened before the query. MariaDB is stopped after 120 s a run
 * (max_statement_time) and shown as "> 120".
 * All 22 run (Q19's OR of join conditions is hashed on the conjunct its branches share).
 *
 *   SLUICE_DB_URL=mysql://root@127.0.0.1:PORT/x node --import tsx bench/tpch-local.ts \
 *     [--lineitem 600000] [--runs 3] [--seed 1] [--only Q1,Q3] [--keep] [--json] [--fresh-plans]
 *     [--cold-engine]
 *
 * --fresh-plans plans every run of sluice from scratch (parse, plan, optimize): each run's text
 * differs from the others in the spaces after its first word (`spaced`), so no kept plan or
 * parse applies.
 * Before any timing, every system runs each selected query once (the warm pass: a process that
 * has served queries, with its code compiled and caches filled; MariaDB capped at 10 s a query
 * there); --cold-engine skips it, so a query's runs also pay for compiling the engine code it
 * is the first to use.
 * --keep reuses the database `sluice_tpch_local` when it already holds --lineitem rows.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Table } from 'apache-arrow';
import { type DbSession, openSession, withSession } from '../src/db/driver.ts';
import { parseDbUrl } from '../src/db/endpoint.ts';
import { connect } from '../src/index.ts';
import { executeLocal } from '../src/local/execute.ts';
import { planLeaves } from '../src/plan/nodes.ts';
import { outputFields } from '../src/plan/schema.ts';
import { loadTpch } from './data/load.ts';
import { TPCH_SCHEMA, TPCH_TABLES, type TpchTable } from './data/tpch.ts';
import { TPCH_QUERIES } from './data/tpch-queries.ts';

const { values } = parseArgs({
  options: {
    lineitem: { type: 'string', default: '600000' },
    runs: { type: 'string', default: '3' },
    seed: { type: 'string', default: '1' },
    only: { type: 'string' },
    keep: { type: 'boolean' },
    json: { type: 'boolean' },
    'fresh-plans': { type: 'boolean' },
    'cold-engine': { type: 'boolean' },
  },
});
const lineitem = Number(values.lineitem);
const runs = Number(values.runs);
const seed = Number(values.seed);
const only = values.only?.split(',');
const freshPlans = values['fresh-plans'] === true;
const coldEngine = values['cold-engine'] === true;
const DATABASE = 'sluice_tpch_local';

const url = process.env.SLUICE_DB_URL;
if (!url) throw new Error('set SLUICE_DB_URL to a MariaDB server (sluice stack up prints it)');
const server = parseDbUrl(url, 'SLUICE_DB_URL');
const endpoint = { ...server, database: DATABASE };
/** The same query as other text: `space` after its first word (planning trims the ends). */
const spaced = (sql: string, space: string) => sql.trim().replace(/\s+/, space);
/** Seconds in the table: four decimals below 10 ms, where the queries MariaDB answers from an index sit. */
const secondsText = (seconds: number) => seconds.toFixed(seconds < 0.01 ? 4 : 3);
const log = (message: string) => process.stderr.write(`${message}\n`);

function median(numbers: number[]): number {
  const sorted = [...numbers].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** The first run's seconds (untimed in the median: a warm-up, the same for every system) and the median of `runs` more. */
interface Timing {
  readonly first: number;
  readonly median: number;
}

async function timed(run: () => Promise<unknown>): Promise<Timing> {
  const times: number[] = [];
  for (let i = 0; i <= runs; i++) {
    const started = performance.now();
    await run();
    times.push((performance.now() - started) / 1000);
  }
  return { first: times[0]!, median: median(times.slice(1)) };
}

/** MariaDB capped at MARIADB_CAP_S a run (its Q13 plan, a block nested loop without an index on o_custkey, runs for minutes). */
const MARIADB_CAP_S = 120;

/** The warm pass's cap on a MariaDB run: a warm-up need not finish a query that runs for minutes. */
const MARIADB_WARM_CAP_S = 10;

async function warmMariadb(session: DbSession, sql: string): Promise<void> {
  try {
    await session.query(`SET STATEMENT max_statement_time = ${MARIADB_WARM_CAP_S} FOR ${sql}`);
  } catch (error) {
    if (!/max_statement_time|interrupted/i.test(String(error))) throw error;
  }
}

async function timedMariadb(session: DbSession, sql: string): Promise<Timing> {
  const capped = `SET STATEMENT max_statement_time = ${MARIADB_CAP_S} FOR ${sql}`;
  try {
    // The first run; past a quarter of the cap it is the figure (more runs would take minutes).
    const started = performance.now();
    await session.query(capped);
    const first = (performance.now() - started) / 1000;
    if (first > MARIADB_CAP_S / 4) return { first, median: first };
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const at = performance.now();
      await session.query(capped);
      times.push((performance.now() - at) / 1000);
    }
    return { first, median: median(times) };
  } catch (error) {
    if (/max_statement_time|interrupted/i.test(String(error))) {
      return { first: Number.POSITIVE_INFINITY, median: Number.POSITIVE_INFINITY };
    }
    throw error;
  }
}

async function ensureData(): Promise<void> {
  if (values.keep) {
    const rows = await withSession(server, (session) =>
      session.query<{ n: string }>(
        'SELECT TABLE_ROWS AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
        [DATABASE, 'lineitem'],
      ),
    ).catch(() => []);
    if (rows.length > 0) {
      const [count] = await withSession(endpoint, (s) =>
        s.query<{ n: string }>('SELECT COUNT(*) AS n FROM lineitem'),
      );
      if (Number(count!.n) === lineitem) return;
    }
  }
  log(`loading TPC-H with ${lineitem} lineitem rows into ${DATABASE}`);
  await loadTpch(server, { lineitem, seed, database: DATABASE });
}

/** DuckDB's type for a TPC-H column type (the same DDL). */
const duckType = (type: string) => type.replace(/^CHAR/, 'VARCHAR');

/** A DuckDB table holding the rows of an Arrow table: staged as text, then cast to the DDL types. */
async function loadDuck(
  connection: Awaited<ReturnType<DuckDBInstance['connect']>>,
  name: TpchTable,
  table: Table,
) {
  const columns = TPCH_SCHEMA[name].columns;
  const staging = `${name}_text`;
  await connection.run(`CREATE TABLE ${staging} (${columns.map((c) => `${c.name} VARCHAR`).join(', ')})`);
  const appender = await connection.createAppender(staging);
  const vectors = columns.map((c) => table.getChild(c.name)!);
  for (let row = 0; row < table.numRows; row++) {
    for (const vector of vectors) {
      const value = vector.get(row);
      if (value === null || value === undefined) appender.appendNull();
      else if (value instanceof Date) appender.appendVarchar(value.toISOString().slice(0, 10));
      else appender.appendVarchar(arrowText(value, vector.type));
    }
    appender.endRow();
  }
  appender.closeSync();
  await connection.run(
    `CREATE TABLE ${name} AS SELECT ${columns.map((c) => `CAST(${c.name} AS ${duckType(c.type)}) AS ${c.name}`).join(', ')} FROM ${staging}`,
  );
  await connection.run(`DROP TABLE ${staging}`);
}

/** A value of an Arrow column as text DuckDB casts back: DECIMAL words with their scale, days as dates. */
// biome-ignore lint/suspicious/noExplicitAny: Arrow's per-type values.
function arrowText(value: any, type: any): string {
  if (type.typeId === 7 /* Decimal */) {
    const words: Uint32Array = value instanceof Uint32Array ? value : new Uint32Array(value.buffer ?? value);
    let big = 0n;
    for (let i = words.length - 1; i >= 0; i--) big = (big << 32n) | BigInt(words[i]!);
    const bits = BigInt(words.length * 32);
    if (big >> (bits - 1n)) big -= 1n << bits;
    const negative = big < 0n;
    const digits = (negative ? -big : big).toString().padStart(type.scale + 1, '0');
    const text = type.scale > 0 ? `${digits.slice(0, -type.scale)}.${digits.slice(-type.scale)}` : digits;
    return negative ? `-${text}` : text;
  }
  if (type.typeId === 8 /* Date */) return new Date(Number(value)).toISOString().slice(0, 10);
  return String(value);
}

async function main(): Promise<void> {
  await ensureData();
  const db = await connect({ url: `mysql://${endpoint.user}@${endpoint.host}:${endpoint.port}/${DATABASE}` });
  const tables = new Map<string, Table>();
  for (const name of TPCH_TABLES) tables.set(name, await db.table(name, { pushdown: false }).toArrow());
  log(`read ${[...tables.values()].reduce((n, t) => n + t.numRows, 0)} rows into Arrow`);

  const duck = await DuckDBInstance.create(':memory:');
  const duckdb = await duck.connect();
  for (const name of TPCH_TABLES) await loadDuck(duckdb, name, tables.get(name)!);
  log('DuckDB tables appended from the Arrow tables');

  const results: {
    id: string;
    sluice: number;
    /** The median of sluice's runs' planning (parse, plan, optimize, or the kept plan), within `sluice`. */
    sluicePlanning: number;
    /** sluice's planning in its first run (the text new to it). */
    sluiceFirstPlanning: number;
    duckdb: number;
    /** Infinity past the cap (null in --json output). */
    mariadb: number;
    /** Each system's untimed first run. */
    first: { sluice: number; duckdb: number; mariadb: number };
    rows: number;
  }[] = [];
  /**
   * One sluice run of SQL text: planned and optimized as sluice does before running it, each
   * pushed read (`SELECT columns FROM table`) answered from the Arrow table. New Arrow tables
   * every run (over the same buffers), as a new read gives them: local execution keeps the batch
   * of a table it has seen (a cached frame's), which would leave the decoding of the inputs out
   * of every run after the first. Returns the rows and the seconds spent planning (the rest:
   * the inputs' Arrow tables and local execution).
   */
  const runSluice = async (id: string, text: string): Promise<{ rows: number; planning: number }> => {
    const started = performance.now();
    const frame = db.sql(text, { pushdown: false });
    const { split } = await frame.runtime.optimized(frame.plan);
    const planning = (performance.now() - started) / 1000;
    const inputs = new Map<string, Table>();
    for (const pushed of split.queries) {
      const [leaf] = planLeaves(pushed.subtree);
      if (leaf?.kind !== 'scan') throw new Error(`${id}: a pushed read of something other than a table`);
      inputs.set(pushed.id, tables.get(leaf.table)!.select(outputFields(pushed.subtree).map((f) => f.name)));
    }
    return { rows: (await executeLocal(split.residual, inputs)).numRows, planning };
  };
  const selected = TPCH_QUERIES.filter((query) => !only || only.includes(query.id));
  const maria = await openSession(endpoint);
  if (!coldEngine) {
    // Every system runs every selected query once before any is timed, as a process that has
    // served queries before would have: for sluice that compiles the engine's code (V8 runs a
    // function interpreted until it is hot); DuckDB and MariaDB fill their caches. sluice's
    // text has a tab after its first word, so no plan or parse of it is kept for the timed runs.
    const started = performance.now();
    for (const query of selected) {
      await runSluice(query.id, spaced(query.sql, '\t'));
      await duckdb.runAndReadAll(query.sql);
      await warmMariadb(maria, query.sql);
    }
    log(`warm pass over ${selected.length} queries: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  for (const query of selected) {
    let textRuns = 0;
    const planning: number[] = [];
    let rows = 0;
    const sluice = await timed(async () => {
      const text = freshPlans ? spaced(query.sql, ' '.repeat(++textRuns + 1)) : query.sql;
      const run = await runSluice(query.id, text);
      rows = run.rows;
      planning.push(run.planning);
    });
    let duckRows = 0;
    const duckSeconds = await timed(async () => {
      duckRows = (await duckdb.runAndReadAll(query.sql)).currentRowCount;
    });
    if (duckRows !== rows) log(`${query.id}: DuckDB returned ${duckRows} rows, sluice ${rows}`);
    const mariaSeconds = await timedMariadb(maria, query.sql);
    results.push({
      id: query.id,
      sluice: sluice.median,
      sluicePlanning: median(planning.slice(1)),
      sluiceFirstPlanning: planning[0]!,
      duckdb: duckSeconds.median,
      mariadb: mariaSeconds.median,
      first: { sluice: sluice.first, duckdb: duckSeconds.first, mariadb: mariaSeconds.first },
      rows,
    });
    log(
      `${query.id}: sluice-local ${sluice.median.toFixed(3)} s, DuckDB ${duckSeconds.median.toFixed(3)} s, MariaDB ${mariaSeconds.median.toFixed(3)} s (${rows} rows; first runs ${sluice.first.toFixed(3)}, ${duckSeconds.first.toFixed(3)}, ${mariaSeconds.first.toFixed(3)})`,
    );
  }
  await maria.close();
  await db.close();
  duckdb.closeSync();

  const geomean = (xs: number[]) => Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);
  const summary = {
    lineitem,
    runs,
    freshPlans,
    coldEngine,
    machine: `${os.cpus()[0]?.model ?? 'cpu'} x${os.cpus().length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, load ${os.loadavg()[0]!.toFixed(1)}, Node ${process.version}`,
    geomeanSluiceOverDuckdb: geomean(results.map((r) => r.sluice / r.duckdb)),
    slowerThanMariadb: results.filter((r) => r.sluice > r.mariadb).map((r) => r.id),
    results,
  };
  if (values.json) {
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    return;
  }
  const lines = [
    '| query | sluice-local s | of which planning | DuckDB s | MariaDB s | sluice / DuckDB | sluice / MariaDB | first runs s: sluice (of which planning) / DuckDB / MariaDB | rows |',
    '|---|---:|---:|---:|---:|---:|---:|---|---:|',
    ...results.map(
      (r) =>
        `| ${r.id} | ${secondsText(r.sluice)} | ${secondsText(r.sluicePlanning)} | ${secondsText(r.duckdb)} | ${Number.isFinite(r.mariadb) ? secondsText(r.mariadb) : `> ${MARIADB_CAP_S}`} | ${(r.sluice / r.duckdb).toFixed(1)} | ${Number.isFinite(r.mariadb) ? (r.sluice / r.mariadb).toFixed(2) : `< ${(r.sluice / MARIADB_CAP_S).toFixed(2)}`} | ${secondsText(r.first.sluice)} (${secondsText(r.sluiceFirstPlanning)}) / ${secondsText(r.first.duckdb)} / ${Number.isFinite(r.first.mariadb) ? secondsText(r.first.mariadb) : `> ${MARIADB_CAP_S}`} | ${r.rows} |`,
    ),
    '',
    `geometric mean sluice-local / DuckDB: ${summary.geomeanSluiceOverDuckdb.toFixed(1)}x; slower than MariaDB: ${summary.slowerThanMariadb.join(', ') || 'none'}`,
    `sluice's plans: ${freshPlans ? 'made from scratch every run (--fresh-plans)' : 'kept for a repeated text after the first run'}; ${coldEngine ? 'no warm pass (--cold-engine): each query first meets an engine warmed only by the queries before it' : 'one untimed warm pass over the selected queries first, every system'}`,
    `machine: ${summary.machine}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

await main();
