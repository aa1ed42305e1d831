/**
 * readSql, show/head, and the data commands as a person runs them (`sluice query`, `explain`,
 * `load`, `shell`) against the real MariaDB server: every output format read back (Parquet with
 * hyparquet, a second library) and compared digit for digit with the server's own text for the
 * same rows; every input format loaded back and compared inside the server.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { parse as parseCsv } from 'csv-parse/sync';
import { parquetReadObjects } from 'hyparquet';
import { parse as parseLossless } from 'lossless-json';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { withSession } from '../../src/db/driver.ts';
import { connect } from '../../src/frame/connect.ts';
import { arrowToRows } from '../../src/frame/rows.ts';
import { formatTable } from '../../src/frame/show.ts';
import { readSql } from '../../src/reader/read-sql.ts';
import { quoteIdentifier } from '../../src/sql/identifiers.ts';
import { uniqueName, urlOf } from './loader-support.ts';

const stack = inject('stack');
const root = path.resolve(import.meta.dirname, '..', '..');
const url = urlOf(stack.single);
const table = uniqueName('clidata');
const copy = `${table}_copy`;
let dir = '';

const COLUMNS = ['id', 'amount', 'price', 'd', 'ts', 'name', 'f'] as const;
const ROWS = 300;

/** The rows as the server prints them: every value its own text, NULL as null. */
let expected: Record<string, string | null>[] = [];

/** The CLI in a child process, as a person runs it (stdin, exit code, binary stdout). */
async function sluiceProcess(
  args: readonly string[],
  options: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<{ code: number; stdout: string; stderr: string; bytes: Buffer }> {
  const child = spawn(process.execPath, [path.join(root, 'bin/sluice.mjs'), ...args], {
    cwd: options.cwd ?? root,
    env: { ...process.env, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const stdout: Buffer[] = [];
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout.push(chunk);
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdin.end(options.input ?? '');
  const code = await new Promise<number>((resolve) => child.on('close', (exit) => resolve(exit ?? -1)));
  const bytes = Buffer.concat(stdout);
  return { code, stdout: bytes.toString('utf8'), stderr, bytes };
}

/**
 * The CLI's `main()` in this process, stdout and stderr captured: the same code path as
 * bin/sluice.mjs without a process start per command (seconds each on a busy machine).
 */
async function sluice(
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const saved = { ...process.env };
  Object.assign(process.env, options.env);
  for (const [key, value] of Object.entries(options.env ?? {})) if (value === '') delete process.env[key];
  const out: string[] = [];
  const err: string[] = [];
  const writes = { out: process.stdout.write, err: process.stderr.write };
  process.stdout.write = ((chunk: string | Uint8Array) =>
    out.push(String(chunk)) > 0) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) =>
    err.push(String(chunk)) > 0) as typeof process.stderr.write;
  try {
    const code = await main(args);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.stdout.write = writes.out;
    process.stderr.write = writes.err;
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  }
}

const text = (value: unknown): string | null =>
  value === null || value === undefined ? null : String(value);

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-cli-data-'));
  const rows: unknown[][] = [];
  for (let i = 1; i <= ROWS; i++) {
    rows.push([
      i === ROWS ? '18446744073709551615' : String(i * 1000),
      i % 17 === 0
        ? null
        : i === 1
          ? '-12345678901234567890.0123456789'
          : `${i % 2 ? '-' : ''}${(i * 7919) % 100000}.${String((i * 2654435761) % 1e10).padStart(10, '0')}`,
      `${i * 3}.${String(i % 100).padStart(2, '0')}`,
      i % 13 === 0 ? null : new Date(Date.UTC(1999, 11, 31) + i * 86_400_000 * 37).toISOString().slice(0, 10),
      `2024-02-29 12:34:${String(i % 60).padStart(2, '0')}.${String((i * 104729) % 1_000_000).padStart(6, '0')}`,
      i % 11 === 0
        ? null
        : [`plain ${i}`, 'he said "hi", ok', 'two\nlines\tand tab', 'naïve 😀 ü', "it's \\ back"][i % 5],
      i % 7 === 0 ? null : i / 3,
    ]);
  }
  await withSession(stack.single, async (session) => {
    for (const name of [table, copy]) {
      await session.query(
        `CREATE TABLE ${quoteIdentifier(name)} (id BIGINT UNSIGNED PRIMARY KEY, amount DECIMAL(38,10), price DECIMAL(15,2) NOT NULL, d DATE, ts DATETIME(6) NOT NULL, name VARCHAR(100), f DOUBLE)`,
      );
    }
    await session.query(`INSERT INTO ${quoteIdentifier(table)} VALUES ?`, [rows]);
    const back = await session.query<Record<string, unknown>>(
      `SELECT CAST(id AS CHAR) AS id, CAST(amount AS CHAR) AS amount, CAST(price AS CHAR) AS price, CAST(d AS CHAR) AS d, CAST(ts AS CHAR) AS ts, name, f FROM ${quoteIdentifier(table)} AS t ORDER BY t.id`,
    );
    expected = back.map((row) => Object.fromEntries(COLUMNS.map((column) => [column, text(row[column])])));
  });
});

