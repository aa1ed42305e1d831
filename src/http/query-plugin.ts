/**
 * `POST /v1/query`, `POST /v1/explain`, `DELETE /v1/query/:id`, `GET /v1/queries`.
 *
 * A query is checked (read-only, allowed tables), planned like `db.sql()` / `db.fromPlan()`, and
 * streamed: the first batch is awaited before any byte is sent, so errors up to then are plain
 * HTTP errors; later ones end the stream the way its format says (src/http/formats.ts). The
 * stream is pulled by the socket (Readable.from over the batches), so a slow client holds the
 * database back instead of filling memory. A client that goes away cancels the query: the reply's
 * socket 'close' before the response finished aborts the query's signal (the request's own
 * 'close' fires as soon as the body is read: fastify#4690).
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { Type } from '@fastify/type-provider-typebox';
import type { RecordBatch } from 'apache-arrow';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RequestError, SluiceError } from '../base/errors.ts';
import type { Database, PointStatement } from '../frame/database.ts';
import type { LazyFrame } from '../frame/lazy-frame.ts';
import { bindParams } from '../frame/sql-text/params.ts';
import { planLeaves } from '../plan/nodes.ts';
import { tableNameParts } from '../sql/identifiers.ts';
import type { QueryLimits } from './config.ts';
import { errorAnswer } from './errors.ts';
import { createEncoder, FORMATS, type FormatName, negotiateFormat, type Truncation } from './formats.ts';
import { pointBody } from './point-answer.ts';
import { checkReadOnly, checkReadOnlyCached, type TableRead } from './read-only.ts';
import type { CancelReason, RunningQuery } from './registry.ts';
import type { ServiceApp, ServiceContext } from './service.ts';

const Limits = Type.Object(
  {
    maxRows: Type.Optional(
      Type.Integer({
        minimum: 0,
        description: 'Rows before the result is truncated (0: the server ceiling)',
      }),
    ),
    maxBytes: Type.Optional(
      Type.Integer({ minimum: 0, description: 'Encoded bytes before the result is truncated' }),
    ),
    timeoutMs: Type.Optional(
      Type.Integer({ minimum: 1, description: 'Time the database gives each statement' }),
    ),
  },
  { additionalProperties: false },
);

const Param = Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()]);

export const QueryBody = Type.Object(
  {
    sql: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 1_000_000,
        description: 'One SELECT, `?` placeholders for params',
      }),
    ),
    plan: Type.Optional(
      Type.Object({}, { additionalProperties: true, description: 'LazyFrame.toJSON() of a frame' }),
    ),
    source: Type.Optional(
      Type.String({
        maxLength: 64,
        description: 'A source name (GET /v1/sources); optional with one source',
      }),
    ),
    sources: Type.Optional(
      Type.Record(Type.String({ maxLength: 64 }), Type.String({ maxLength: 64 }), {
        description:
          'For a plan over several connections: each source id in the plan (`db2`) → a source name. SQL text names other sources as `name.table` instead.',
      }),
    ),
    params: Type.Optional(Type.Array(Param, { maxItems: 10_000 })),
    limits: Type.Optional(Limits),
    query_id: Type.Optional(Type.String({ maxLength: 128 })),
    format: Type.Optional(
      Type.Union(
        Object.keys(FORMATS).map((name) => Type.Literal(name)),
        { description: 'Overrides Accept' },
      ),
    ),
  },
  { additionalProperties: false },
);
type QueryBodyType = {
  sql?: string;
  plan?: Record<string, unknown>;
  source?: string;
  sources?: Record<string, string>;
  params?: (string | number | boolean | null)[];
  limits?: Partial<QueryLimits>;
  query_id?: string;
  format?: string;
};

const ErrorSchema = Type.Object({
  error: Type.Object({
    code: Type.String(),
    message: Type.String(),
    retriable: Type.Boolean(),
    query_id: Type.Optional(Type.String()),
    context: Type.Optional(Type.Unknown()),
  }),
});

export const QUERY_ID_HEADER = 'x-sluice-query-id';

/** Plans the request's SQL text or JSON plan on its source, after the read-only checks. */
async function frameFor(
  ctx: ServiceContext,
  body: QueryBodyType,
): Promise<{ source: string; frame: LazyFrame }> {
  if ((body.sql === undefined) === (body.plan === undefined)) {
    throw new RequestError(
      'CONFIG_INVALID',
      'send either sql (SQL text) or plan (LazyFrame.toJSON()), not both or neither',
    );
  }
  const { name, db, allowlist } = await ctx.sources.database(body.source);
  if (body.sql !== undefined) {
    const params = body.params ?? [];
    const others = ctx.sources.otherAllowlists(name);
    // A value in a placeholder cannot change what the statement does, so the text with its `?`
    // is what is checked (once per text); text the checker cannot read with `?` is checked bound.
    let tables: TableRead[];
    try {
      tables = checkReadOnlyCached(body.sql, allowlist, others);
    } catch (error) {
      if (params.length === 0 || (error as SluiceError).code !== 'SQL_UNREADABLE') throw error;
      tables = checkReadOnly(bindParams(body.sql, params), allowlist, others);
    }
    // `other.table` reads another source: the query is federated over the sources it names.
    const sources: Record<string, Database> = {};
    for (const { source } of tables)
      if (source && !sources[source]) sources[source] = (await ctx.sources.database(source)).db;
    return { source: name, frame: db.sql(body.sql, { params, sources }) };
  }
  if (body.params && body.params.length > 0)
    throw new RequestError('CONFIG_INVALID', 'params go with sql; a plan carries its values');
  // A plan over several connections names, for each of its own source ids, a source of this server.
  const sources: Record<string, Database> = {};
  const allowlists = new Map([[db.id, allowlist]]);
  for (const [planSource, sourceName] of Object.entries(body.sources ?? {})) {
    const other = await ctx.sources.database(sourceName);
    sources[planSource] = other.db;
    allowlists.set(other.db.id, other.allowlist);
  }
  const frame = db.fromPlan(body.plan, { sources });
  for (const leaf of planLeaves(frame.plan)) {
    const list = allowlists.get(leaf.kind === 'values' ? db.id : leaf.source) ?? allowlist;
    if (leaf.kind === 'sqlText') checkReadOnly(leaf.sql, list);
    else if (leaf.kind === 'scan') {
      const { schema, table } = tableNameParts(leaf.table);
      const why = list.denies(schema, table);
      if (why) throw new RequestError('FORBIDDEN', why, { table: leaf.table });
    }
  }
  return { source: name, frame };
}

