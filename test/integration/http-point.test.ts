/**
 * Point reads of `sluice serve` (src/http/point-answer.ts): a query by unique key is answered
 * from the row bytes, and its body is byte for byte the general path's (a second server with
 * `pointReads: false`) in every format, for extreme DECIMAL(65,30), BIGINT (UNSIGNED) limits,
 * dates, NULLs, text that needs escaping, and columns that take the Arrow decoder (DATETIME,
 * binary). The point path still honours row caps, the time limit, cancel, the allowlist and the
 * read-only check.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openSession, withSession } from '../../src/db/driver.ts';
import type { DbEndpoint } from '../../src/db/endpoint.ts';
import { resolveServeConfig } from '../../src/http/config.ts';
import { FORMATS } from '../../src/http/formats.ts';
import type { ServiceApp } from '../../src/http/service.ts';
import { buildServer } from '../../src/http/service.ts';
import { quoteIdentifier } from '../../src/sql/identifiers.ts';
import { urlOf } from './loader-support.ts';

const stack = inject('stack');
const DB = 'sluice_http_point_it';
const single: DbEndpoint = { ...stack.single, database: DB };

let point: ServiceApp;
let general: ServiceApp;

const DEC_MAX = `${'9'.repeat(35)}.${'9'.repeat(30)}`;
const DEC_TINY = `-0.${'0'.repeat(29)}1`;

/** Rows of `plain` (types written from row bytes) and `mixed` (also types the Arrow decoder writes). */
const ROWS: unknown[][] = [
  [
    1,
    DEC_MAX,
    '18446744073709551615',
    '-9223372036854775808',
    '2024-02-29',
    'a "quoted", comma\nline',
    1e300,
    1.5,
    1,
    2155,
    'x',
  ],
  [2, null, null, null, null, null, null, null, null, null, null],
  [3, DEC_TINY, '0', '9223372036854775807', '1000-01-01', '#hash and ünïcødé 🚀', -0.1, -3.25, 0, 1901, ''],
  [
    4,
    '-12345678901234567890123456789012345.000000000000000000000000000001',
    '9007199254740993',
    '-1',
    '9999-12-31',
    'plain',
    5e-324,
    0,
    null,
    null,
    'y',
  ],
];

/** Long text: lengths written in 3 and 4 bytes on the wire. */
const DOCS = ['é'.repeat(40_000), null, 'z'.repeat(300), ''];

function server(pointReads: boolean): Promise<ServiceApp> {
  return buildServer(
    resolveServeConfig({
      sources: { s: { url: urlOf(single) } },
      tokens: [],
      logger: false,
      pointReads,
      limits: { timeoutMs: 60_000 },
      pressure: { maxEventLoopDelayMs: 0 },
    }),
  );
}

beforeAll(async () => {
  await withSession(
    stack.single,
    async (s) => {
      await s.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(DB)}`);
      await s.query(`CREATE DATABASE ${quoteIdentifier(DB)}`);
    },
    { withoutDatabase: true },
  );
  await withSession(single, async (s) => {
    const columns = `id INT PRIMARY KEY, dec65 DECIMAL(65,30), ubig BIGINT UNSIGNED, sbig BIGINT, day DATE,
      name VARCHAR(60), ratio DOUBLE, f FLOAT, flag TINYINT(1), yr YEAR, note VARCHAR(10), doc MEDIUMTEXT`;
    await s.query(`CREATE TABLE plain (${columns})`);
    await s.query('INSERT INTO plain VALUES ?', [ROWS.map((row, i) => [...row, DOCS[i]])]);
    await s.query(`CREATE TABLE mixed (${columns}, at DATETIME(6), bin VARBINARY(8), t TIME(3))`);
    await s.query('INSERT INTO mixed VALUES ?', [
      ROWS.map((row, i) =>
        i === 1
          ? [...row, DOCS[i], null, null, null]
          : [...row, DOCS[i], '1999-12-31 23:59:59.000001', Buffer.from([0, 255, 7]), '-838:59:58.5'],
      ),
    ]);
    await s.query('CREATE TABLE many (id INT PRIMARY KEY, v INT)');
    await s.query('INSERT INTO many SELECT seq, seq FROM seq_1_to_50');
  });
  [point, general] = await Promise.all([server(true), server(false)]);
});

afterAll(async () => {
  await point?.close();
  await general?.close();
  await withSession(stack.single, (s) => s.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(DB)}`), {
    withoutDatabase: true,
  });
});

async function pointReads(app: ServiceApp): Promise<number> {
  const metrics = await app.inject({ url: '/metrics' });
  const line = metrics.body.split('\n').find((l) => l.startsWith('sluice_query_point_reads_total '));
  return Number(line?.split(' ')[1]);
}

function ask(app: ServiceApp, body: Record<string, unknown>, accept: string) {
  return app.inject({
    method: 'POST',
    url: '/v1/query',
    headers: { accept, 'content-type': 'application/json' },
    payload: { source: 's', query_id: 'q-equal', ...body },
  });
}