afterAll(async () => {
  await withSession(stack.single, async (session) => {
    for (const name of [table, copy]) await session.query(`DROP TABLE IF EXISTS ${quoteIdentifier(name)}`);
  });
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Values read back from a file, normalised to text the way the server prints them. */
function normalise(rows: Record<string, unknown>[]): Record<string, string | null>[] {
  return rows
    .map((row) =>
      Object.fromEntries(
        COLUMNS.map((column) => {
          const value = row[column];
          if (value === null || value === undefined || value === '') return [column, null];
          // DOUBLE: compared within 1e-12 relative (the server prints 17 digits, JS the shortest form).
          if (column === 'f') return [column, Number(value).toPrecision(12)];
          return [column, String(value)];
        }),
      ),
    )
    .sort((a, b) => (BigInt(a.id!) < BigInt(b.id!) ? -1 : 1));
}

/** Row lists compared row by row: a failure names the first differing row (a diff of 300 rows is slow and huge). */
function expectSameRows(actual: readonly unknown[], wanted: readonly unknown[], label: string): void {
  expect(actual.length, `${label}: row count`).toBe(wanted.length);
  const index = actual.findIndex((row, i) => JSON.stringify(row) !== JSON.stringify(wanted[i]));
  if (index >= 0) expect({ label, index, row: actual[index] }).toEqual({ label, index, row: wanted[index] });
}

const expectedNormalised = () =>
  expected.map((row) => ({ ...row, f: row.f === null ? null : Number(row.f).toPrecision(12) }));

describe('readSql', () => {
  it('reads a query whole and split on a column into the same exact values', async () => {
    const sql = `SELECT * FROM ${quoteIdentifier(table)} WHERE id > ?`;
    const whole = await readSql(url, sql, { params: [0] });
    const split = await readSql(url, `${sql};`, { params: [0], partitionOn: 'id', partitionNum: 4 });
    const byDate = await readSql(url, sql, { params: [0], partitionOn: 'd', partitionNum: 3 });
    expect(whole.numRows).toBe(ROWS);
    for (const result of [whole, split, byDate]) {
      const rows = arrowToRows(result).map((row) =>
        Object.fromEntries(COLUMNS.map((column) => [column, text(row[column])])),
      );
      expectSameRows(normalise(rows), expectedNormalised(), 'readSql');
    }
    await expect(readSql(url, sql, { params: [0], partitionOn: 'name' })).rejects.toThrow(
      /'name' is Utf8; ranges need a numeric, date or datetime column/,
    );
    await expect(readSql(url, sql, { params: [0], partitionOn: 'nope' })).rejects.toThrow(
      /'nope' is not a column of the query's result; columns: id, amount/,
    );
  });

  it('shows an aligned table with decimals, big integers and dates as their values', async () => {
    const result = await readSql(
      url,
      `SELECT id, amount, d, ts, name FROM ${quoteIdentifier(table)} WHERE id IN (1000, 18446744073709551615) ORDER BY id`,
    );
    expect(formatTable(result)).toBe(
      [
        '                  id |                           amount | d          | ts                         | name',
        '---------------------+----------------------------------+------------+----------------------------+-----------------',
        '                1000 | -12345678901234567890.0123456789 | 2000-02-06 | 2024-02-29 12:34:01.104729 | he said "hi", ok',
        '18446744073709551615 |                 75700.6330728300 | 2030-05-22 | 2024-02-29 12:34:00.418700 | plain 300',
        '(2 rows)',
      ].join('\n'),
    );
    const db = await connect(url);
    try {
      const head = await db.table(table).orderBy('id').head(3);
      expect(arrowToRows(head).map((row) => row.id)).toEqual([1000, 2000, 3000]);
      const shown = await captureStdout(() => db.table(table).select('id', 'price').orderBy('id').show(2));
      expect(shown).toBe(
        [
          '  id | price',
          '-----+------',
          '1000 |  3.01',
          '2000 |  6.02',
          '(first 2 rows shown; more follow)',
          '',
        ].join('\n'),
      );
      const explained = await captureStdout(() =>
        db.sql(`SELECT id FROM ${table} WHERE id > 5`).printExplain(),
      );
      expect(explained).toContain('== Pushed SQL (1 statement) ==');
      expect(explained).toContain(`SELECT \`id\` FROM \`${table}\` WHERE (\`id\` > ?)`);
    } finally {
      await db.close();
    }
  });
});

async function captureStdout(work: () => unknown): Promise<string> {
  const chunks: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string) => {
    chunks.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  try {
    await work();
  } finally {
    process.stdout.write = write;
  }
  return chunks.join('');
}

describe('sluice query, explain, load and shell', () => {
  const select = () => `SELECT * FROM ${table} ORDER BY id`;

  it('writes csv, json, ndjson, arrow and parquet that read back to the server values', async () => {
    const files = Object.fromEntries(
      ['csv', 'json', 'ndjson', 'arrow', 'parquet'].map((format) => [
        format,
        path.join(dir, `out.${format}`),
      ]),
    );
    for (const [format, file] of Object.entries(files)) {
      const result = await sluice(['query', select(), '--db', url, '--out', file]);
      expect(result, format).toMatchObject({ code: 0, stdout: '' });
    }
    const csv = parseCsv(await readFile(files.csv!, 'utf8'), { columns: true }) as Record<string, string>[];
    const lossless = (line: string) =>
      parseLossless(line, null, (digits) => digits) as Record<string, unknown>;
    // JSON numbers are written from their digits, so a DECIMAL(38,10) keeps its trailing zeros.
    const json = lossless(await readFile(files.json!, 'utf8')) as unknown as Record<string, unknown>[];
    const ndjson = (await readFile(files.ndjson!, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => lossless(line));
    const arrow = arrowToRows(tableFromIPC(await readFile(files.arrow!)));
    const parquetBytes = await readFile(files.parquet!);
    const parquet = (await parquetReadObjects({
      file: parquetBytes.buffer.slice(
        parquetBytes.byteOffset,
        parquetBytes.byteOffset + parquetBytes.byteLength,
      ),
    })) as Record<string, unknown>[];
    for (const [format, rows] of Object.entries({ csv, json, ndjson, arrow })) {
      expectSameRows(normalise(rows as Record<string, unknown>[]), expectedNormalised(), format);
    }
    // hyparquet gives DECIMAL as a number and DATE/DATETIME as Date: compare what it can hold exactly.
    const exactParquet = parquet.map((row) => ({
      id: String(row.id),
      name: row.name ?? null,
      d: row.d instanceof Date ? row.d.toISOString().slice(0, 10) : null,
      price: Number(row.price).toFixed(2),
    }));
    expectSameRows(
      exactParquet,
      expected.map((row) => ({ id: row.id, name: row.name, d: row.d, price: row.price })),
      'parquet',
    );
    // The stream format on stdout, for pipes.
    const piped = await sluiceProcess([
      'query',
      `SELECT id, amount FROM ${table} WHERE id = 1000`,
      '--db',
      url,
      '-f',
      'arrow',
    ]);
    expect(piped.code).toBe(0);
    const streamed = tableFromIPC(piped.bytes);
    expect(streamed.numRows).toBe(1);
  });

  it('prints a table, splits a query on a column, explains, and runs statements that are not SELECTs', async () => {
    const shown = await sluice([
      'query',
      `SELECT id, price FROM ${table} ORDER BY id`,
      '--db',
      url,
      '--max-rows',
      '2',
    ]);
    expect(shown).toMatchObject({
      code: 0,
      stdout: [
        '  id | price',
        '-----+------',
        '1000 |  3.01',
        '2000 |  6.02',
        '(300 rows, 2 shown)',
        '',
      ].join('\n'),
      stderr: '',
    });
    const split = await sluice([
      'query',
      `SELECT id FROM ${table}`,
      '--db',
      url,
      '-f',
      'ndjson',
      '--partition-on',
      'id',
      '--partitions',
      '3',
    ]);
    expect(split.stdout.trim().split('\n').length).toBe(ROWS);
    const explained = await sluice([
      'explain',
      `SELECT id FROM ${table}`,
      '--db',
      url,
      '--partition-on',
      'id',
      '--partitions',
      '3',
    ]);
    expect(explained.stdout).toContain(
      '== Key-range read (3 ranges on id between 1000 and 18446744073709551615) ==',
    );
    expect(explained.stdout).toContain(
      `range 1/3:\n  SELECT * FROM (SELECT id FROM ${table}) AS sluice_query WHERE (\`id\` < ? OR \`id\` IS NULL)`,
    );
    const planned = await sluice([
      'explain',
      `SELECT COUNT(*) AS n FROM ${table} WHERE price > 10`,
      '--db',
      url,
    ]);
    expect(planned.stdout).toContain(`SELECT COUNT(*) AS \`n\` FROM \`${table}\` WHERE (\`price\` > ?)`);
    const bad = await sluice(['query', `SELECT * FROM ${table}`, '--db', url, '--format', 'xml']);
    expect(bad).toMatchObject({ code: 1 });
    expect(bad.stderr).toContain(
      "--format 'xml' is not a format; valid formats: table, csv, json, ndjson, arrow, parquet",
    );
    const none = await sluice(['query', 'SELECT 1'], { env: { SLUICE_DB_URL: '' } });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('which database? give --db URL or --source NAME');
  });

  it('loads csv, ndjson, arrow and parquet files back into a table exactly, and reports bad rows', async () => {
    for (const format of ['csv', 'ndjson', 'arrow', 'parquet']) {
      const file = path.join(dir, `out.${format}`);
      await withSession(stack.single, (session) => session.query(`DELETE FROM ${quoteIdentifier(copy)}`));
      const loaded = await sluice(['load', file, copy, '--db', url, '--json']);
      expect(loaded.code, `${format}: ${loaded.stderr}`).toBe(0);
      expect(JSON.parse(loaded.stdout)).toMatchObject({
        rows: ROWS,
        written: ROWS,
        duplicates: 0,
        rejected: [],
      });
      const [diff] = await withSession(stack.single, (session) =>
        session.query<{ n: number; same: number }>(
          `SELECT COUNT(*) AS n, SUM(a.amount <=> b.amount AND a.price = b.price AND a.d <=> b.d AND a.ts = b.ts AND a.name <=> b.name AND a.f <=> b.f) AS same FROM ${quoteIdentifier(table)} a JOIN ${quoteIdentifier(copy)} b USING (id)`,
        ),
      );
      expect({ format, n: Number(diff!.n), same: Number(diff!.same) }).toEqual({
        format,
        n: ROWS,
        same: ROWS,
      });
    }
    // Loading again appends duplicates: the whole load fails and nothing more commits.
    const again = await sluice(['load', path.join(dir, 'out.csv'), copy, '--db', url]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/Duplicate entry/);
    const ignored = await sluice([
      'load',
      path.join(dir, 'out.ndjson'),
      copy,
      '--db',
      url,
      '--mode',
      'ignore',
    ]);
    expect(ignored).toMatchObject({ code: 0 });
    expect(ignored.stdout).toMatch(
      /^loaded 0 of 300 rows from .* into `.*`, 300 duplicate\(s\) skipped on mysql:/,
    );
    const badFile = path.join(dir, 'bad.csv');
    await writeFile(
      badFile,
      'id,price,ts\n1,1.50,2024-01-01 00:00:00\n2,not a number,2024-01-01 00:00:00\n3,2.50,2024-01-01 00:00:00\n',
    );
    const collected = await sluice(['load', badFile, copy, '--db', url, '--bad-rows', 'collect', '--json']);
    expect(collected.code).toBe(3);
    const summary = JSON.parse(collected.stdout) as {
      written: number;
      rejected: { row: number; error: string }[];
    };
    expect(summary.written).toBe(2);
    expect(summary.rejected.map((r) => r.row)).toEqual([2]);
    expect(summary.rejected[0]!.error).toMatch(/price/);
  });

  it('runs a shell session from stdin, with named sources from the config file and the environment', async () => {
    const config = path.join(dir, 'sluice.config.json');
    await writeFile(
      config,
      JSON.stringify({ sources: { main: { url, dialect: 'mariadb' } }, defaultSource: 'main' }),
    );
    const input = [
      `SELECT id, price`,
      `  FROM ${table} WHERE id <= 2000 ORDER BY id;`,
      '.format csv',
      `SELECT 'a;b' AS "x;y";  SELECT COUNT(*) AS n FROM ${table};`,
      'SELECT * FROM no_such_table;',
      `CREATE TABLE ${table}_shell (a INT); INSERT INTO ${table}_shell VALUES (1), (2);`,
      `SELECT SUM(a) AS s FROM ${table}_shell;`,
      `DROP TABLE ${table}_shell;`,
      '.quit',
      'SELECT 1;',
    ].join('\n');
    const shell = await sluiceProcess(['shell'], { input, cwd: dir, env: { SLUICE_DB_URL: '' } });
    expect(shell.stdout).toBe(
      [
        '  id | price',
        '-----+------',
        '1000 |  3.01',
        '2000 |  6.02',
        '(2 rows)',
        'x;y',
        'a;b',
        'n',
        '300',
        'OK, 0 rows affected',
        'OK, 2 rows affected',
        's',
        '3',
        'OK, 0 rows affected',
        '',
      ].join('\n'),
    );
    expect(shell.stderr).toMatch(/^error: .*no_such_table' doesn't exist/);
    expect(shell.code).toBe(1);
    // An environment variable names a source; --source picks it; --config points at the file.
    const viaEnv = await sluice(['query', 'SELECT 7 AS seven', '--source', 'ENVDB', '-f', 'csv'], {
      env: { SLUICE_SOURCE_ENVDB: url },
    });
    expect(viaEnv).toMatchObject({ code: 0, stdout: 'seven\n7\n' });
    const viaConfig = await sluice([
      'query',
      'SELECT 8 AS eight',
      '-s',
      'main',
      '--config',
      config,
      '-f',
      'csv',
    ]);
    expect(viaConfig).toMatchObject({ code: 0, stdout: 'eight\n8\n' });
    const unknown = await sluice(['query', 'SELECT 1', '-s', 'nope', '--config', config]);
    expect(unknown.stderr).toContain("no source named 'nope'; sources: main");
  });
});
