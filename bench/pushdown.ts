/**
 * Pushdown on vs off, in one process run, on the same table: for each query, the wall time, the
 * rows and bytes the server sent (its global Bytes_sent counter), and the ratio. With pushdown
 * off, sluice fetches the needed columns of every row and computes the rest locally on Arrow.
 *
 *   node --import tsx bench/pushdown.ts [--url mysql://root@127.0.0.1:13306/tpch] [--runs 3] [--json out.json]
 *
 * The table is TPC-H-shaped lineitem from bench/load-tpch.ts (e.g. --lineitem 3000000).
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { describeError } from '../src/base/errors.ts';
import { withSession } from '../src/db/driver.ts';
import { parseDbUrl } from '../src/db/endpoint.ts';
import type { Database } from '../src/frame/database.ts';
import { col, connect, fn, type LazyFrame, lit } from '../src/index.ts';

type Query = { name: string; build: (db: Database, pushdown: boolean) => LazyFrame };

const QUERIES: Query[] = [
  {
    name: 'Q1 aggregate (group by 2 keys, 6 aggregates)',
    build: (db, pushdown) =>
      db
        .table('lineitem', { pushdown })
        .filter(col('l_shipdate').le(lit('1998-09-02')))
        .groupBy('l_returnflag', 'l_linestatus')
        .agg(
          fn.sum('l_quantity').as('sum_qty'),
          fn.sum('l_extendedprice').as('sum_base_price'),
          fn.sum(col('l_extendedprice').times(lit(1).minus(col('l_discount')))).as('sum_disc_price'),
          fn.avg('l_quantity').as('avg_qty'),
          fn.avg('l_discount').as('avg_disc'),
          fn.count().as('count_order'),
        )
        .orderBy('l_returnflag', 'l_linestatus'),
  },
  {
    name: 'Q6 filtered global sum',
    build: (db, pushdown) =>
      db
        .table('lineitem', { pushdown })
        .filter(
          col('l_shipdate')
            .ge(lit('1994-01-01'))
            .and(col('l_shipdate').lt(lit('1995-01-01')))
            .and(col('l_discount').between(0.05, 0.07))
            .and(col('l_quantity').lt(24)),
        )
        .agg(fn.sum(col('l_extendedprice').times(col('l_discount'))).as('revenue')),
  },
  {
    name: 'top-10 by price',
    build: (db, pushdown) =>
      db
        .table('lineitem', { pushdown })
        .select('l_orderkey', 'l_linenumber', 'l_extendedprice')
        .orderBy(col('l_extendedprice').desc(), 'l_orderkey', 'l_linenumber')
        .limit(10),
  },
];

async function bytesSent(db: Database): Promise<number> {
  const [row] = await withSession(db.endpoint, (s) =>
    s.query<{ Value: string }>("SHOW GLOBAL STATUS LIKE 'Bytes_sent'"),
  );
  return Number(row?.Value ?? 0);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string', default: process.env.SLUICE_DB_URL ?? 'mysql://root@127.0.0.1:13306/tpch' },
      runs: { type: 'string', default: '3' },
      json: { type: 'string' },
    },
  });
  const runs = Number(values.runs);
  const db = await connect({ url: values.url, dialect: 'mariadb' });
  const [{ n }] = (await withSession(parseDbUrl(values.url), (s) =>
    s.query<{ n: string }>('SELECT COUNT(*) AS n FROM lineitem'),
  )) as [{ n: string }];
  process.stderr.write(`lineitem has ${n} rows; ${runs} runs per mode\n`);
  const results = [];
  try {
    for (const query of QUERIES) {
      const modes: Record<string, { seconds: number[]; bytes: number; rows: number }> = {};
      for (const pushdown of [true, false]) {
        const mode = pushdown ? 'on' : 'off';
        const seconds: number[] = [];
        let bytes = 0;
        let rows = 0;
        for (let run = 0; run < runs; run++) {
          const frame = query.build(db, pushdown);
          const before = await bytesSent(db);
          const started = performance.now();
          const table = await frame.toArrow();
          seconds.push((performance.now() - started) / 1000);
          bytes = (await bytesSent(db)) - before;
          rows = table.numRows;
          process.stderr.write(
            `${query.name} pushdown=${mode} run ${run + 1}: ${seconds.at(-1)!.toFixed(2)}s, ${bytes} bytes from the server\n`,
          );
        }
        modes[mode] = { seconds, bytes, rows };
      }
      const on = modes.on!;
      const off = modes.off!;
      results.push({
        query: query.name,
        pushdownOn: {
          medianSeconds: Number(median(on.seconds).toFixed(3)),
          serverBytesSent: on.bytes,
          resultRows: on.rows,
        },
        pushdownOff: {
          medianSeconds: Number(median(off.seconds).toFixed(3)),
          serverBytesSent: off.bytes,
          resultRows: off.rows,
        },
        speedup: Number((median(off.seconds) / median(on.seconds)).toFixed(1)),
        bytesRatio: Math.round(off.bytes / Math.max(on.bytes, 1)),
      });
    }
  } finally {
    await db.close();
  }
  const summary = {
    benchmark: 'pushdown-on-vs-off',
    command: `node --import tsx bench/pushdown.ts ${process.argv.slice(2).join(' ')}`.trim(),
    machine: `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`,
    lineitemRows: Number(n),
    runs,
    results,
  };
  const text = `${JSON.stringify(summary, null, 2)}\n`;
  process.stdout.write(text);
  if (values.json) writeFileSync(values.json, text);
}

main().catch((error: unknown) => {
  process.stderr.write(`${describeError(error)}\n`);
  process.exitCode = 1;
});