/** The request's limits, within the server's ceilings (0 means none for rows and bytes). */
function effectiveLimits(ctx: ServiceContext, asked: Partial<QueryLimits> | undefined): QueryLimits {
  const pick = (key: keyof QueryLimits): number => {
    const ceiling = ctx.config.ceilings[key];
    const value = asked?.[key] ?? ctx.config.limits[key];
    if (ceiling > 0 && (value === 0 || value > ceiling)) return ceiling;
    return value;
  };
  return { maxRows: pick('maxRows'), maxBytes: pick('maxBytes'), timeoutMs: pick('timeoutMs') };
}

type Encoding = 'gzip' | 'zstd' | 'identity';

/** gzip, or zstd where this Node's zlib has it (Node 22.15+; not Node 20). */
function negotiateEncoding(header: string | undefined): Encoding {
  if (!header) return 'identity';
  const offered = header
    .split(',')
    .map((part) => {
      const [name, ...params] = part.trim().toLowerCase().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { name: name!.trim(), q: q ? Number(q.slice(2)) : 1 };
    })
    .filter((entry) => entry.q > 0)
    .sort((a, b) => b.q - a.q);
  for (const { name } of offered) {
    if (
      name === 'zstd' &&
      typeof (zlib as { createZstdCompress?: unknown }).createZstdCompress === 'function'
    )
      return 'zstd';
    if (name === 'gzip') return 'gzip';
  }
  return 'identity';
}

