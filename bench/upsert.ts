/**
 * The bulk upsert's paths on W5's shape: N rows (INT drill, INT seq, DOUBLE score; PRIMARY KEY
 * (drill, seq)) into an InnoDB table hashed into 4 partitions, as `load(…, { mode: 'upsert' })`
 * writes them, against the direct multi-row INSERT … ON DUPLICATE KEY UPDATE (1,000 rows a
 * statement, the writer's own chunks). Three table states: empty (every row new), holding the
 * same values (every row a no-op update), holding other values (every row updated). Medians of
 * several runs: wall, server CPU (from /proc), client CPU.
 *
 *   node --import tsx bench/upsert.ts --url mysql://root@127.0.0.1:13306/sluice [--rows 143538] [--runs 5] [--json FILE]
 *
 * Paths: `replace` (LOAD DATA … REPLACE: every column updated, the table eligible), `staged`
 * (a MEMORY stage and INSERT … SELECT … ON DUPLICATE KEY UPDATE: `updateColumns: ['score']`
 * makes REPLACE ineligible, the key columns being equal either way), `direct`.
 */
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { type Table, tableFromArrays } from 'apache-arrow';
import { type DbSession, withSession } from '../src/db/driver.ts';
import { parseDbUrl } from '../src/db/endpoint.ts';
import { arrowRows } from '../src/writer/arrow-rows.ts';
import { upsertPath } from '../src/writer/bulk-upsert.ts';
import { insertSql, load } from '../src/writer/bulk-writer.ts';
import { cpuSeconds, ownCpuSeconds, serverPid } from './data/cpu.ts';
import { Random } from './data/random.ts';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    rows: { type: 'string', default: '143538' },
    runs: { type: 'string', default: '5' },
    json: { type: 'string' },
  },
});
if (!values.url) throw new Error('--url mysql://… is required');
const endpoint = parseDbUrl(values.url);
const count = Number(values.rows);
const runs = Number(values.runs);
const TABLE = 'bench_upsert';
const COLUMNS = ['drill', 'seq', 'score'];

function scores(seed: number): Table {
  const random = new Random(seed);
  const drill = new Int32Array(count);
  const seq = new Int32Array(count);
  const score = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    drill[i] = Math.floor(i / 1440);
    seq[i] = i % 1440;
    score[i] = random.next() * 10;
  }
  return tableFromArrays({ drill, seq, score });
}

type Path = 'replace' | 'staged' | 'direct';
type State = 'empty' | 'same values' | 'other values';

async function write(session: DbSession, path: Path, data: Table): Promise<void> {
  if (path === 'direct') {
    const sql = insertSql(TABLE, COLUMNS, 'upsert');
    const rows = arrowRows(data).map((row) => row.map((value) => value ?? null));
    await session.transaction(async () => {
      for (let i = 0; i < rows.length; i += 1000) await session.query(sql, [rows.slice(i, i + 1000)]);
    });
    return;
  }
  await load(session, data, TABLE, {
    mode: 'upsert',
    ...(path === 'staged' ? { updateColumns: ['score'] } : {}),
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const pid = await serverPid(endpoint);
const written = scores(1);
const other = scores(2);
const results: { path: Path; state: State; wall: number; serverCpu: number; clientCpu: number }[] = [];
await withSession(endpoint, async (session) => {
  for (const path of ['direct', 'staged', 'replace'] as const) {
    for (const state of ['empty', 'same values', 'other values'] as const) {
      const measured = { wall: [] as number[], server: [] as number[], client: [] as number[] };
      for (let run = 0; run < runs; run++) {
        await session.query(`DROP TABLE IF EXISTS ${TABLE}`);
        await session.query(
          `CREATE TABLE ${TABLE} (drill INT NOT NULL, seq INT NOT NULL, score DOUBLE NOT NULL, ` +
            'PRIMARY KEY (drill, seq)) ENGINE=InnoDB PARTITION BY HASH (drill) PARTITIONS 4',
        );
        if (state !== 'empty') await load(session, state === 'same values' ? written : other, TABLE);
        if (run === 0 && path !== 'direct') {
          const taken = await upsertPath(
            session,
            TABLE,
            COLUMNS,
            path === 'staged' ? ['score'] : COLUMNS,
            count,
          );
          if (taken !== (path === 'staged' ? 'MEMORY' : 'replace')) throw new Error(`${path} took ${taken}`);
        }
        const server = cpuSeconds(pid);
        const client = ownCpuSeconds();
        const started = performance.now();
        await write(session, path, written);
        measured.wall.push((performance.now() - started) / 1000);
        measured.server.push(cpuSeconds(pid) - server);
        measured.client.push(ownCpuSeconds() - client);
      }
      const [check] = await session.query<{ n: string }>(`SELECT COUNT(*) AS n FROM ${TABLE}`);
      if (Number(check!.n) !== count) throw new Error(`${path}/${state}: ${check!.n} rows`);
      const row = {
        path,
        state,
        wall: median(measured.wall),
        serverCpu: median(measured.server),
        clientCpu: median(measured.client),
      };
      results.push(row);
      process.stdout.write(
        `${path.padEnd(8)} ${state.padEnd(13)} wall ${row.wall.toFixed(3)} s  server CPU ${row.serverCpu.toFixed(2)} s  client CPU ${row.clientCpu.toFixed(2)} s\n`,
      );
    }
  }
  await session.query(`DROP TABLE IF EXISTS ${TABLE}`);
});
if (values.json) {
  await writeFile(
    values.json,
    `${JSON.stringify(
      {
        command: `node --import tsx bench/upsert.ts ${process.argv.slice(2).join(' ')}`,
        machine: `${os.cpus().length} × ${os.cpus()[0]?.model}, load ${os
          .loadavg()
          .map((l) => l.toFixed(2))
          .join(' ')}`,
        date: new Date().toISOString(),
        rows: count,
        runs,
        results,
      },
      null,
      2,
    )}\n`,
  );
}
