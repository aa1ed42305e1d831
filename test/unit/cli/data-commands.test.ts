import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseFormat } from '../../../src/cli/output.ts';
import { nextStatement } from '../../../src/cli/shell.ts';
import { statementKind } from '../../../src/cli/statements.ts';
import { loadSources, resolveDatabase } from '../../../src/config/sources.ts';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-sources-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('named sources', () => {
  it('reads sluice.config.json from the working directory, environment variables winning', async () => {
    await writeFile(
      path.join(dir, 'sluice.config.json'),
      JSON.stringify({
        sources: {
          Local: 'mysql://root@127.0.0.1:13306/sluice',
          tpch: { url: 'mysql://app@db.example:3306/tpch', dialect: 'mysql', passwordEnv: 'TPCH_PW' },
        },
        defaultSource: 'local',
      }),
    );
    const env = { TPCH_PW: 's3cr:t', SLUICE_SOURCE_LOCAL: 'mysql://root@127.0.0.1:23306/other' };
    const config = await loadSources({ cwd: dir, env });
    expect([...config.sources.keys()].sort()).toEqual(['local', 'tpch']);
    expect(config.defaultSource).toBe('local');
    expect(config.sources.get('local')).toMatchObject({
      origin: 'SLUICE_SOURCE_LOCAL',
      endpoint: { port: 23306 },
    });
    const tpch = config.sources.get('tpch')!;
    expect(tpch).toMatchObject({
      dialect: 'mysql',
      endpoint: { user: 'app', password: 's3cr:t', database: 'tpch' },
    });
    expect(new URL(tpch.url).password).toBe(encodeURIComponent('s3cr:t'));
    // --db wins, then --source, then the default source.
    expect(await resolveDatabase({ cwd: dir, env, db: 'mysql://x@h:1/d' })).toMatchObject({ name: '--db' });
    expect(await resolveDatabase({ cwd: dir, env, source: 'TPCH' })).toMatchObject({ name: 'tpch' });
    expect(await resolveDatabase({ cwd: dir, env })).toMatchObject({ name: 'local' });
  });

  it('says what is wrong with a config file, and names the known sources', async () => {
    const bad = path.join(dir, 'bad.json');
    await writeFile(
      bad,
      JSON.stringify({ sources: { a: { url: 'mysql://h/d', dialct: 'x' }, b: 3 }, extra: 1 }),
    );
    await expect(loadSources({ configPath: bad, env: {} })).rejects.toThrow(
      /unknown key 'extra'.*\n.*source 'a': unknown key 'dialct'.*\n.*source 'b' needs a URL/s,
    );
    await expect(loadSources({ configPath: path.join(dir, 'missing.json'), env: {} })).rejects.toThrow(
      /cannot read config file/,
    );
    await writeFile(bad, JSON.stringify({ sources: { a: { url: 'mysql://h/d', passwordEnv: 'NOPE' } } }));
    await expect(loadSources({ configPath: bad, env: {} })).rejects.toThrow(
      /takes its password from NOPE, which is not set/,
    );
    await expect(resolveDatabase({ cwd: os.tmpdir(), env: {}, source: 'x' })).rejects.toThrow(
      /no source named 'x'; define one in sluice.config.json or with SLUICE_SOURCE_X=mysql/,
    );
    expect(await resolveDatabase({ cwd: os.tmpdir(), env: {} })).toBeUndefined();
  });
});

describe('statements', () => {
  it('splits input at semicolons outside quotes and comments', () => {
    expect(nextStatement('SELECT \'a;b\', "c;d", `e;f` -- g;h\n FROM t; rest')).toEqual({
      sql: 'SELECT \'a;b\', "c;d", `e;f` -- g;h\n FROM t',
      rest: ' rest',
    });
    expect(nextStatement("SELECT 'it\\'s;' /* ; */ ;")).toEqual({
      sql: "SELECT 'it\\'s;' /* ; */",
      rest: '',
    });
    expect(nextStatement('SELECT 1')).toBeUndefined();
    expect(nextStatement("SELECT ';")).toBeUndefined();
  });

  it('plans SELECTs, reads server rows for SHOW and runs the rest as commands', () => {
    expect(statementKind('  /* x */ select 1')).toBe('query');
    expect(statementKind('(SELECT 1) UNION (SELECT 2)')).toBe('query');
    expect(statementKind('WITH a AS (SELECT 1) SELECT * FROM a')).toBe('query');
    expect(statementKind('show tables')).toBe('rows');
    expect(statementKind('DESC t')).toBe('rows');
    expect(statementKind('INSERT INTO t VALUES (1)')).toBe('command');
    expect(statementKind('-- c\nCREATE TABLE t (a INT)')).toBe('command');
  });

  it('takes the output format from --format or the file extension', () => {
    expect(chooseFormat(undefined, undefined)).toBe('table');
    expect(chooseFormat(undefined, 'x.JSONL')).toBe('ndjson');
    expect(chooseFormat(undefined, 'x.feather')).toBe('arrow');
    expect(chooseFormat('csv', 'x.parquet')).toBe('csv');
    expect(() => chooseFormat(undefined, 'x.xlsx')).toThrow(/cannot tell the format of 'x.xlsx'/);
  });
});