function compressor(encoding: Encoding): NodeJS.ReadWriteStream | undefined {
  if (encoding === 'gzip') return zlib.createGzip({ level: 1 });
  if (encoding === 'zstd')
    return (zlib as unknown as { createZstdCompress: () => NodeJS.ReadWriteStream }).createZstdCompress();
  return undefined;
}

/** A compressed body in one piece (a small whole answer). */
function compressWhole(encoding: Exclude<Encoding, 'identity'>, body: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const done = (error: Error | null, out: Buffer) => (error ? reject(error) : resolve(out));
    if (encoding === 'gzip') zlib.gzip(body, { level: 1 }, done);
    else (zlib as unknown as { zstdCompress: typeof zlib.gzip }).zstdCompress(body, done);
  });
}

/** The iterator with one item it already gave put back in front. */
function prepend<T>(item: T, rest: AsyncIterator<T>): AsyncIterator<T> {
  let given = false;
  return {
    next: () => {
      if (given) return rest.next();
      given = true;
      return Promise.resolve({ value: item, done: false });
    },
    return: (value?: unknown) => rest.return?.(value) ?? Promise.resolve({ value: undefined, done: true }),
  };
}

/** Rows below which a first batch may be the whole result (reader batches hold tens of thousands). */
const WHOLE_ANSWER_ROWS = 1024;

const BYTE_CAP_PIECE_ROWS = 1024;

function slices(batch: RecordBatch, rows: number): RecordBatch[] {
  if (batch.numRows <= rows) return [batch];
  const out: RecordBatch[] = [];
  for (let start = 0; start < batch.numRows; start += rows) out.push(batch.slice(start, start + rows));
  return out;
}

/**
 * The encoded result as bytes, batch by batch, ending as the format says. Caps cut the result at
 * a batch boundary (rows: inside the batch) and end with the truncation marker.
 */
async function* encodeResult(
  first: RecordBatch,
  rest: AsyncIterator<RecordBatch>,
  format: FormatName,
  query: RunningQuery,
  limits: QueryLimits,
  ctx: ServiceContext,
  onFirstByte: () => void,
): AsyncGenerator<Uint8Array> {
  const encoder = createEncoder(format, query.id);
  let truncation: Truncation | undefined;
  let batch: RecordBatch | undefined = first;
  let sentAny = false;
  try {
    while (batch) {
      if (limits.maxRows > 0 && query.rows + batch.numRows > limits.maxRows) {
        batch = batch.slice(0, limits.maxRows - query.rows);
        truncation = { reason: 'maxRows', rows: 0, bytes: 0 };
      }
      // Under a byte cap, batches go out in small pieces so the cut lands close to the cap.
      const pieces = limits.maxBytes > 0 ? slices(batch, BYTE_CAP_PIECE_ROWS) : [batch];
      for (const piece of pieces) {
        const bytes = encoder.batch(piece);
        if (limits.maxBytes > 0 && query.bytes + bytes.byteLength > limits.maxBytes && sentAny) {
          truncation = { reason: 'maxBytes', rows: 0, bytes: 0 };
          break;
        }
        query.rows += piece.numRows;
        query.bytes += bytes.byteLength;
        ctx.metrics.rowsOut.inc({ format }, piece.numRows);
        ctx.metrics.bytesOut.inc({ format }, bytes.byteLength);
        if (!sentAny) onFirstByte();
        sentAny = true;
        yield bytes;
      }
      if (truncation) break;
      const next = await rest.next();
      batch = next.done ? undefined : next.value;
    }
    if (truncation) {
      truncation = { ...truncation, rows: query.rows, bytes: query.bytes };
      // Stop the database now: the rest of the result will not be read.
      await rest.return?.();
    }
    const end = encoder.end(truncation, query.rows);
    if (end.byteLength > 0) yield end;
    ctx.metrics.queries.inc({ status: truncation ? 'truncated' : 'ok', format });
  } catch (error) {
    const reason = query.cancelled;
    ctx.metrics.queries.inc({ status: reason ? 'cancelled' : 'error', format });
    const answer = errorAnswer(reason ? query.controller.signal.reason : error, query.id).body.error;
    ctx.log.warn({ query_id: query.id, err: error, reason }, 'query failed after its first byte');
    yield encoder.fail(
      { code: answer.code, message: answer.message, query_id: query.id, retriable: answer.retriable },
      query.rows,
    );
  } finally {
    await rest.return?.().catch(() => undefined);
  }
}

