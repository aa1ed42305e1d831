/**
 * Local residual execution on generated Arrow tables: group/aggregate, filter + project, sort,
 * window and join over N rows of 4 columns, medians of several runs in CPU seconds (the machine is
 * shared, so wall time says more about the neighbours than about this code). For scale, the same
 * group/aggregate done by Arquero alone (JS semantics, no NULL or collation rules) on the same
 * columns already decoded, and decoding the Arrow input alone.
 *
 *   node --import tsx bench/local-execution.ts [--rows 1000000] [--runs 5] [--seed 1] [--only text] [--json]
 *
 * --only runs the queries whose name contains the text.
 */
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Decimal, Float64, makeData, makeVector, Table, Utf8, vectorFromArray } from 'apache-arrow';
import * as aq from 'arquero';
import { col, fn, lit } from '../src/frame/column.ts';
import { batchFromArrow } from '../src/local/arrow-in.ts';
import { executeLocal } from '../src/local/execute.ts';
import { type PlanNode, Plans } from '../src/plan/nodes.ts';
import { Random } from './data/random.ts';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '5' },
    seed: { type: 'string', default: '1' },
    only: { type: 'string' },
    json: { type: 'boolean' },
  },
});
const rows = Number(values.rows);
const runs = Number(values.runs);
const seed = Number(values.seed);

/** k: 1000 distinct integers; g: 100 strings; v: doubles with 1% NULLs; d: DECIMAL(15,2). */
function generate(): Table {
  const random = new Random(seed);
  const k = new Int32Array(rows);
  const g: (string | null)[] = new Array(rows);
  const v: (number | null)[] = new Array(rows);
  const cents = new Uint32Array(rows * 4);
  for (let i = 0; i < rows; i++) {
    k[i] = random.int(1, 1000);
    g[i] = `group-${random.int(1, 100)}`;
    v[i] = random.next() < 0.01 ? null : Math.round(random.next() * 1e6) / 100;
    cents[i * 4] = random.int(0, 10_000_000);
  }
  const d = makeVector(makeData({ type: new Decimal(2, 15, 128), length: rows, nullCount: 0, data: cents }));
  return new Table({
    k: makeVector(k),
    g: vectorFromArray(g, new Utf8()),
    v: vectorFromArray(v, new Float64()),
    d,
  });
}

