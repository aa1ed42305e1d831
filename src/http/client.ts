/**
 * A small client for `sluice serve`: SQL text or a frame in, an Arrow Table or a stream of
 * RecordBatches out, with the server's truncation and error trailers turned into a result field
 * and a thrown error. Uses node:http, not fetch: undici's fetch reads a response body ahead of its
 * reader without bound, so a slow consumer would buffer a whole result instead of holding the
 * server back.
 *
 * @example
 * const client = new SluiceClient({ url: 'http://127.0.0.1:8080', token: process.env.SLUICE_TOKEN });
 * const { table, truncated } = await client.query('SELECT * FROM orders WHERE id > ?', { params: [10] });
 */
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { type RecordBatch, RecordBatchReader, type Table, tableFromIPC } from 'apache-arrow';
import { type ErrorCode, RequestError } from '../base/errors.ts';
import type { QueryLimits } from './config.ts';
import { ARROW_EOS, ERROR_TAG, FORMATS, TRUNCATED_TAG, type Truncation } from './formats.ts';

export interface ClientOptions {
  /** The server's base URL, e.g. http://127.0.0.1:8080 */
  readonly url: string;
  readonly token?: string;
}

export interface QueryOptions {
  readonly source?: string;
  /** For a frame over several connections: each connection's id in the plan (`db2`) → a source name. */
  readonly sources?: Readonly<Record<string, string>>;
  readonly params?: readonly (string | number | boolean | null)[];
  readonly limits?: Partial<QueryLimits>;
  readonly queryId?: string;
  readonly signal?: AbortSignal;
}

/** Anything with a plan to send: a LazyFrame. */
export interface PlanCarrier {
  toJSON(): unknown;
}

export interface QueryResult {
  readonly table: Table;
  readonly queryId: string;
  /** Set when a row or byte cap cut the result. */
  readonly truncated?: Truncation;
}

export interface BatchStream extends AsyncIterable<RecordBatch> {
  readonly queryId: string;
  /** Known once the iteration has ended. */
  readonly truncated: Truncation | undefined;
}

const decoder = new TextDecoder();
const TAG_BYTES = 8;

function tagOf(bytes: Uint8Array): string | undefined {
  if (bytes.byteLength < TAG_BYTES + 4) return undefined;
  const tag = decoder.decode(bytes.subarray(bytes.byteLength - TAG_BYTES));
  return tag === ERROR_TAG || tag === TRUNCATED_TAG ? tag : undefined;
}

/** Splits a trailer `<JSON><u32 length><tag>` off the end of the bytes. */
function splitTrailer(bytes: Uint8Array): {
  body: Uint8Array;
  tag?: string;
  trailer?: Record<string, unknown>;
} {
  const tag = tagOf(bytes);
  if (!tag) return { body: bytes };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(bytes.byteLength - TAG_BYTES - 4, true);
  const start = bytes.byteLength - TAG_BYTES - 4 - length;
  if (start < 0) return { body: bytes };
  const trailer = JSON.parse(decoder.decode(bytes.subarray(start, start + length))) as Record<
    string,
    unknown
  >;
  return { body: bytes.subarray(0, start), tag, trailer };
}

function endsWithEos(bytes: Uint8Array): boolean {
  if (bytes.byteLength < ARROW_EOS.byteLength) return false;
  const tail = bytes.subarray(bytes.byteLength - ARROW_EOS.byteLength);
  return tail.every((b, i) => b === ARROW_EOS[i]);
}

function serverError(
  body: { code?: string; message?: string } | undefined,
  queryId: string,
  status?: number,
): RequestError {
  return new RequestError(
    (body?.code ?? 'DB_ERROR') as ErrorCode,
    body?.message ?? `the server answered ${status ?? 'an error'}`,
    { query_id: queryId, ...(status ? { status } : {}) },
  );
}

export class SluiceClient {
  private readonly base: string;

  constructor(private readonly options: ClientOptions) {
    this.base = options.url.replace(/\/+$/, '');
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return {
      ...(this.options.token ? { authorization: `Bearer ${this.options.token}` } : {}),
      ...extra,
    };
  }

  private body(what: string | PlanCarrier, options: QueryOptions): string {
    return JSON.stringify({
      ...(typeof what === 'string' ? { sql: what } : { plan: what.toJSON() }),
      ...(options.source ? { source: options.source } : {}),
      ...(options.sources ? { sources: options.sources } : {}),
      ...(options.params ? { params: options.params } : {}),
      ...(options.limits ? { limits: options.limits } : {}),
      ...(options.queryId ? { query_id: options.queryId } : {}),
    });
  }

