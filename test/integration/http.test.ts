import { request as httpRequest, type IncomingMessage } from 'node:http';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { gunzipSync } from 'node:zlib';
import { tableFromIPC } from 'apache-arrow';
import { isSafeNumber, parse as parseLossless } from 'lossless-json';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  createTopic,
  eventAt,
  eventJson,
  eventsTableSql,
  kafkaFor,
  produceEvents,
  range,
} from '../../bench/data/events.ts';
import { withSession } from '../../src/db/driver.ts';
import type { DbEndpoint } from '../../src/db/endpoint.ts';
import { createShardedTable } from '../../src/db/sharding.ts';
import type { Database } from '../../src/frame/database.ts';
import { arrowToRows } from '../../src/frame/rows.ts';
import { SluiceClient } from '../../src/http/client.ts';
import { resolveServeConfig } from '../../src/http/config.ts';
import type { ServiceApp } from '../../src/http/service.ts';
import { buildServer } from '../../src/http/service.ts';
import { col, connect, lit } from '../../src/index.ts';
import { mariadbLimitStatement } from '../../src/sql/dialect.ts';
import { quoteIdentifier } from '../../src/sql/identifiers.ts';
import { eventSpec, uniqueName, urlOf, waitUntil } from './loader-support.ts';

const stack = inject('stack');
const DB = 'sluice_http_it';
const READ = 'read-token-0123456789abcdef';
const ADMIN = 'admin-token-0123456789abcdef';
const PASSWORD = 'Http-S3cret-Passw0rd';
const single: DbEndpoint = { ...stack.single, database: DB };
const head: DbEndpoint = { ...stack.cluster.head };
const BIG_ROWS = 400_000;
const SHARDED_ROWS = 200_000;

let app: ServiceApp;
let base: string;
let client: SluiceClient;
let db: Database;
const logLines: string[] = [];

const sourceUrl = `mysql://http_reader:${encodeURIComponent(PASSWORD)}@${single.host}:${single.port}/${DB}`;

beforeAll(async () => {
  await withSession(
    stack.single,
    async (s) => {
      await s.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(DB)}`);
      await s.query(`CREATE DATABASE ${quoteIdentifier(DB)}`);
      await s.query("DROP USER IF EXISTS 'http_reader'@'%'");
      await s.query(`CREATE USER 'http_reader'@'%' IDENTIFIED BY '${PASSWORD}'`);
      await s.query(`GRANT SELECT, PROCESS ON *.* TO 'http_reader'@'%'`);
      await s.query(`GRANT ALL ON ${quoteIdentifier(DB)}.* TO 'http_reader'@'%'`);
    },
    { withoutDatabase: true },
  );
  await withSession(single, async (s) => {
    await s.query(
      `CREATE TABLE typed (id INT PRIMARY KEY, amount DECIMAL(38,10), big BIGINT UNSIGNED, signed_big BIGINT,
        day DATE, at DATETIME(6), name VARCHAR(40), ratio DOUBLE, flag TINYINT(1))`,
    );
    const rows: unknown[][] = [];
    for (let id = 1; id <= 3000; id++) {
      const isNull = id % 7 === 0;
      rows.push([
        id,
        isNull ? null : `${id % 2 ? '-' : ''}${id * 7919}123456789012345678.${String(id).padStart(10, '7')}`,
        isNull ? null : (18446744073709551615n - BigInt(id)).toString(),
        isNull ? null : (-9007199254740993n * BigInt(id % 5)).toString(),
        isNull ? null : `20${String(id % 30).padStart(2, '0')}-0${(id % 9) + 1}-1${id % 10}`,
        isNull ? null : `1999-12-31 23:59:${String(id % 60).padStart(2, '0')}.${String(id).padStart(6, '0')}`,
        isNull ? null : `name, "${id}"\n#${id}`,
        isNull ? null : id / 7,
        isNull ? null : id % 2,
      ]);
    }
    await s.query('INSERT INTO typed VALUES ?', [rows]);
    await s.query('CREATE TABLE big (id INT PRIMARY KEY, payload VARCHAR(100))');
    await s.query(`INSERT INTO big SELECT seq, REPEAT('x', 80) FROM seq_1_to_${BIG_ROWS}`);
  });
  await createShardedTable(
    stack.cluster,
    'http_sharded',
    [
      { name: 'id', type: 'BIGINT NOT NULL' },
      { name: 'payload', type: 'VARCHAR(255) NOT NULL' },
    ],
    'id',
    { primaryKey: ['id'], ifExists: 'replace' },
  );
  await withSession(head, (s) =>
    s.query(`INSERT INTO http_sharded SELECT seq, REPEAT('y', 250) FROM seq_1_to_${SHARDED_ROWS}`),
  );

  const logSink = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  app = await buildServer(
    resolveServeConfig({
      sources: {
        single: { url: sourceUrl },
        cluster: { url: urlOf(head) },
        state: { url: urlOf(stack.single) },
      },
      pipelineState: 'state',
      tokens: [
        { token: READ, role: 'read', name: 'reader' },
        { token: ADMIN, role: 'admin', name: 'admin' },
      ],
      logger: { level: 'info', stream: logSink },
      limits: { timeoutMs: 60_000 },
      // The test machine is shared and busy: event-loop pressure is not what these tests check.
      pressure: { maxEventLoopDelayMs: 0 },
    }),
  );
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  client = new SluiceClient({ url: base, token: READ });
  db = await connect({ url: urlOf(single) });
});

