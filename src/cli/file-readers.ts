/**
 * Data files as chunks of rows for the bulk writer: CSV (csv-parse), NDJSON (lossless-json, so
 * a 64-bit id or a long decimal keeps its digits), Arrow IPC (file or stream) and Parquet
 * (parquet-wasm, read whole). Each chunk says how far into the file it is, for the ETA.
 */
import { createReadStream } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { type RecordBatch, RecordBatchReader, Table, tableFromIPC } from 'apache-arrow';
import { parse as parseCsv } from 'csv-parse';
import { isSafeNumber, parse as parseLossless, stringify as stringifyLossless } from 'lossless-json';
import { ConfigError } from '../base/errors.ts';
import type { TsvValue } from '../db/tsv.ts';
import { arrowRows } from '../writer/arrow-rows.ts';

export const INPUT_FORMATS = ['csv', 'tsv', 'ndjson', 'arrow', 'parquet'] as const;
export type InputFormat = (typeof INPUT_FORMATS)[number];

const EXTENSIONS: Record<string, InputFormat> = {
  '.csv': 'csv',
  '.tsv': 'tsv',
  '.ndjson': 'ndjson',
  '.jsonl': 'ndjson',
  '.json': 'ndjson',
  '.arrow': 'arrow',
  '.arrows': 'arrow',
  '.feather': 'arrow',
  '.ipc': 'arrow',
  '.parquet': 'parquet',
};

export function inputFormat(file: string, format: string | undefined): InputFormat {
  if (format !== undefined) {
    if (!(INPUT_FORMATS as readonly string[]).includes(format)) {
      throw new ConfigError(
        `--format '${format}' is not an input format; valid formats: ${INPUT_FORMATS.join(', ')}`,
      );
    }
    return format as InputFormat;
  }
  const found = EXTENSIONS[path.extname(file).toLowerCase()];
  if (!found) {
    throw new ConfigError(
      `cannot tell the format of '${file}' from its extension; give --format (${INPUT_FORMATS.join(', ')})`,
    );
  }
  return found;
}

export interface RowChunk {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly TsvValue[])[];
  /** Bytes of the file read so far, and its size. */
  readonly position: { readonly done: number; readonly total: number };
}

export interface ReadFileOptions {
  readonly format: InputFormat;
  /** Rows per chunk (default 50,000). */
  readonly chunkRows?: number;
  /** CSV/TSV without a header line: these are the columns. */
  readonly columns?: readonly string[];
  readonly header?: boolean;
}

export async function* readRowChunks(file: string, options: ReadFileOptions): AsyncGenerator<RowChunk> {
  const total = (
    await stat(file).catch((cause: Error) => {
      throw new ConfigError(`cannot read '${file}': ${cause.message}`, { cause });
    })
  ).size;
  const chunkRows = options.chunkRows ?? 50_000;
  switch (options.format) {
    case 'csv':
    case 'tsv':
      yield* csvChunks(file, total, chunkRows, options);
      return;
    case 'ndjson':
      yield* ndjsonChunks(file, total, chunkRows);
      return;
    case 'arrow': {
      if (await isArrowFile(file)) {
        // The IPC file format keeps its schema and index at the end: read it whole.
        const table = tableFromIPC(await readFile(file));
        let done = 0;
        for (const batch of table.batches) {
          done += batch.numRows;
          yield* arrowChunks(batch, chunkRows, { done: Math.round((done / table.numRows) * total), total });
        }
        return;
      }
      const { stream, counter } = countedStream(file);
      // Handed over as an async iterable of bytes: given the Node stream itself, apache-arrow 21's
      // reader found no batches.
      const reader = await RecordBatchReader.from(
        (async function* () {
          for await (const chunk of stream) yield chunk as Uint8Array;
        })(),
      );
      for await (const batch of reader) {
        yield* arrowChunks(batch, chunkRows, { done: counter.bytes, total });
      }
      return;
    }
    case 'parquet': {
      const parquet = await import('parquet-wasm/node');
      const bytes = await readFile(file);
      const table = tableFromIPC(parquet.readParquet(bytes).intoIPCStream());
      let done = 0;
      for (const batch of table.batches) {
        done += batch.numRows;
        yield* arrowChunks(batch, chunkRows, { done: Math.round((done / table.numRows) * total), total });
      }
      return;
    }
  }
}

