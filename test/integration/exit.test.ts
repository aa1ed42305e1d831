/**
 * A script that forgets `db.close()` exits by itself, like one using mysql2, DuckDB or Polars:
 * idle connections and reader threads do not hold the event loop. Each script runs as its own
 * `node` process; the assertion is that it exits at all (code 0) before a generous deadline.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { withSession } from '../../src/db/driver.ts';
import { endpointUrl } from '../../src/db/endpoint.ts';

const stack = inject('stack');
const root = path.resolve(import.meta.dirname, '..', '..');
const index = pathToFileURL(path.join(root, 'src', 'index.ts')).href;
mkdirSync(path.join(root, '.sluice'), { recursive: true });
// Inside the repository, so the scripts resolve the project's packages (apache-arrow).
const scratch = mkdtempSync(path.join(root, '.sluice', 'test-exit-'));
/** Far above the few seconds these scripts need; a process still running then has hung. */
const DEADLINE_MS = 60_000;

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function runScript(name: string, source: string): Promise<Exit> {
  const file = path.join(scratch, name);
  writeFileSync(file, source);
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', file],
      { cwd: root, timeout: DEADLINE_MS, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => {
        const failure = error as (Error & { code?: number | string; signal?: NodeJS.Signals }) | null;
        resolve({
          code: failure ? (typeof failure.code === 'number' ? failure.code : null) : 0,
          signal: failure?.signal ?? null,
          stdout,
          stderr,
        });
      },
    );
  });
}

describe('a script that never calls close() exits by itself', () => {
  const url = endpointUrl(stack.single);

  afterAll(async () => {
    rmSync(scratch, { recursive: true, force: true });
    await withSession(stack.single, (session) =>
      session.query('DROP TABLE IF EXISTS exit_parts, exit_loaded'),
    );
  });

  it('after queries, a parallel read on reader threads and a bulk load', async () => {
    await withSession(stack.single, async (session) => {
      await session.query('DROP TABLE IF EXISTS exit_parts, exit_loaded');
      await session.query(
        'CREATE TABLE exit_parts (id INT PRIMARY KEY, v DECIMAL(10,2)) PARTITION BY HASH(id) PARTITIONS 4',
      );
      await session.query('INSERT INTO exit_parts SELECT seq, seq / 8 FROM seq_1_to_2000');
      await session.query('CREATE TABLE exit_loaded (id INT PRIMARY KEY, name VARCHAR(20))');
    });
    const result = await runScript(
      'forgets-close.mts',
      `import { tableFromArrays } from 'apache-arrow';
import { connect } from ${JSON.stringify(index)};
const db = await connect(${JSON.stringify(url)});
const parts = await db.table('exit_parts').toArrow();
const explained = db.table('exit_parts').explain();
const [{ n }] = await db.sql('SELECT COUNT(*) AS n FROM exit_parts WHERE id <= 10').collect();
const loaded = await db.load(tableFromArrays({ id: Int32Array.from([1, 2]), name: ['a', 'b'] }), 'exit_loaded');
console.log(JSON.stringify({ rows: parts.numRows, partitions: /read in 4 partitions/.test(explained), n: Number(n), loaded: loaded.written }));
`,
    );
    expect(result.signal, `still running after ${DEADLINE_MS} ms; stderr: ${result.stderr}`).toBeNull();
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ rows: 2000, partitions: true, n: 10, loaded: 2 });
  });

  it('`await using` closes the connection at the end of its block', async () => {
    const result = await runScript(
      'await-using.mts',
      `import { connect } from ${JSON.stringify(index)};
let kept;
{
  await using db = await connect(${JSON.stringify(url)});
  kept = db;
  console.log(JSON.stringify((await db.sql('SELECT 1 AS one').collect())[0]));
}
await kept.sql('SELECT 2 AS two').collect().then(
  () => console.log('still open'),
  (error) => console.log(/closed state/.test(error.message) ? 'closed' : error.message),
);
`,
    );
    expect(result.signal).toBeNull();
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('{"one":1}\nclosed\n');
  });
});
