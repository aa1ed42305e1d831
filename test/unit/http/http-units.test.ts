import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatabaseError } from '../../../src/base/errors.ts';
import { bindParams } from '../../../src/frame/sql-text/params.ts';
import { TableAllowlist } from '../../../src/http/allowlist.ts';
import { loadServeConfig, resolveServeConfig } from '../../../src/http/config.ts';
import { errorAnswer } from '../../../src/http/errors.ts';
import { negotiateFormat } from '../../../src/http/formats.ts';
import { checkReadOnly } from '../../../src/http/read-only.ts';
import { mariadbLimitStatement, mysqlLimitStatement } from '../../../src/sql/dialect.ts';

describe('HTTP service parts', () => {
  it('negotiates the format from Accept (q-values, wildcards) or the body', () => {
    expect(negotiateFormat(undefined)).toBe('arrow');
    expect(negotiateFormat('*/*')).toBe('arrow');
    expect(negotiateFormat('text/csv;q=0.5, application/x-ndjson')).toBe('ndjson');
    expect(negotiateFormat('application/json;q=0.1, text/csv;q=0.9')).toBe('csv');
    expect(negotiateFormat('image/png')).toBeUndefined();
    expect(negotiateFormat('text/csv', 'json')).toBe('json');
  });

  it('answers a repeated Accept header as the first time, refusals included, past the kept headers', () => {
    for (let round = 0; round < 2; round++) {
      expect(negotiateFormat('image/png')).toBeUndefined();
      expect(negotiateFormat('text/csv;q=0.5, application/x-ndjson')).toBe('ndjson');
      expect(negotiateFormat('application/json')).toBe('json');
      // More distinct headers than are kept: the older ones are negotiated again, the same way.
      for (let i = 0; i < 100; i++)
        expect(negotiateFormat(`text/csv;q=0.${(i % 9) + 1}, application/x-ndjson;q=0.05, x/${i}`)).toBe(
          'csv',
        );
    }
    expect(negotiateFormat('image/png')).toBeUndefined();
    expect(negotiateFormat('application/json')).toBe('json');
  });

  it('fills ? placeholders with escaped literals, not inside strings, identifiers or comments', () => {
    expect(bindParams("SELECT '?' AS q, `a?` FROM t WHERE x = ? -- ?\n AND y = ?", ["it's", 3])).toBe(
      "SELECT '?' AS q, `a?` FROM t WHERE x = 'it\\'s' -- ?\n AND y = 3",
    );
    // MariaDB's `--` starts a comment only before a space or newline: `5--?` is 5 minus minus ?.
    expect(bindParams('SELECT 5--? /* ? */ # ?\n, "a""?"', [2])).toBe('SELECT 5--2 /* ? */ # ?\n, "a""?"');
    expect(() => bindParams('SELECT ?', [])).toThrow(/placeholders/);
    expect(() => bindParams('SELECT 1', [1])).toThrow(/1 params given for 0/);
  });

  it('allow lists: the default schema, explicit patterns, system and state tables only when named', () => {
    const list = new TableAllowlist('app');
    expect(list.denies(null, 'orders')).toBeUndefined();
    expect(list.denies('other', 'orders')).toMatch(/allow list/);
    expect(list.denies(null, 'sluice_pipelines')).toMatch(/state tables/);
    expect(list.denies('mysql', 'user')).toMatch(/system schema/);
    const wide = new TableAllowlist('app', ['*', 'information_schema.tables']);
    expect(wide.denies('other', 'x')).toBeUndefined();
    expect(wide.denies('information_schema', 'TABLES')).toBeUndefined();
    expect(wide.denies('mysql', 'user')).toMatch(/system schema/);
  });

  it('read-only check: one SELECT, nothing written or locked, no file functions', () => {
    const list = new TableAllowlist('app');
    expect(
      checkReadOnly('SELECT a FROM t JOIN u ON t.id = u.id', list).map((t) => `${t.schema}.${t.table}`),
    ).toEqual(['app.t', 'app.u']);
    for (const sql of [
      'UPDATE t SET a = 1',
      "SELECT 1 INTO DUMPFILE '/x'",
      'SELECT BENCHMARK(1, 1)',
      'SELECT 1; DROP TABLE t',
    ]) {
      expect(() => checkReadOnly(sql, list)).toThrow();
    }
  });

  it('statement limits in each dialect', () => {
    expect(mariadbLimitStatement('SELECT 1', { readOnly: true, maxStatementMs: 1500 })).toBe(
      'SET STATEMENT tx_read_only=1, max_statement_time=1.500 FOR SELECT 1',
    );
    expect(mysqlLimitStatement('SELECT a FROM t', { maxStatementMs: 200 })).toBe(
      'SELECT /*+ MAX_EXECUTION_TIME(200) */ a FROM t',
    );
  });

  it('maps errors to statuses: the statement time limit is a 408, a bad column a 400', () => {
    expect(
      errorAnswer(
        new DatabaseError('x', {
          errno: 1969,
          message: 'Query execution was interrupted (max_statement_time exceeded)',
        }),
      ).status,
    ).toBe(408);
    expect(errorAnswer(new DatabaseError('x', { errno: 1054 })).status).toBe(400);
    expect(errorAnswer(new Error('boom')).status).toBe(500);
    const pressure = Object.assign(new Error('Service Unavailable'), {
      statusCode: 503,
      code: 'FST_UNDER_PRESSURE',
    });
    expect(errorAnswer(pressure)).toMatchObject({
      status: 503,
      body: { error: { code: 'FST_UNDER_PRESSURE', retriable: true } },
    });
  });

  it('reads sources from sluice.config.json (shared with the CLI) and the serve section, listing every problem', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-serve-'));
    const file = path.join(dir, 'sluice.config.json');
    await writeFile(
      file,
      JSON.stringify({
        sources: { app: { url: 'mysql://root@127.0.0.1:3306/app', allow: ['app.*', 'ref.codes'] } },
        serve: {
          port: 9000,
          tokens: [{ token: 'a-long-enough-token-1234', role: 'read' }],
          limits: { maxRows: 10 },
        },
      }),
    );
    const config = await loadServeConfig({
      configFile: file,
      sources: ['more=mysql://u@h:1/d'],
      tokens: 'admin:another-long-token-5678',
    });
    expect(config.port).toBe(9000);
    expect(Object.keys(config.sources)).toEqual(['app', 'more']);
    expect(config.sources.app!.allow).toEqual(['app.*', 'ref.codes']);
    expect(config.tokens.map((t) => t.role)).toEqual(['read', 'admin']);
    expect(config.limits.maxRows).toBe(10);
    expect(() =>
      resolveServeConfig({ port: 'x', tokens: [{ token: 'short', role: 'root' }], limits: { maxRows: -1 } }),
    ).toThrow(/port must be[\s\S]*role 'root'[\s\S]*maxRows/);
  });
});