afterAll(async () => {
  // Server errors (5xx) are logged at level 50; show them with the test output.
  for (const line of logLines) if (line.includes('"level":50')) process.stderr.write(line);
  await app?.close();
  await db?.close();
  await withSession(
    stack.single,
    async (s) => {
      await s.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(DB)}`);
      await s.query("DROP USER IF EXISTS 'http_reader'@'%'");
    },
    { withoutDatabase: true },
  );
  await withSession(head, (s) => s.query('DROP TABLE IF EXISTS http_sharded'));
});

const parseExact = (text: string) =>
  parseLossless(text, null, (n) => (isSafeNumber(n) ? Number(n) : /^-?\d+$/.test(n) ? BigInt(n) : Number(n)));

const TYPED_SQL = 'SELECT * FROM typed ORDER BY id';

describe('formats round-trip against the in-process frame', () => {
  it('Arrow: same schema (Decimal128, Uint64, dates, timestamps) and values as frame.toArrow()', async () => {
    const expected = await db.sql(TYPED_SQL).toArrow();
    const { table, truncated } = await client.query(TYPED_SQL, { source: 'single' });
    expect(truncated).toBeUndefined();
    expect(table.schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual(
      expected.schema.fields.map((f) => `${f.name}:${f.type}`),
    );
    expect(String(table.schema.fields[1]!.type)).toMatch(/^Decimal/);
    expect(String(table.schema.fields[2]!.type)).toBe('Uint64');
    expect(table.numRows).toBe(3000);
    expect(arrowToRows(table)).toEqual(arrowToRows(expected));
  });

  it('a frame sent as its JSON plan gives the same table as running it here', async () => {
    const frame = db
      .table('typed')
      .filter(col('id').gt(lit(2500)).and(col('big').isNotNull()))
      .select('id', 'amount', 'big', 'day');
    const expected = await frame.toArrow();
    const { table } = await client.query(frame, { source: 'single' });
    expect(table.numRows).toBe(expected.numRows);
    expect(table.numRows).toBeGreaterThan(400);
    expect(arrowToRows(table)).toEqual(arrowToRows(expected));
    const explained = await client.explain(frame, { source: 'single' });
    expect(explained.pushed_sql.join('\n')).toContain('WHERE');
  });

  it('federation: one request reads tables of two sources and joins them (SQL text and a JSON plan)', async () => {
    const headDb = await connect({ url: urlOf(head) });
    try {
      // Expected from each source on its own, joined here by id.
      const typed = await db.sql('SELECT id, amount FROM typed WHERE id <= 60 ORDER BY id').collect();
      const sharded = await headDb.sql('SELECT id, payload FROM http_sharded WHERE id <= 60').collect();
      const payloads = new Map(sharded.map((row) => [Number(row.id), row.payload]));
      const expected = typed.map((row) => ({
        id: row.id,
        amount: row.amount,
        payload: payloads.get(row.id as number),
      }));
      expect(expected).toHaveLength(60);

      const sql =
        'SELECT t.id, t.amount, s.payload FROM typed t JOIN cluster.http_sharded s ON s.id = t.id WHERE t.id <= 60 AND s.id <= 60 ORDER BY t.id';
      const { table } = await client.query(sql, { source: 'single' });
      expect(arrowToRows(table)).toEqual(expected);
      const explained = await client.explain(sql, { source: 'single' });
      expect(explained.pushed_sql).toHaveLength(2);
      expect(explained.explain).toContain('its inputs come from different connections');
      // The same text with ? parameters: its plan still reads from both sources.
      const withParams = await client.query(
        sql.replace('t.id <= 60 AND s.id <= 60', 't.id <= ? AND s.id <= ?'),
        {
          source: 'single',
          params: [60, 60],
        },
      );
      expect(arrowToRows(withParams.table)).toEqual(expected);

      const frame = db
        .table('typed')
        .filter(col('id').le(lit(60)))
        .select('id', 'amount')
        .join(
          headDb
            .table('http_sharded')
            .filter(col('id').le(lit(60)))
            .select('id', 'payload'),
          'id',
        )
        .orderBy('id');
      const viaPlan = await client.query(frame, { source: 'single', sources: { [headDb.id]: 'cluster' } });
      expect(arrowToRows(viaPlan.table)).toEqual(arrowToRows(await frame.toArrow()));
      expect(arrowToRows(viaPlan.table)).toEqual(expected);
    } finally {
      await headDb.close();
    }
  });

  it('NDJSON, JSON and CSV carry the values collect() returns, digit for digit', async () => {
    const expected = await db.sql(TYPED_SQL).collect();
    const { rows } = await client.rows(TYPED_SQL, { source: 'single' });
    expect(rows).toEqual(expected.map((row) => ({ ...row })));

    const json = await rawQuery({ sql: TYPED_SQL, source: 'single' }, 'application/json');
    expect(json.statusCode).toBe(200);
    const doc = parseExact(await text(json)) as { rows: unknown[]; row_count: number; columns: unknown[] };
    expect(doc.row_count).toBe(3000);
    expect(doc.rows).toEqual(expected);

    const csv = await rawQuery({ sql: TYPED_SQL, source: 'single' }, 'text/csv');
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const { parse } = await import('csv-parse/sync');
    const records = parse(await text(csv), { columns: true, relax_quotes: false }) as Record<
      string,
      string
    >[];
    expect(records.length).toBe(3000);
    expect(records).toEqual(
      expected.map((row) =>
        Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v === null ? '' : String(v)])),
      ),
    );
  });

  it('gzip by Accept-Encoding: the same Arrow stream, compressed', async () => {
    const plain = await app.inject({
      method: 'POST',
      url: '/v1/query',
      headers: { authorization: `Bearer ${READ}` },
      payload: { sql: TYPED_SQL, source: 'single' },
    });
    const zipped = await app.inject({
      method: 'POST',
      url: '/v1/query',
      headers: { authorization: `Bearer ${READ}`, 'accept-encoding': 'gzip' },
      payload: { sql: TYPED_SQL, source: 'single' },
    });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.rawPayload.length).toBeLessThan(plain.rawPayload.length);
    const unzipped = tableFromIPC(gunzipSync(zipped.rawPayload));
    expect(arrowToRows(unzipped)).toEqual(arrowToRows(tableFromIPC(plain.rawPayload)));
  });

  it('reads a Spider table on its leaves and streams it batch by batch', async () => {
    const stream = await client.stream('SELECT id, payload FROM http_sharded', { source: 'cluster' });
    let rows = 0;
    let sum = 0n;
    for await (const batch of stream) {
      rows += batch.numRows;
      const ids = batch.getChild('id')!;
      for (let i = 0; i < batch.numRows; i++) sum += BigInt(ids.get(i));
    }
    expect(rows).toBe(SHARDED_ROWS);
    expect(sum).toBe((BigInt(SHARDED_ROWS) * BigInt(SHARDED_ROWS + 1)) / 2n);
    expect(stream.truncated).toBeUndefined();
  });
});

describe('caps, errors after the first byte, cancel and time limits', () => {
  it('a row cap ends the result with a truncation marker in every format', async () => {
    const { table, truncated } = await client.query('SELECT id FROM big ORDER BY id', {
      source: 'single',
      limits: { maxRows: 1234 },
    });
    expect(table.numRows).toBe(1234);
    expect(truncated).toMatchObject({ reason: 'maxRows', rows: 1234 });
    const { rows, truncated: ndTruncated } = await client.rows('SELECT id FROM big', {
      source: 'single',
      limits: { maxRows: 10 },
    });
    expect(rows).toHaveLength(10);
    expect(ndTruncated).toMatchObject({ reason: 'maxRows', rows: 10 });
    const bytes = await client.query('SELECT * FROM big', {
      source: 'single',
      limits: { maxBytes: 3_000_000 },
    });
    expect(bytes.truncated).toMatchObject({ reason: 'maxBytes' });
    expect(bytes.truncated!.bytes).toBeLessThanOrEqual(3_000_000);
    expect(bytes.table.numRows).toBeLessThan(BIG_ROWS);
  });

  it('DELETE mid-stream: the reader sees an error (Arrow: no end-of-stream; NDJSON: a final error line)', async () => {
    const stream = await client.stream('SELECT * FROM big', { source: 'single', queryId: 'cancel-me-arrow' });
    let rows = 0;
    let cancelled: Promise<boolean> | undefined;
    const failure = (async () => {
      for await (const batch of stream) {
        // The reader keeps reading while the DELETE is answered: it gets the error trailer.
        cancelled ??= client.cancel('cancel-me-arrow');
        rows += batch.numRows;
      }
    })();
    await expect(failure).rejects.toMatchObject({ code: 'QUERY_CANCELLED' });
    expect(await cancelled).toBe(true);
    expect(rows).toBeLessThan(BIG_ROWS);
    await expectNoStatements([single], 'FROM `big`');

    const response = await rawQuery(
      { sql: 'SELECT * FROM big', source: 'single', query_id: 'cancel-me-ndjson' },
      'application/x-ndjson',
    );
    let body = '';
    let cancel: Promise<boolean> | undefined;
    for await (const chunk of response) {
      cancel ??= client.cancel('cancel-me-ndjson');
      body += String(chunk);
    }
    expect(await cancel).toBe(true);
    const last = JSON.parse(body.trimEnd().split('\n').at(-1)!);
    expect(last.error).toMatchObject({ code: 'QUERY_CANCELLED', query_id: 'cancel-me-ndjson' });
  });

  it('a client that disconnects mid-stream leaves no statement on the server or on any Spider leaf', async () => {
    for (const [source, sql, servers, marker] of [
      ['single', 'SELECT * FROM big', [single], 'FROM `big`'],
      ['cluster', 'SELECT * FROM http_sharded', stack.cluster.leaves, 'http_sharded'],
    ] as const) {
      const response = await rawQuery({ sql, source }, 'application/vnd.apache.arrow.stream');
      await new Promise((resolve) => response.once('readable', resolve));
      // The query is still streaming (the client holds it back by not reading) when it goes away.
      expect(app.sluice.queries.size).toBe(1);
      expect((await statements(servers, marker)).length).toBeGreaterThan(0);
      response.destroy();
      await expectNoStatements(servers, marker);
      await waitUntil('the query to be gone', async () => app.sluice.queries.size === 0, 5000);
    }
    const metrics = await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${READ}` } });
    expect(metrics.body).toMatch(/sluice_query_cancellations_total\{reason="disconnect"\} [1-9]/);
  });

  it('the database enforces the time limit; SLEEP beyond it is a 408 with a reason', async () => {
    const started = Date.now();
    const response = await app.inject({
      method: 'POST',
      url: '/v1/query',
      headers: { authorization: `Bearer ${READ}` },
      payload: { sql: 'SELECT SLEEP(20) AS s', source: 'single', limits: { timeoutMs: 400 } },
    });
    expect(response.statusCode).toBe(408);
    expect(response.json().error.code).toBe('QUERY_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(5000);
    await expectNoStatements([single], 'SLEEP(20)');
  });

  it('the statement runs read-only in the database itself (second layer)', async () => {
    await withSession(single, async (s) => {
      await s.query('CREATE TABLE IF NOT EXISTS scratch (id INT)');
      await expect(
        s.query(mariadbLimitStatement('INSERT INTO scratch VALUES (1)', { readOnly: true })),
      ).rejects.toThrow(/READ ONLY/);
      const [row] = await s.query<{ n: string | number }>('SELECT COUNT(*) AS n FROM scratch');
      expect(Number(row!.n)).toBe(0);
    });
  });
});