/** The IPC file format starts with the magic bytes ARROW1; the stream format does not. */
async function isArrowFile(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(6), 0, 6, 0);
    return bytesRead === 6 && buffer.toString('latin1') === 'ARROW1';
  } finally {
    await handle.close();
  }
}

function* arrowChunks(
  batch: RecordBatch,
  chunkRows: number,
  position: RowChunk['position'],
): Generator<RowChunk> {
  const columns = batch.schema.fields.map((field) => field.name);
  for (let start = 0; start < batch.numRows; start += chunkRows) {
    const part = batch.slice(start, Math.min(batch.numRows, start + chunkRows));
    yield { columns, rows: arrowRows(new Table(part)), position };
  }
}

/** Counts the bytes a stream has handed on, for the ETA. */
function countedStream(file: string) {
  const stream = createReadStream(file);
  const counter = { bytes: 0 };
  stream.on('data', (chunk) => {
    counter.bytes += chunk.length;
  });
  return { stream, counter };
}

async function* csvChunks(
  file: string,
  total: number,
  chunkRows: number,
  options: ReadFileOptions,
): AsyncGenerator<RowChunk> {
  const header = options.header ?? options.columns === undefined;
  const { stream, counter } = countedStream(file);
  const parser = stream.pipe(
    parseCsv({
      delimiter: options.format === 'tsv' ? '\t' : ',',
      relax_column_count: false,
      bom: true,
    }),
  );
  let columns: readonly string[] | undefined = header ? undefined : options.columns;
  let rows: TsvValue[][] = [];
  for await (const record of parser as AsyncIterable<string[]>) {
    if (columns === undefined) {
      columns = options.columns ?? record;
      continue;
    }
    // An empty field is NULL, as the CSV output writes NULL; \N is NULL as LOAD DATA has it.
    rows.push(record.map((value) => (value === '' || value === '\\N' ? null : value)));
    if (rows.length >= chunkRows) {
      yield { columns, rows, position: { done: counter.bytes, total } };
      rows = [];
    }
  }
  if (columns === undefined) throw new ConfigError(`'${file}' is empty: no header line`);
  if (rows.length > 0) yield { columns, rows, position: { done: total, total } };
}

async function* ndjsonChunks(file: string, total: number, chunkRows: number): AsyncGenerator<RowChunk> {
  const { stream, counter } = countedStream(file);
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  let columns: string[] | undefined;
  let records: Record<string, unknown>[] = [];
  let lineNumber = 0;
  const flush = (): RowChunk => {
    columns ??= [...new Set(records.flatMap((record) => Object.keys(record)))];
    const known = columns;
    for (const record of records) {
      for (const key of Object.keys(record)) {
        if (!known.includes(key)) {
          throw new ConfigError(
            `'${file}': a record has key '${key}', which the first records did not have (columns: ${known.join(', ')})`,
          );
        }
      }
    }
    const rows = records.map((record) => known.map((column) => jsonValue(record[column])));
    records = [];
    return { columns: known, rows, position: { done: counter.bytes, total } };
  };
  for await (const line of lines) {
    lineNumber++;
    if (line.trim() === '') continue;
    let record: unknown;
    try {
      record = parseLossless(line, null, exactNumber);
    } catch (cause) {
      throw new ConfigError(`'${file}' line ${lineNumber} is not JSON: ${(cause as Error).message}`, {
        cause,
      });
    }
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      throw new ConfigError(`'${file}' line ${lineNumber}: each line must hold one JSON object`);
    }
    records.push(record as Record<string, unknown>);
    if (records.length >= chunkRows) yield flush();
  }
  if (records.length > 0) yield { ...flush(), position: { done: total, total } };
}

/** Numbers a double holds exactly stay numbers; longer ones keep their digits as text. */
function exactNumber(text: string): number | string {
  return isSafeNumber(text) ? Number(text) : text;
}

function jsonValue(value: unknown): TsvValue {
  if (value === undefined || value === null) return null;
  if (typeof value === 'object') return stringifyLossless(value) ?? null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value as TsvValue;
}
