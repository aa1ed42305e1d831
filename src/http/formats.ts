/**
 * Result encodings: Arrow IPC stream, NDJSON, JSON and CSV, written batch by batch. Each one says
 * how a result ends three ways a client can tell apart after the first byte:
 *
 * - complete: Arrow's end-of-stream marker; NDJSON/CSV simply end; JSON closes its object.
 * - truncated (a row or byte cap): Arrow ends normally, then a trailer a plain Arrow reader never
 *   reads (it stops at end-of-stream); NDJSON `{"truncated": {…}}` as the last line; JSON a
 *   `truncated` member; CSV a last line starting with `#truncated`.
 * - failed: Arrow has NO end-of-stream marker and ends with an error trailer (so pyarrow and
 *   apache-arrow raise instead of returning a short table); NDJSON `{"error": {…}}` as the last
 *   line; JSON an `error` member; CSV a last line starting with `#error`.
 *
 * Control lines never look like rows: a row's values are scalars, a control line's one member
 * is an object. The Arrow trailer is `<JSON><u32 little-endian JSON length><8-byte tag>`, the tag
 * `SLUICEER` (error) or `SLUICETR` (truncated), read from the end of the stream.
 */
import { type RecordBatch, RecordBatchStreamWriter, type Schema } from 'apache-arrow';
import { rememberRecent } from '../base/recent.ts';
import { batchCells, csvText } from './text-columns.ts';

export interface Truncation {
  readonly reason: 'maxRows' | 'maxBytes';
  readonly rows: number;
  readonly bytes: number;
}

export interface ErrorBody {
  readonly code: string;
  readonly message: string;
  readonly query_id: string;
  readonly retriable: boolean;
}

export interface ResultEncoder {
  readonly contentType: string;
  /** Bytes for one batch (the first call also carries whatever header the format has). */
  batch(batch: RecordBatch): Uint8Array;
  /** The end of a complete or truncated result of `rows` rows. */
  end(truncation: Truncation | undefined, rows: number): Uint8Array;
  /** The end of a result that failed after its first bytes (`rows` were sent). */
  fail(error: ErrorBody, rows: number): Uint8Array;
}

export const FORMATS = {
  arrow: 'application/vnd.apache.arrow.stream',
  ndjson: 'application/x-ndjson',
  json: 'application/json',
  csv: 'text/csv',
} as const;
export type FormatName = keyof typeof FORMATS;

const encoder = new TextEncoder();
const utf8 = (text: string) => encoder.encode(text);

export const ARROW_EOS = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0);
export const ERROR_TAG = 'SLUICEER';
export const TRUNCATED_TAG = 'SLUICETR';