function median(numbers: number[]): number {
  const sorted = [...numbers].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Seconds of CPU (user + system) the call took: steadier than wall time on a shared machine. */
async function time(fnToTime: () => unknown): Promise<number> {
  const started = process.cpuUsage();
  await fnToTime();
  const used = process.cpuUsage(started);
  return (used.user + used.system) / 1e6;
}

async function wallTime(fnToTime: () => unknown): Promise<number> {
  const started = performance.now();
  await fnToTime();
  return (performance.now() - started) / 1000;
}

const table = generate();
const small = (() => {
  const keys = Int32Array.from({ length: 1000 }, (_, i) => i + 1);
  return new Table({
    k: makeVector(keys),
    label: vectorFromArray(
      Array.from(keys, (key) => `label-${key}`),
      new Utf8(),
    ),
  });
})();
const inputs = new Map([
  ['t', table],
  ['s', small],
]);
const t = Plans.values('t', [
  { name: 'k', sqlType: 'int' },
  { name: 'g', sqlType: 'varchar(20)' },
  { name: 'v', sqlType: 'double' },
  { name: 'd', sqlType: 'decimal(15,2)' },
]);
const s = Plans.values('s', [{ name: 'k' }, { name: 'label' }]);

const queries: Record<string, PlanNode> = {
  'group by int key (1000 groups): count, sum, avg, min, max': Plans.aggregate(
    t,
    [col('k').node],
    [
      fn.count().as('n'),
      fn.sum('v').as('sv'),
      fn.avg('d').as('ad'),
      fn.min('v').as('mn'),
      fn.max('g').as('mx'),
    ].map((c) => c.node),
  ),
  'group by string and int (100k groups): count, sum': Plans.aggregate(
    t,
    [col('g').node, col('k').node],
    [fn.count().as('n'), fn.sum('d').as('sd')].map((c) => c.node),
  ),
  'group by int key: DECIMAL arithmetic sums (TPC-H Q1 shape)': Plans.aggregate(
    t,
    [col('k').node],
    [
      fn.sum(col('d').times(lit(1).minus(col('d').times(lit(0.000001))))).as('disc'),
      fn.sum(col('d').times(lit(0.95)).times(lit(1.08))).as('charge'),
      fn.avg('d').as('ad'),
    ].map((c) => c.node),
  ),
  'filter + project (3 expressions)': Plans.project(
    Plans.filter(t, col('v').gt(5000).and(col('g').like('group-1%')).node),
    [col('k'), col('v').times(col('d')).as('vd'), fn.upper('g').as('G')].map((c) => c.node),
  ),
  'sort by double desc': Plans.sort(t, [col('v').desc().key]),
  'sort by DECIMAL(15,2)': Plans.sort(t, [col('d').asc().key]),
  'group by DECIMAL(15,2) (about 1M groups): count': Plans.aggregate(
    t,
    [col('d').node],
    [fn.count().as('n').node],
  ),
  'window: running DECIMAL sum per string partition ordered by int': Plans.window(t, [
    fn.sum('d').over({ partitionBy: 'g', orderBy: 'k' }).as('running').node,
  ]),
  'window: running sum per string partition ordered by int': Plans.window(t, [
    fn.sum('v').over({ partitionBy: 'g', orderBy: 'k' }).as('running').node,
  ]),
  'window: lag and rolling avg/stddev (ROWS 29 preceding) of a double per int partition': Plans.window(
    t,
    [
      fn.lag('v', 1).over({ partitionBy: 'k', orderBy: 'v' }).as('lag'),
      fn
        .avg('v')
        .over({ partitionBy: 'k', orderBy: 'v', rows: [-29, 0] })
        .as('mean'),
      fn
        .stddev('v')
        .over({ partitionBy: 'k', orderBy: 'v', rows: [-29, 0] })
        .as('sd'),
    ].map((c) => c.node),
  ),
  'join 1000-row table on int key': Plans.join(t, s, 'inner', ['k']),
};

const results: {
  query: string;
  medianCpuSeconds: number;
  medianWallSeconds: number;
  rowsPerCpuSecond: number;
  outputRows: number;
}[] = [];
for (const [name, plan] of Object.entries(queries)) {
  if (values.only && !name.includes(values.only)) continue;
  let outputRows = 0;
  await executeLocal(plan, inputs); // warm-up
  const times: number[] = [];
  const walls: number[] = [];
  for (let run = 0; run < runs; run++) {
    let cpu = 0;
    walls.push(
      await wallTime(async () => {
        cpu = await time(async () => {
          outputRows = (await executeLocal(plan, inputs)).numRows;
        });
      }),
    );
    times.push(cpu);
  }
  const medianCpuSeconds = median(times);
  const medianWallSeconds = median(walls);
  results.push({
    query: name,
    medianCpuSeconds,
    medianWallSeconds,
    rowsPerCpuSecond: Math.round(rows / medianCpuSeconds),
    outputRows,
  });
  process.stderr.write(
    `${name}: ${medianCpuSeconds.toFixed(3)} CPU s, ${medianWallSeconds.toFixed(3)} s wall (${outputRows} rows out)\n`,
  );
}

// Reference points: decoding the input alone, and Arquero's own group/rollup on decoded columns.
const decodeTimes: number[] = [];
for (let run = 0; run < runs; run++) decodeTimes.push(await time(() => batchFromArrow(table)));
const decoded = batchFromArrow(table);
const columns = Object.fromEntries(decoded.columns.map((column) => [column.name, column.values]));
const arqueroTimes: number[] = [];
for (let run = 0; run < runs; run++) {
  arqueroTimes.push(
    await time(() =>
      aq
        .table(columns as Record<string, unknown[]>)
        .groupby('k')
        .rollup({
          n: aq.op.count(),
          sv: aq.op.sum('v'),
          ad: aq.op.mean('d'),
          mn: aq.op.min('v'),
          mx: aq.op.max('g'),
        })
        .numRows(),
    ),
  );
}
const reference = {
  decodeArrowInputCpuSeconds: median(decodeTimes),
  arqueroAloneGroupByIntKeyCpuSeconds: median(arqueroTimes),
};
process.stderr.write(`decode input: ${reference.decodeArrowInputCpuSeconds.toFixed(3)} CPU s\n`);
process.stderr.write(
  `Arquero alone, group by int key: ${reference.arqueroAloneGroupByIntKeyCpuSeconds.toFixed(3)} CPU s\n`,
);

const result = {
  benchmark: 'local-execution',
  loadAverageAtEnd: os.loadavg().map((load) => Number(load.toFixed(2))),
  command: `node --import tsx bench/local-execution.ts --rows ${rows} --runs ${runs} --seed ${seed}${values.only ? ` --only '${values.only}'` : ''}`,
  machine: `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}, node ${process.version}`,
  date: new Date().toISOString(),
  rows,
  columns: 4,
  runs,
  results,
  reference,
};
if (values.json) {
  const suffix = values.only ? `-${values.only.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}` : '';
  const file = path.resolve(import.meta.dirname, 'results', `local-execution-${rows}${suffix}.json`);
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
  process.stderr.write(`wrote ${file}\n`);
}
console.log(JSON.stringify(result, null, 2));