  /** One request; resolves with the response once its headers are in (the body not yet read). */
  private send(
    method: string,
    path: string,
    body: string | undefined,
    accept: string,
    signal?: AbortSignal,
  ): Promise<IncomingMessage> {
    const url = new URL(`${this.base}${path}`);
    const transport = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const request = transport.request(
        url,
        {
          method,
          headers: this.headers({
            accept,
            ...(body === undefined
              ? {}
              : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }),
          }),
          ...(signal ? { signal } : {}),
        },
        resolve,
      );
      request.on('error', reject);
      request.end(body);
    });
  }

  private async post(
    path: string,
    what: string | PlanCarrier,
    options: QueryOptions,
    accept: string,
  ): Promise<IncomingMessage> {
    const response = await this.send('POST', path, this.body(what, options), accept, options.signal);
    if ((response.statusCode ?? 500) >= 400) throw await errorOf(response);
    return response;
  }

  /** The whole result as one Arrow Table; a failure after the first byte throws. */
  async query(what: string | PlanCarrier, options: QueryOptions = {}): Promise<QueryResult> {
    const response = await this.post('/v1/query', what, options, FORMATS.arrow);
    const queryId = headerOf(response);
    const bytes = await readAll(response);
    const { body, tag, trailer } = splitTrailer(bytes);
    if (tag === ERROR_TAG) throw serverError(trailer?.error as { code?: string; message?: string }, queryId);
    if (!endsWithEos(body))
      throw serverError({ code: 'DB_ERROR', message: 'the result stream was cut before its end' }, queryId);
    return {
      table: tableFromIPC(body),
      queryId,
      ...(tag === TRUNCATED_TAG ? { truncated: trailer?.truncated as Truncation } : {}),
    };
  }

  /** The result batch by batch as it arrives; a failure after the first byte throws from the iteration. */
  async stream(what: string | PlanCarrier, options: QueryOptions = {}): Promise<BatchStream> {
    const response = await this.post('/v1/query', what, options, FORMATS.arrow);
    const queryId = headerOf(response);
    const state: { truncated?: Truncation; error?: RequestError } = {};
    const source = response as AsyncIterable<Uint8Array>;
    // Holds back the tail of the stream: a trailer is only recognizable once the body has ended.
    async function* withoutTrailer(): AsyncGenerator<Uint8Array> {
      const HOLD = 64 * 1024;
      let held = new Uint8Array(0);
      try {
        for await (const chunk of source) {
          const joined = new Uint8Array(held.byteLength + chunk.byteLength);
          joined.set(held, 0);
          joined.set(chunk, held.byteLength);
          if (joined.byteLength > HOLD) {
            yield joined.subarray(0, joined.byteLength - HOLD);
            held = joined.slice(joined.byteLength - HOLD);
          } else held = joined;
        }
      } catch (error) {
        state.error = new RequestError(
          'READ_ABORTED',
          `the connection was cut before the result ended: ${(error as Error).message}`,
          { query_id: queryId },
        );
        return;
      }
      const { body, tag, trailer } = splitTrailer(held);
      if (tag === ERROR_TAG)
        state.error = serverError(trailer?.error as { code?: string; message?: string }, queryId);
      else if (tag === TRUNCATED_TAG) state.truncated = trailer?.truncated as Truncation;
      else if (!endsWithEos(body))
        state.error = serverError(
          { code: 'DB_ERROR', message: 'the result stream was cut before its end' },
          queryId,
        );
      if (body.byteLength > 0) yield body;
    }
    async function* batches(): AsyncGenerator<RecordBatch> {
      try {
        const reader = await RecordBatchReader.from(withoutTrailer());
        for await (const batch of reader) yield batch;
      } catch (error) {
        // A cut stream makes the Arrow reader fail on a short message: the cause is the cut.
        throw state.error ?? error;
      } finally {
        // Leaving early closes the connection: the server cancels the query.
        if (!response.complete) response.destroy();
      }
      if (state.error) throw state.error;
    }
    return {
      queryId,
      get truncated() {
        return state.truncated;
      },
      [Symbol.asyncIterator]: () => batches(),
    };
  }

  /** The result as rows of NDJSON (values as the server writes them: exact digits for big numbers). */
  async rows(
    what: string | PlanCarrier,
    options: QueryOptions = {},
  ): Promise<{ rows: Record<string, unknown>[]; truncated?: Truncation }> {
    const response = await this.post('/v1/query', what, options, FORMATS.ndjson);
    const queryId = headerOf(response);
    const { parse, isSafeNumber } = await import('lossless-json');
    const rows: Record<string, unknown>[] = [];
    let truncated: Truncation | undefined;
    for (const line of decoder.decode(await readAll(response)).split('\n')) {
      if (line === '') continue;
      const value = parse(line, null, (text) =>
        isSafeNumber(text) ? Number(text) : /^-?\d+$/.test(text) ? BigInt(text) : Number(text),
      ) as Record<string, unknown>;
      const keys = Object.keys(value);
      const control = keys.length === 1 && value[keys[0]!] !== null && typeof value[keys[0]!] === 'object';
      if (control && keys[0] === 'error')
        throw serverError(value.error as { code?: string; message?: string }, queryId);
      if (control && keys[0] === 'truncated') truncated = value.truncated as Truncation;
      else rows.push(value);
    }
    return truncated ? { rows, truncated } : { rows };
  }

  async explain(
    what: string | PlanCarrier,
    options: QueryOptions = {},
  ): Promise<{ explain: string; pushed_sql: string[] }> {
    const response = await this.post('/v1/explain', what, options, 'application/json');
    return JSON.parse(decoder.decode(await readAll(response))) as { explain: string; pushed_sql: string[] };
  }

  /** Cancels a running query; resolves once its statements are stopped (false: no such query running). */
  async cancel(queryId: string): Promise<boolean> {
    const response = await this.send(
      'DELETE',
      `/v1/query/${encodeURIComponent(queryId)}`,
      undefined,
      'application/json',
    );
    if (response.statusCode === 404) {
      response.resume();
      return false;
    }
    if ((response.statusCode ?? 500) >= 400) throw await errorOf(response);
    return (JSON.parse(decoder.decode(await readAll(response))) as { cancelled: boolean }).cancelled;
  }
}

const headerOf = (response: IncomingMessage): string => String(response.headers['x-sluice-query-id'] ?? '');

async function readAll(response: IncomingMessage): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  const all = Buffer.concat(chunks);
  return new Uint8Array(all.buffer, all.byteOffset, all.byteLength);
}

async function errorOf(response: IncomingMessage): Promise<RequestError> {
  const text = decoder.decode(await readAll(response));
  let parsed: { error?: { code?: string; message?: string } } | undefined;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = { error: { message: text.slice(0, 500) } };
  }
  return serverError(parsed?.error, headerOf(response), response.statusCode);
}