function trailer(body: unknown, tag: string): Uint8Array {
  const json = utf8(JSON.stringify(body));
  const out = new Uint8Array(json.length + 12);
  out.set(json, 0);
  new DataView(out.buffer).setUint32(json.length, json.length, true);
  out.set(utf8(tag), json.length + 4);
  return out;
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  let length = 0;
  for (const chunk of chunks) length += chunk.byteLength;
  const out = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

/**
 * Arrow IPC stream messages, one batch at a time. The writer's own byte queue is replaced by an
 * array this encoder empties after each batch: apache-arrow's public API writes either a whole
 * stream (with end-of-stream) or into a queue read asynchronously, and this format must be able
 * to stop without end-of-stream.
 */
class ArrowEncoder implements ResultEncoder {
  readonly contentType = FORMATS.arrow;
  private readonly writer = new RecordBatchStreamWriter({ autoDestroy: false });
  private readonly chunks: Uint8Array[] = [];

  constructor() {
    const chunks = this.chunks;
    (this.writer as unknown as { _sink: unknown })._sink = {
      write: (chunk: Uint8Array) => {
        chunks.push(chunk);
      },
    };
  }

  batch(batch: RecordBatch): Uint8Array {
    this.writer.write(batch);
    const out = concat(this.chunks);
    this.chunks.length = 0;
    return out;
  }

  end(truncation: Truncation | undefined): Uint8Array {
    return truncation ? concat([ARROW_EOS, trailer({ truncated: truncation }, TRUNCATED_TAG)]) : ARROW_EOS;
  }

  fail(error: ErrorBody): Uint8Array {
    return trailer({ error }, ERROR_TAG);
  }
}

/**
 * Rows of a text format as the text of each value, column by column (`batchCells`), with the
 * columns they belong to: what the NDJSON, JSON and CSV encoders write. A point read makes them
 * from the server's row bytes (src/http/point-answer.ts), anything else from an Arrow batch.
 */
export interface CellRows {
  readonly columns: readonly ColumnInfo[];
  readonly cells: readonly (readonly string[])[];
  readonly rows: number;
}

/** A result column as the JSON format's header describes it (`String(field.type)` of its Arrow type). */
export interface ColumnInfo {
  readonly name: string;
  readonly type: string;
  readonly nullable: boolean;
}

export function columnInfo(schema: Schema): ColumnInfo[] {
  return schema.fields.map((f) => ({ name: f.name, type: String(f.type), nullable: f.nullable }));
}

/** An encoder of a text format, which also writes rows given as cell text. */
export interface TextResultEncoder extends ResultEncoder {
  cells(part: CellRows): Uint8Array;
}

/**
 * NDJSON lines (or JSON array items) of some rows: `{"name":value,…}` per row, from column text.
 * The pieces go into one array joined once (a string built by `+=` per piece is a rope V8 must
 * flatten later, and it made the garbage collector the main cost).
 */
function jsonRows(part: CellRows, separator: string, first: boolean): string {
  const names = part.columns.map((f, i) => `${i === 0 ? '{' : ','}${JSON.stringify(f.name)}:`);
  const cells = part.cells;
  const columns = names.length;
  const parts = new Array<string>(part.rows * (2 * columns + 2));
  let at = 0;
  for (let row = 0; row < part.rows; row++) {
    parts[at++] = first && row === 0 ? '' : separator;
    for (let c = 0; c < columns; c++) {
      parts[at++] = names[c]!;
      parts[at++] = cells[c]![row]!;
    }
    parts[at++] = columns === 0 ? '{}' : '}';
  }
  return parts.join('');
}

class NdjsonEncoder implements TextResultEncoder {
  readonly contentType = FORMATS.ndjson;
  batch(batch: RecordBatch): Uint8Array {
    return this.cells({
      columns: columnInfo(batch.schema),
      cells: batchCells(batch, 'json'),
      rows: batch.numRows,
    });
  }
  cells(part: CellRows): Uint8Array {
    const text = jsonRows(part, '\n', true);
    return utf8(part.rows > 0 ? `${text}\n` : text);
  }
  end(truncation: Truncation | undefined): Uint8Array {
    return truncation ? utf8(`${JSON.stringify({ truncated: truncation })}\n`) : new Uint8Array(0);
  }
  fail(error: ErrorBody): Uint8Array {
    return utf8(`${JSON.stringify({ error })}\n`);
  }
}

class JsonEncoder implements TextResultEncoder {
  readonly contentType = FORMATS.json;
  private started = false;
  private first = true;
  constructor(private readonly queryId: string) {}

  batch(batch: RecordBatch): Uint8Array {
    return this.cells({
      columns: columnInfo(batch.schema),
      cells: batchCells(batch, 'json'),
      rows: batch.numRows,
    });
  }

  cells(part: CellRows): Uint8Array {
    let text = '';
    if (!this.started) {
      this.started = true;
      text = `{"query_id":${JSON.stringify(this.queryId)},"columns":${JSON.stringify(part.columns)},"rows":[`;
    }
    if (part.rows === 0) return utf8(text);
    text += `${this.first ? '' : ','}\n${jsonRows(part, ',\n', true)}`;
    this.first = false;
    return utf8(text);
  }
  end(truncation: Truncation | undefined, rows: number): Uint8Array {
    const tail = truncation ? `,"truncated":${JSON.stringify(truncation)}` : '';
    return utf8(`\n],"row_count":${rows}${tail}}\n`);
  }
  fail(error: ErrorBody, rows: number): Uint8Array {
    return utf8(`\n],"row_count":${rows},"error":${JSON.stringify(error)}}\n`);
  }
}

class CsvEncoder implements TextResultEncoder {
  readonly contentType = `${FORMATS.csv}; charset=utf-8; header=present`;
  private started = false;
  batch(batch: RecordBatch): Uint8Array {
    return this.cells({
      columns: columnInfo(batch.schema),
      cells: batchCells(batch, 'csv'),
      rows: batch.numRows,
    });
  }
  cells(part: CellRows): Uint8Array {
    let text = '';
    if (!this.started) {
      this.started = true;
      text = `${part.columns.map((f) => csvText(f.name)).join(',')}\r\n`;
    }
    const cells = part.cells;
    const columns = part.columns.length;
    const parts = new Array<string>(part.rows * 2 * Math.max(1, columns));
    let at = 0;
    for (let row = 0; row < part.rows; row++) {
      for (let c = 0; c < columns; c++) {
        parts[at++] = cells[c]![row]!;
        parts[at++] = c === columns - 1 ? '\r\n' : ',';
      }
      if (columns === 0) parts[at++] = '\r\n';
    }
    return utf8(text + parts.join(''));
  }
  end(truncation: Truncation | undefined): Uint8Array {
    return truncation ? utf8(`#truncated ${JSON.stringify(truncation)}\r\n`) : new Uint8Array(0);
  }
  fail(error: ErrorBody): Uint8Array {
    return utf8(`#error ${JSON.stringify(error)}\r\n`);
  }
}

export function createEncoder(format: FormatName, queryId: string): ResultEncoder {
  return format === 'arrow' ? new ArrowEncoder() : createTextEncoder(format, queryId);
}

export function createTextEncoder(format: Exclude<FormatName, 'arrow'>, queryId: string): TextResultEncoder {
  switch (format) {
    case 'ndjson':
      return new NdjsonEncoder();
    case 'json':
      return new JsonEncoder(queryId);
    case 'csv':
      return new CsvEncoder();
  }
}

/**
 * The format an Accept header asks for: the first supported type in preference order; `*\/*` or
 * no header means Arrow. Undefined when nothing acceptable is offered.
 */
export function negotiateFormat(accept: string | undefined, requested?: string): FormatName | undefined {
  if (requested !== undefined)
    return (Object.keys(FORMATS) as FormatName[]).find((name) => name === requested);
  if (!accept || accept.trim() === '') return 'arrow';
  // Clients send the same few Accept headers again and again.
  const known = negotiated.get(accept);
  if (known !== undefined || negotiated.has(accept)) return known;
  const format = rankAccept(accept);
  rememberRecent(negotiated, accept, format, NEGOTIATED_KEPT);
  return format;
}

const NEGOTIATED_KEPT = 64;
const negotiated = new Map<string, FormatName | undefined>();

function rankAccept(accept: string): FormatName | undefined {
  const ranked = accept
    .split(',')
    .map((part, index) => {
      const [type, ...params] = part.trim().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { type: type!.trim().toLowerCase(), q: q ? Number(q.slice(2)) : 1, index };
    })
    .filter((entry) => entry.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const { type } of ranked) {
    if (type === '*/*' || type === 'application/*') return 'arrow';
    if (type === 'application/vnd.apache.arrow.file') continue;
    const found = (Object.entries(FORMATS) as [FormatName, string][]).find(([, mime]) => mime === type);
    if (found) return found[0];
    if (type === 'text/*') return 'csv';
  }
  return undefined;
}
