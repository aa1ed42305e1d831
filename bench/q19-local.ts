/**
 * TPC-H Q19 computed locally (pushdown off) on data from the TPC-H generator, against MariaDB
 * running it: Q19's join condition is an OR of three branches that each name
 * `p_partkey = l_partkey`; with OR factoring the shared equality is a hash-join key, without it
 * every lineitem × part pair is tested. Medians of wall and CPU seconds; the answer is checked
 * digit for digit against the server's.
 *
 *   node --import tsx bench/q19-local.ts [--lineitem 60000] [--runs 3] [--url mysql://root@127.0.0.1:13306/sluice]
 *     [--database tpch_q19] [--skip-load] [--json]
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { openSession } from '../src/db/driver.ts';
import { parseDbUrl } from '../src/db/endpoint.ts';
import { connect } from '../src/index.ts';
import { loadTpch } from './data/load.ts';

const { values } = parseArgs({
  options: {
    lineitem: { type: 'string', default: '60000' },
    runs: { type: 'string', default: '3' },
    url: { type: 'string', default: process.env.SLUICE_DB_URL ?? 'mysql://root@127.0.0.1:13306/sluice' },
    database: { type: 'string', default: 'tpch_q19' },
    'skip-load': { type: 'boolean' },
    json: { type: 'boolean' },
  },
});

const Q19 = `SELECT SUM(l_extendedprice * (1 - l_discount)) AS revenue
FROM lineitem, part
WHERE (p_partkey = l_partkey AND p_brand = 'Brand#12' AND p_container IN ('SM CASE', 'SM BOX', 'SM PACK', 'SM PKG')
       AND l_quantity >= 1 AND l_quantity <= 1 + 10 AND p_size BETWEEN 1 AND 5
       AND l_shipmode IN ('AIR', 'AIR REG') AND l_shipinstruct = 'DELIVER IN PERSON')
   OR (p_partkey = l_partkey AND p_brand = 'Brand#23' AND p_container IN ('MED BAG', 'MED BOX', 'MED PKG', 'MED PACK')
       AND l_quantity >= 10 AND l_quantity <= 10 + 10 AND p_size BETWEEN 1 AND 10
       AND l_shipmode IN ('AIR', 'AIR REG') AND l_shipinstruct = 'DELIVER IN PERSON')
   OR (p_partkey = l_partkey AND p_brand = 'Brand#34' AND p_container IN ('LG CASE', 'LG BOX', 'LG PACK', 'LG PKG')
       AND l_quantity >= 20 AND l_quantity <= 20 + 10 AND p_size BETWEEN 1 AND 15
       AND l_shipmode IN ('AIR', 'AIR REG') AND l_shipinstruct = 'DELIVER IN PERSON')`;

const median = (numbers: number[]) => [...numbers].sort((a, b) => a - b)[Math.floor(numbers.length / 2)]!;

const endpoint = parseDbUrl(values.url, '--url');
const lineitem = Number(values.lineitem);
if (!values['skip-load']) {
  await loadTpch(endpoint, { lineitem, seed: 1, database: values.database });
}
const session = await openSession({ ...endpoint, database: values.database });
const db = await connect({
  url: `mysql://${endpoint.user}@${endpoint.host}:${endpoint.port}/${values.database}`,
  dialect: 'mariadb',
});
try {
  const serverStart = performance.now();
  const [expected] = await session.query(Q19);
  const serverSeconds = (performance.now() - serverStart) / 1000;
  const frame = db.sql(Q19, { pushdown: false });
  const walls: number[] = [];
  const cpus: number[] = [];
  let answer: unknown;
  for (let run = 0; run < Number(values.runs); run++) {
    const cpu = process.cpuUsage();
    const start = performance.now();
    [answer] = (await frame.collect()).map((row) => row.revenue);
    walls.push((performance.now() - start) / 1000);
    const used = process.cpuUsage(cpu);
    cpus.push((used.user + used.system) / 1e6);
  }
  const result = {
    query: 'TPC-H Q19, pushdown off',
    lineitem,
    runs: Number(values.runs),
    medianWallSeconds: median(walls),
    medianCpuSeconds: median(cpus),
    mariadbSeconds: serverSeconds,
    answer: String(answer),
    mariadbAnswer: String(expected?.revenue),
    sameAnswer: String(answer) === String(expected?.revenue),
    joinStep: /Join[^\n]*/.exec(frame.explain().split('== Optimized plan ==')[1] ?? '')?.[0],
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version },
  };
  if (values.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else {
    process.stdout.write(
      `Q19 pushdown off, ${lineitem} lineitem rows: ${result.medianWallSeconds.toFixed(2)} s wall, ` +
        `${result.medianCpuSeconds.toFixed(2)} CPU s (median of ${result.runs}); MariaDB ${serverSeconds.toFixed(2)} s; ` +
        `answer ${result.answer} (${result.sameAnswer ? 'same as' : 'DIFFERENT from'} MariaDB's ${result.mariadbAnswer})\n` +
        `${result.joinStep}\n`,
    );
  }
} finally {
  await session.close();
  await db.close();
}