export async function queryPlugin(app: ServiceApp, ctx: ServiceContext): Promise<void> {
  app.post(
    '/v1/query',
    {
      config: { role: 'read' },
      schema: {
        summary: 'Run a query; the result streams as Arrow IPC (default), NDJSON, JSON or CSV by Accept',
        tags: ['query'],
        body: QueryBody,
        headers: Type.Object({ [QUERY_ID_HEADER]: Type.Optional(Type.String({ maxLength: 128 })) }),
        response: {
          200: {
            description:
              'The result, streamed. Its end says complete, truncated or failed (see docs/http.md).',
            content: Object.fromEntries(
              Object.values(FORMATS).map((mime) => [mime, { schema: Type.String() }]),
            ),
          },
          '4xx': ErrorSchema,
          '5xx': ErrorSchema,
        },
      },
    },
    async (request, reply) => runQuery(ctx, request, reply, request.body as QueryBodyType),
  );

  app.post(
    '/v1/explain',
    {
      config: { role: 'read' },
      schema: {
        summary: 'The plan, the SQL each database runs and the local steps (nothing runs)',
        tags: ['query'],
        body: QueryBody,
        response: {
          200: Type.Object({
            source: Type.String(),
            explain: Type.String(),
            pushed_sql: Type.Array(Type.String()),
          }),
          '4xx': ErrorSchema,
        },
      },
    },
    async (request) => {
      const body = request.body as QueryBodyType;
      const { source, frame } = await frameFor(ctx, body);
      const explain = frame.explain();
      const lines = explain.split('\n');
      // renderExplain: a 'qN on dbN (dialect, url):' line, then the SQL indented on the next.
      const pushed = lines.flatMap((line, i) =>
        /^\S+ on \S+ \(.*\):$/.test(line) && lines[i + 1] ? [lines[i + 1]!.trim()] : [],
      );
      return { source, explain, pushed_sql: pushed };
    },
  );

  app.delete(
    '/v1/query/:id',
    {
      config: { role: 'read' },
      schema: {
        summary: 'Cancel a running query (its statements are killed on every server)',
        tags: ['query'],
        params: Type.Object({ id: Type.String({ maxLength: 128 }) }),
        response: {
          200: Type.Object({ query_id: Type.String(), cancelled: Type.Boolean() }),
          '4xx': ErrorSchema,
        },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const query = ctx.queries.get(id);
      if (!query) throw new RequestError('QUERY_NOT_FOUND', `no running query '${id}'`, { query_id: id });
      const principal = request.principal;
      if (principal && principal.role !== 'admin' && principal.name !== query.principal) {
        throw new RequestError('FORBIDDEN', 'a query can be cancelled by whoever started it, or an admin');
      }
      const cancelled = ctx.queries.cancel(query, 'delete');
      if (cancelled) ctx.metrics.cancellations.inc({ reason: 'delete' });
      // A client that reads gets the error trailer; one that does not read holds the stream at a
      // write, so after five seconds its response is cut (which also ends the reads).
      const settled = await Promise.race([
        query.done?.then(() => true),
        new Promise((r) => setTimeout(r, 5000, false)),
      ]);
      if (!settled) query.stop?.();
      await query.done;
      return { query_id: id, cancelled };
    },
  );

  app.get(
    '/v1/queries',
    {
      config: { role: 'read' },
      schema: {
        summary: 'Queries running now',
        tags: ['query'],
        response: {
          200: Type.Array(
            Type.Object({
              query_id: Type.String(),
              source: Type.String(),
              format: Type.String(),
              started_at: Type.String(),
              rows: Type.Number(),
              bytes: Type.Number(),
            }),
          ),
        },
      },
    },
    async () =>
      ctx.queries.list().map((q) => ({
        query_id: q.id,
        source: q.source,
        format: q.format,
        started_at: new Date(q.startedAt).toISOString(),
        rows: q.rows,
        bytes: q.bytes,
      })),
  );
}

/** A result in one piece, with a length (compressed as Accept-Encoding asks). */
async function sendWhole(
  request: FastifyRequest,
  reply: FastifyReply,
  contentType: string,
  body: Buffer,
): Promise<FastifyReply> {
  reply.header('content-type', contentType);
  reply.header('cache-control', 'no-store');
  reply.header('vary', 'accept, accept-encoding');
  const encoding = negotiateEncoding(request.headers['accept-encoding']);
  if (encoding === 'identity') return reply.send(body);
  reply.header('content-encoding', encoding);
  return reply.send(await compressWhole(encoding, body));
}

/**
 * SQL text that comes down to one statement answered with a few rows by key (see
 * `Database.pointStatement`), after the same read-only and allowlist checks as any query: read
 * as the server's row bytes and written without Arrow batches (src/http/point-answer.ts).
 * Anything else, and text these checks cannot read, goes the general way.
 */
async function pointFor(
  ctx: ServiceContext,
  body: QueryBodyType,
): Promise<{ source: string; db: Database; statement: PointStatement; frame?: undefined } | undefined> {
  if (
    !ctx.config.pointReads ||
    body.sql === undefined ||
    body.plan !== undefined ||
    body.sources !== undefined
  )
    return undefined;
  const { name, db, allowlist } = await ctx.sources.database(body.source);
  let tables: TableRead[];
  try {
    tables = checkReadOnlyCached(body.sql, allowlist, ctx.sources.otherAllowlists(name));
  } catch {
    return undefined;
  }
  if (tables.some((table) => table.source)) return undefined;
  const statement = await db.pointStatement(body.sql, body.params ?? []);
  return statement ? { source: name, db, statement } : undefined;
}

async function runQuery(
  ctx: ServiceContext,
  request: FastifyRequest,
  reply: FastifyReply,
  body: QueryBodyType,
): Promise<FastifyReply> {
  const started = performance.now();
  const format = negotiateFormat(request.headers.accept, body.format);
  if (!format) {
    throw new RequestError(
      'NOT_ACCEPTABLE',
      `none of the formats in Accept is offered; offered: ${Object.values(FORMATS).join(', ')}`,
    );
  }
  const rejected = (error: unknown): never => {
    ctx.metrics.queries.inc({ status: 'rejected', format });
    throw error;
  };
  const point = await pointFor(ctx, body).catch(rejected);
  const { source, frame } = point ?? (await frameFor(ctx, body).catch(rejected));
  const limits = effectiveLimits(ctx, body.limits);
  const headerId = request.headers[QUERY_ID_HEADER];
  const query = ctx.queries.begin({
    // Without an id of its own, the query takes the request's (a UUID made by genReqId).
    id: body.query_id ?? (typeof headerId === 'string' ? headerId : request.id),
    source,
    format,
    principal: request.principal?.name ?? 'anonymous',
  });
  let finish!: () => void;
  query.done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  // Every log line of the request carries its id; a query id of another value is added to them.
  if (query.id !== request.id) request.log = request.log.child({ query_id: query.id });
  ctx.metrics.active.inc();
  reply.header('x-sluice-query-id', query.id);
  const cancel = (reason: CancelReason) => {
    if (ctx.queries.cancel(query, reason)) ctx.metrics.cancellations.inc({ reason });
  };
  // Whatever the database does, the server gives up a little after the time limit.
  const guard =
    limits.timeoutMs > 0 ? setTimeout(() => cancel('timeout'), limits.timeoutMs + 2000) : undefined;
  guard?.unref();
  // fastify#4690: the reply's socket, not the request, tells that the client went away.
  let ended = false;
  const onClose = () => {
    if (!ended) cancel('disconnect');
  };
  reply.raw.once('close', onClose);
  const cleanup = () => {
    clearTimeout(guard);
    reply.raw.off('close', onClose);
    ctx.queries.end(query);
    ctx.metrics.active.dec();
    finish();
  };
  let iterator: AsyncIterator<RecordBatch> | undefined;
  try {
    const statementLimits = { readOnly: true, maxStatementMs: limits.timeoutMs };
    if (point) {
      ctx.metrics.pointReads.inc();
      const result = await point.db.readPoint(point.statement, body.params ?? [], {
        signal: query.controller.signal,
        limits: statementLimits,
      });
      const answer = pointBody(result, format, query.id, limits.maxRows, { decimalAs: point.db.decimalAs });
      query.rows = answer.rows;
      query.bytes = answer.bytes;
      ctx.metrics.rowsOut.inc({ format }, answer.rows);
      ctx.metrics.bytesOut.inc({ format }, answer.bytes);
      ctx.metrics.firstByte.observe((performance.now() - started) / 1000);
      ctx.metrics.queries.inc({ status: answer.truncation ? 'truncated' : 'ok', format });
      ended = true;
      cleanup();
      return sendWhole(request, reply, answer.contentType, answer.body);
    }
    iterator = frame!
      .stream({
        signal: query.controller.signal,
        limits: statementLimits,
      })
      [Symbol.asyncIterator]();
    const first = await iterator.next();
    if (first.done) throw new SluiceError('PLAN_INVALID', 'the query returned no schema');
    const encoding = negotiateEncoding(request.headers['accept-encoding']);
    const onFirstByte = () => ctx.metrics.firstByte.observe((performance.now() - started) / 1000);
    const contentType = createEncoder(format, query.id).contentType;
    reply.header('content-type', contentType);
    reply.header('cache-control', 'no-store');
    reply.header('vary', 'accept, accept-encoding');
    let rest: AsyncIterator<RecordBatch> = iterator;
    // A short first batch usually means the result ended (a point lookup): when the next pull says
    // so, the whole answer goes out as one body with a length instead of a chunked stream.
    if (first.value.numRows < WHOLE_ANSWER_ROWS) {
      const second = await iterator.next();
      if (second.done) {
        const chunks: Uint8Array[] = [];
        for await (const chunk of encodeResult(
          first.value,
          iterator,
          format,
          query,
          limits,
          ctx,
          onFirstByte,
        ))
          chunks.push(chunk);
        ended = true;
        cleanup();
        return sendWhole(request, reply, contentType, Buffer.concat(chunks));
      }
      rest = prepend(second.value, iterator);
    }
    const bytes = Readable.from(encodeResult(first.value, rest, format, query, limits, ctx, onFirstByte), {
      objectMode: false,
      highWaterMark: 1,
    });
    const zip = compressor(encoding);
    let out: Readable = bytes;
    if (zip) {
      reply.header('content-encoding', encoding);
      out = zip as unknown as Readable;
      pipeline(bytes, zip).catch(() => undefined);
    }
    bytes.once('end', () => {
      ended = true;
    });
    bytes.once('close', cleanup);
    query.stop = () => {
      if (!out.destroyed) out.destroy();
      if (!bytes.destroyed) bytes.destroy();
    };
    reply.raw.once('close', query.stop);
    return reply.send(out);
  } catch (error) {
    ended = true;
    await iterator?.return?.().catch(() => undefined);
    cleanup();
    if (query.cancelled) throw query.controller.signal.reason;
    ctx.metrics.queries.inc({ status: 'error', format });
    throw error;
  }
}