describe('point reads', () => {
  it('answer byte for byte as the general path, in every format', async () => {
    const before = await pointReads(point);
    let asked = 0;
    for (const table of ['plain', 'mixed'])
      for (const id of [1, 2, 3, 4, 99])
        for (const [format, mime] of Object.entries(FORMATS)) {
          const body = { sql: `SELECT * FROM ${table} WHERE id = ?`, params: [id] };
          const [fast, slow] = await Promise.all([ask(point, body, mime), ask(general, body, mime)]);
          expect(slow.statusCode, `${table} ${id} ${format}: ${slow.body}`).toBe(200);
          expect(fast.statusCode, `${table} ${id} ${format}: ${fast.body}`).toBe(200);
          expect(fast.headers['content-type']).toBe(slow.headers['content-type']);
          expect(fast.rawPayload.equals(slow.rawPayload), `${table} id=${id} ${format}`).toBe(true);
          asked++;
        }
    expect((await pointReads(point)) - before).toBe(asked);
    expect(await pointReads(general)).toBe(0);
    // The digits themselves, as a client reads them.
    const json = (await ask(point, { sql: 'SELECT * FROM plain WHERE id = ?', params: [1] }, FORMATS.json))
      .body;
    expect(json).toContain(`"dec65":"${DEC_MAX}"`);
    expect(json).toContain('"ubig":18446744073709551615');
    expect(json).toContain('"sbig":-9223372036854775808');
    const csv = (await ask(point, { sql: 'SELECT * FROM plain WHERE id = ?', params: [3] }, FORMATS.csv))
      .body;
    expect(csv).toContain(`,${DEC_TINY},0,9223372036854775807,1000-01-01,"#hash and ünïcødé 🚀",`);
  });

  it('is taken for a unique key or a small LIMIT, and not for a scan', async () => {
    const cases: [string, unknown[], boolean][] = [
      ['SELECT id, v FROM many WHERE id = ?', [7], true],
      ['SELECT v FROM many WHERE id = 9', [], true],
      ['SELECT id FROM many LIMIT 5', [], true],
      ['SELECT id FROM many WHERE v > ?', [10], false],
      ['SELECT COUNT(*) AS n FROM many WHERE id = ?', [3], true],
      ['SELECT id FROM many ORDER BY v DESC LIMIT 3', [], false],
    ];
    for (const [sql, params, expected] of cases) {
      const before = await pointReads(point);
      const [fast, slow] = await Promise.all([
        ask(point, { sql, params }, FORMATS.ndjson),
        ask(general, { sql, params }, FORMATS.ndjson),
      ]);
      expect(fast.statusCode, fast.body).toBe(200);
      expect(fast.body, sql).toBe(slow.body);
      expect((await pointReads(point)) - before, sql).toBe(expected ? 1 : 0);
    }
  });

  it('cuts at the row cap with the general path truncation marker', async () => {
    for (const mime of Object.values(FORMATS)) {
      const body = { sql: 'SELECT id FROM many LIMIT 5', limits: { maxRows: 2 } };
      const [fast, slow] = await Promise.all([ask(point, body, mime), ask(general, body, mime)]);
      expect(fast.rawPayload.equals(slow.rawPayload), mime).toBe(true);
    }
    const ndjson = await ask(
      point,
      { sql: 'SELECT id FROM many LIMIT 5', limits: { maxRows: 2 } },
      FORMATS.ndjson,
    );
    expect(ndjson.body.trim().split('\n').at(-1)).toMatch(/^\{"truncated":\{"reason":"maxRows","rows":2,/);
  });

  it('keeps the time limit, cancel, the allowlist and the read-only check', async () => {
    // A point read that waits: another session holds the table's write lock (the statement waits
    // for its metadata lock). The statement is planned first, so planning does not wait.
    const WAITS = 'SELECT v AS waits_for_lock FROM many WHERE id = ?';
    for (const app of [point, general])
      expect((await ask(app, { sql: WAITS, params: [1] }, FORMATS.json)).statusCode).toBe(200);
    const locker = await openSession(single);
    await locker.query('LOCK TABLES many WRITE');
    try {
      const before = await pointReads(point);
      const body = { sql: WAITS, params: [2], limits: { timeoutMs: 300 } };
      const [timed, generalTimed] = await Promise.all([
        ask(point, body, FORMATS.json),
        ask(general, body, FORMATS.json),
      ]);
      expect(timed.statusCode, timed.body).toBe(408);
      expect(JSON.parse(timed.body).error.code).toBe(JSON.parse(generalTimed.body).error.code);
      expect(await pointReads(point)).toBe(before + 1);

      // DELETE cancels a point read while the database runs it; nothing of it stays running.
      const running = ask(point, { sql: WAITS, params: [3], query_id: 'q-cancel' }, FORMATS.json);
      let cancelled = 0;
      for (let i = 0; i < 200 && cancelled !== 200; i++) {
        await new Promise((r) => setTimeout(r, 25));
        cancelled = (await point.inject({ method: 'DELETE', url: '/v1/query/q-cancel' })).statusCode;
      }
      expect(cancelled).toBe(200);
      const answer = await running;
      expect(JSON.parse(answer.body).error.code).toBe('QUERY_CANCELLED');
      expect(await pointReads(point)).toBe(before + 2);
      const left = await withSession(stack.single, (s) =>
        s.query(
          "SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE '%waits_for_lock%' AND ID <> CONNECTION_ID()",
        ),
      );
      expect(left).toEqual([]);
    } finally {
      await locker.query('UNLOCK TABLES');
      await locker.close();
    }

    // Denied schemas and writes are refused before anything runs, the same way as the general path.
    for (const body of [
      { sql: 'SELECT user FROM mysql.user WHERE user = ?', params: ['root'] },
      { sql: 'DELETE FROM many WHERE id = ?', params: [1] },
      { sql: 'SELECT id FROM many WHERE id = ?; DROP TABLE many', params: [1] },
    ]) {
      const [fast, slow] = await Promise.all([
        ask(point, body, FORMATS.json),
        ask(general, body, FORMATS.json),
      ]);
      expect(fast.statusCode, body.sql).toBeGreaterThanOrEqual(400);
      expect(fast.statusCode).toBe(slow.statusCode);
      expect(JSON.parse(fast.body).error.code).toBe(JSON.parse(slow.body).error.code);
    }
    const count = await withSession(single, (s) => s.query<{ n: number }>('SELECT COUNT(*) AS n FROM many'));
    expect(Number(count[0]!.n)).toBe(50);
  });
});