/** A query over node:http (fetch reads a body ahead without bound, which would hide backpressure). */
function rawQuery(body: Record<string, unknown>, accept: string): Promise<IncomingMessage> {
  const url = new URL(`${base}/v1/query`);
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      url,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${READ}`, accept, 'content-type': 'application/json' },
      },
      resolve,
    );
    request.on('error', reject);
    request.end(JSON.stringify(body));
  });
}

async function text(response: IncomingMessage): Promise<string> {
  let out = '';
  for await (const chunk of response) out += String(chunk);
  return out;
}

async function statements(servers: readonly DbEndpoint[], marker: string): Promise<string[]> {
  const found: string[] = [];
  for (const server of servers) {
    const rows = await withSession(server, (s) =>
      s.query<{ info: string | null }>(
        'SELECT INFO AS info FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() AND INFO LIKE ?',
        [`%${marker}%`],
      ),
    );
    for (const row of rows)
      if (row.info && !row.info.includes('PROCESSLIST')) found.push(`${server.port}: ${row.info}`);
  }
  return found;
}

async function expectNoStatements(servers: readonly DbEndpoint[], marker: string): Promise<void> {
  await waitUntil(
    'no statement left on the servers',
    async () => (await statements(servers, marker)).length === 0,
    10_000,
    async () => (await statements(servers, marker)).join('; '),
  );
}

describe('security', () => {
  const post = (payload: unknown, token: string | undefined = READ, url = '/v1/query') =>
    app.inject({
      method: 'POST',
      url,
      headers: token ? { authorization: `Bearer ${token}` } : {},
      payload: payload as Record<string, unknown>,
    });

  it('401 without a token or with a wrong one, 403 for a read token on pipeline changes; health is public', async () => {
    expect((await post({ sql: 'SELECT 1' }, '')).statusCode).toBe(401);
    expect((await post({ sql: 'SELECT 1' }, 'not-a-token-at-all-xxxxxx')).statusCode).toBe(401);
    const denied = await post({ name: 'x' }, READ, '/v1/pipelines');
    expect(denied.statusCode).toBe(403);
    expect(denied.json().error.message).toContain('admin');
    expect(
      (
        await app.inject({
          url: '/v1/pipelines/x/start',
          method: 'POST',
          headers: { authorization: `Bearer ${READ}` },
        })
      ).statusCode,
    ).toBe(403);
    expect((await app.inject({ url: '/health' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/metrics' })).statusCode).toBe(401);
  });

  it('refuses writes, files, several statements and system or state tables, saying why', async () => {
    const cases: [string, number, RegExp][] = [
      ['INSERT INTO typed (id) VALUES (99999)', 403, /only SELECT/],
      ['UPDATE typed SET id = 1', 403, /only SELECT/],
      ['DELETE FROM typed', 403, /only SELECT/],
      ['DROP TABLE typed', 403, /only SELECT/],
      ['CREATE TABLE t2 (a INT)', 403, /only SELECT/],
      ["SELECT id INTO OUTFILE '/tmp/sluice-http-out' FROM typed", 403, /INTO OUTFILE/],
      ["SELECT LOAD_FILE('/etc/passwd')", 403, /LOAD_FILE/],
      ['SELECT 1; SELECT 2', 403, /one statement/],
      ['SELECT * FROM mysql.user', 403, /system schema/],
      ['SELECT * FROM information_schema.PROCESSLIST', 403, /system schema/],
      ['SELECT * FROM sluice_pipelines', 403, /state tables/],
      ['SELECT * FROM other_db.t', 403, /allow list/],
      ['SELECT * FROM typed FOR UPDATE', 403, /locking/],
      ['SELEC * FROM typed', 400, /cannot be parsed/],
    ];
    for (const [sql, status, reason] of cases) {
      const response = await post({ sql, source: 'single' });
      expect({ sql, status: response.statusCode }).toEqual({ sql, status });
      expect(response.json().error.message).toMatch(reason);
    }
    const [row] = await withSession(single, (s) => s.query<{ n: number }>('SELECT COUNT(*) AS n FROM typed'));
    expect(Number(row!.n)).toBe(3000);
  });

  it('never shows the password: sources, explain, errors and logs', async () => {
    const sources = await app.inject({ url: '/v1/sources', headers: { authorization: `Bearer ${READ}` } });
    expect(sources.json().map((s: { name: string }) => s.name)).toEqual(['single', 'cluster', 'state']);
    const explain = await post(
      { sql: 'SELECT id FROM typed WHERE id = 3', source: 'single' },
      READ,
      '/v1/explain',
    );
    const error = await post({ sql: 'SELECT nope FROM typed', source: 'single' });
    expect(error.statusCode).toBe(400);
    for (const text of [sources.body, explain.body, error.body, logLines.join('')]) {
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain(encodeURIComponent(PASSWORD));
    }
    expect(explain.json().explain).toContain('http_reader@');
    expect(logLines.join('')).not.toContain(READ);
  });

  it('fuzz: thousands of generated and mutated SQL texts and JSON bodies never get a 5xx', async () => {
    let seed = 12345;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const seeds = [
      'SELECT id, amount FROM typed WHERE id < 10',
      'SELECT name, COUNT(*) AS n FROM typed GROUP BY name ORDER BY n DESC LIMIT 5',
      "SELECT id FROM typed WHERE name LIKE 'a%' OR day > '2020-01-01'",
      'SELECT t.id, u.id FROM typed t JOIN typed u ON t.id = u.id + 1 WHERE t.id < 20',
      'SELECT SUM(amount), MAX(big), MIN(at) FROM typed WHERE flag = 1',
      'SELECT id, CASE WHEN id % 2 = 0 THEN ratio ELSE NULL END AS r FROM typed LIMIT 7',
      'SELECT DISTINCT flag FROM typed',
      'SELECT id FROM typed WHERE id IN (1, 2, 3) UNION ALL SELECT id FROM typed WHERE id = 4',
    ];
    const tokens = [
      'SELECT',
      'FROM',
      'WHERE',
      '(',
      ')',
      ',',
      "'",
      '"',
      '`',
      ';',
      '--',
      '/*',
      '*',
      'NULL',
      '?',
      'UNION',
      'INTO',
      'typed',
      'mysql.user',
      '1e999',
      '-',
      'CAST(',
      'AS',
      'JOIN',
      'ORDER BY',
      'LIMIT',
      '\\',
      '\u0000',
      '🙂',
      'SLEEP(0)',
      '@@version',
      'GROUP BY',
      'HAVING',
      'OVER (',
    ];
    const mutate = (text: string): string => {
      const at = Math.floor(random() * (text.length + 1));
      switch (Math.floor(random() * 4)) {
        case 0:
          return text.slice(0, at) + pick(tokens) + text.slice(at);
        case 1:
          return text.slice(0, at) + text.slice(at + 1 + Math.floor(random() * 8));
        case 2:
          return text.slice(0, at) + ` ${pick(tokens)} ${pick(tokens)} ` + text.slice(at);
        default:
          return text
            .split(' ')
            .sort(() => random() - 0.5)
            .join(' ');
      }
    };
    const frame = db
      .table('typed')
      .filter(col('id').lt(lit(50)))
      .select('id', 'amount');
    const planJson = JSON.parse(JSON.stringify(frame.toJSON()));
    const mutateJson = (value: unknown, depth = 0): unknown => {
      if (depth > 6 || random() < 0.15)
        return pick([
          null,
          0,
          -1,
          1e308,
          'x',
          '',
          true,
          [],
          {},
          { kind: 'scan' },
          { kind: pick(['filter', 'literal', 'join']) },
          [1, 2],
        ]);
      if (Array.isArray(value)) return value.map((v) => mutateJson(v, depth + 1));
      if (value && typeof value === 'object') {
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(value))
          if (random() > 0.05) out[random() < 0.03 ? `${k}x` : k] = mutateJson(v, depth + 1);
        return out;
      }
      return random() < 0.2 ? pick(['drop', 7, null, { $bigint: '12' }, { $date: 'nope' }]) : value;
    };
    const statuses = new Map<number, number>();
    const failures: string[] = [];
    const check = async (payload: unknown, raw?: string) => {
      const response = await app.inject({
        method: 'POST',
        url: pick(['/v1/query', '/v1/explain']),
        headers: {
          authorization: `Bearer ${READ}`,
          'content-type': 'application/json',
          accept: pick(['*/*', 'application/x-ndjson', 'text/csv', 'application/json', 'image/png']),
        },
        payload: raw ?? JSON.stringify(payload),
      });
      statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
      if (response.statusCode >= 500)
        failures.push(
          `${response.statusCode} ${raw ?? JSON.stringify(payload)} -> ${response.body.slice(0, 300)}`,
        );
    };
    for (let i = 0; i < 1500; i++) {
      let sql = pick(seeds);
      for (let m = Math.floor(random() * 4); m >= 0; m--) sql = mutate(sql);
      await check({ sql, source: 'single', limits: { timeoutMs: 2000, maxRows: 100 } });
    }
    for (let i = 0; i < 600; i++)
      await check({ plan: mutateJson(planJson), source: 'single', limits: { timeoutMs: 2000 } });
    for (let i = 0; i < 300; i++) {
      const body = mutateJson({
        sql: pick(seeds),
        source: 'single',
        params: [1, 'a'],
        limits: { maxRows: 5 },
        format: 'json',
      }) as object;
      const raw =
        random() < 0.3 ? JSON.stringify(body).slice(0, Math.floor(random() * 40)) : JSON.stringify(body);
      await check(undefined, raw);
    }
    expect(failures).toEqual([]);
    expect((statuses.get(200) ?? 0) + (statuses.get(400) ?? 0) + (statuses.get(403) ?? 0)).toBeGreaterThan(
      1000,
    );
    expect(statuses.get(200) ?? 0).toBeGreaterThan(20);
    expect((await app.inject({ url: '/health' })).statusCode).toBe(200);
  });
});

describe('pipelines over HTTP on the real broker', () => {
  it('create → start → status lag falls to 0 → errors → stop → drop', async () => {
    const kafka = kafkaFor(stack.brokers);
    const name = uniqueName('http_pipe');
    await createTopic(kafka, name, 2);
    await withSession(stack.single, (s) => s.query(eventsTableSql(name)));
    const admin = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown) =>
      app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${ADMIN}` },
        ...(payload ? { payload: payload as object } : {}),
      });

    const bad = await admin('POST', '/v1/pipelines', { name, source: {}, target: {} });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message.split('\n').length).toBeGreaterThan(2);

    const spec = eventSpec(name, stack.brokers, name, { url: urlOf(stack.single) });
    const created = await admin('POST', '/v1/pipelines', spec);
    expect(created.statusCode).toBe(201);
    await produceEvents(kafka, {
      topic: name,
      partitions: 2,
      seed: 7,
      ids: range(1, 3000),
      payload: (id) => (id % 1000 === 0 ? 'not json' : eventJson(eventAt(7, id))),
    });
    const started = await admin('POST', `/v1/pipelines/${name}/start`);
    expect({ status: started.statusCode, body: started.json() }).toMatchObject({ status: 202 });
    await waitUntil(
      'lag 0 on every partition',
      async () => {
        const status = (await admin('GET', `/v1/pipelines/${name}`)).json();
        return (
          status.partitions.length === 2 &&
          status.partitions.every((p: { lag: number | null }) => p.lag === 0)
        );
      },
      60_000,
    );
    const status = (await admin('GET', `/v1/pipelines/${name}`)).json();
    expect(status.runner.state).toBe('running');
    expect(JSON.stringify(status)).not.toContain(':@');
    const listed = (
      await app.inject({ url: '/v1/pipelines', headers: { authorization: `Bearer ${READ}` } })
    ).json();
    expect(listed.find((p: { name: string }) => p.name === name)).toMatchObject({ runningHere: true });
    const errors = (
      await app.inject({
        url: `/v1/pipelines/${name}/errors?limit=2`,
        headers: { authorization: `Bearer ${READ}` },
      })
    ).json();
    expect(errors.errors).toHaveLength(2);
    expect(errors.more).toBe(true);
    const [count] = await withSession(stack.single, (s) =>
      s.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${quoteIdentifier(name)}`),
    );
    expect(Number(count!.n)).toBe(3000 - 3);

    expect((await admin('POST', `/v1/pipelines/${name}/stop`)).json()).toEqual({
      pipeline: name,
      desiredState: 'stopped',
    });
    expect((await admin('DELETE', `/v1/pipelines/${name}`)).statusCode).toBe(200);
    expect((await admin('GET', `/v1/pipelines/${name}`)).statusCode).toBe(404);
    await withSession(stack.single, (s) => s.query(`DROP TABLE ${quoteIdentifier(name)}`));
    await sleep(10);
  });
});
