/**
 * Query results out of the CLI in the formats data tools trade in. Every format but `table`
 * and `parquet` streams: batches are written as they arrive, so memory stays flat for results
 * of any size. Values stay exact: DECIMAL and 64-bit integers keep every digit (as JSON numbers
 * written from their text, as CSV text), dates are 'YYYY-MM-DD', timestamps
 * 'YYYY-MM-DD HH:MM:SS[.ffffff]' in UTC.
 */

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import {
  type DataType,
  type RecordBatch,
  RecordBatchFileWriter,
  RecordBatchStreamWriter,
  type Schema,
  Table,
  Type,
  tableToIPC,
} from 'apache-arrow';
import { stringify } from 'csv-stringify/sync';
import { ConfigError } from '../base/errors.ts';
import { formatTable, tableRows } from '../frame/show.ts';
import type { Progress } from './progress.ts';

export const OUTPUT_FORMATS = ['table', 'csv', 'json', 'ndjson', 'arrow', 'parquet'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

const EXTENSIONS: Record<string, OutputFormat> = {
  '.csv': 'csv',
  '.json': 'json',
  '.ndjson': 'ndjson',
  '.jsonl': 'ndjson',
  '.arrow': 'arrow',
  '.feather': 'arrow',
  '.ipc': 'arrow',
  '.arrows': 'arrow',
  '.parquet': 'parquet',
  '.txt': 'table',
};

/** `--format`, else the `--out` file's extension, else an aligned table. */
export function chooseFormat(format: string | undefined, out: string | undefined): OutputFormat {
  if (format !== undefined) {
    if (!(OUTPUT_FORMATS as readonly string[]).includes(format)) {
      throw new ConfigError(
        `--format '${format}' is not a format; valid formats: ${OUTPUT_FORMATS.join(', ')}`,
      );
    }
    return format as OutputFormat;
  }
  if (out === undefined) return 'table';
  const byExtension = EXTENSIONS[path.extname(out).toLowerCase()];
  if (!byExtension) {
    throw new ConfigError(
      `cannot tell the format of '${out}' from its extension; give --format (${OUTPUT_FORMATS.join(', ')})`,
    );
  }
  return byExtension;
}

export interface WriteResultOptions {
  readonly format: OutputFormat;
  /** A file to write; stdout when absent. */
  readonly out?: string;
  /** Rows the table format shows (default 40); the rest are counted. */
  readonly maxRows?: number;
  readonly progress?: Progress;
  /** For tests: where stdout goes. */
  readonly stdout?: NodeJS.WritableStream;
}

/** Writes every batch in `format`; returns the row count. */
export async function writeResult(
  batches: AsyncIterable<RecordBatch>,
  options: WriteResultOptions,
): Promise<number> {
  const sink = options.out ? createWriteStream(options.out) : (options.stdout ?? process.stdout);
  const counted = counting(batches, options.progress);
  try {
    const rows = await FORMAT_WRITERS[options.format](counted.batches, sink, options);
    return rows;
  } finally {
    options.progress?.finish();
    if (options.out) {
      (sink as ReturnType<typeof createWriteStream>).end();
      await finished(sink);
    }
  }
}

function counting(batches: AsyncIterable<RecordBatch>, progress: Progress | undefined) {
  return {
    batches: (async function* () {
      for await (const batch of batches) {
        progress?.addBatch(batch);
        yield batch;
      }
    })(),
  };
}

type FormatWriter = (
  batches: AsyncIterable<RecordBatch>,
  sink: NodeJS.WritableStream,
  options: WriteResultOptions,
) => Promise<number>;

/** Writes text, waiting when the sink is full (a slow pipe must not buffer the whole result). */
async function write(sink: NodeJS.WritableStream, text: string | Uint8Array): Promise<void> {
  if (!sink.write(text)) await once(sink, 'drain');
}

const FORMAT_WRITERS: Record<OutputFormat, FormatWriter> = {
  async table(batches, sink, options) {
    const maxRows = options.maxRows ?? 40;
    const kept: RecordBatch[] = [];
    let keptRows = 0;
    let total = 0;
    let schema: Schema | undefined;
    for await (const batch of batches) {
      schema ??= batch.schema;
      total += batch.numRows;
      if (keptRows < maxRows && batch.numRows > 0) {
        const part = batch.numRows > maxRows - keptRows ? batch.slice(0, maxRows - keptRows) : batch;
        kept.push(part);
        keptRows += part.numRows;
      }
    }
    if (!schema) return 0;
    options.progress?.finish();
    const table = kept.length > 0 ? new Table(kept) : new Table(schema);
    await write(sink, `${formatTable(table, { maxRows, totalRows: total })}\n`);
    return total;
  },

  async csv(batches, sink) {
    let total = 0;
    let header = true;
    for await (const batch of batches) {
      const table = new Table(batch);
      const names = batch.schema.fields.map((field) => field.name);
      if (header) {
        await write(sink, stringify([names]));
        header = false;
      }
      const rows = tableRows(table).map((row) => names.map((name) => csvValue(row[name])));
      if (rows.length > 0) await write(sink, stringify(rows));
      total += batch.numRows;
    }
    return total;
  },

  async json(batches, sink) {
    let total = 0;
    await write(sink, '[');
    for await (const batch of batches) {
      const lines = jsonLines(batch);
      if (lines.length === 0) continue;
      await write(sink, `${total === 0 ? '\n' : ',\n'}${lines.join(',\n')}`);
      total += lines.length;
    }
    await write(sink, total === 0 ? ']\n' : '\n]\n');
    return total;
  },

  async ndjson(batches, sink) {
    let total = 0;
    for await (const batch of batches) {
      const lines = jsonLines(batch);
      if (lines.length > 0) await write(sink, `${lines.join('\n')}\n`);
      total += lines.length;
    }
    return total;
  },

  async arrow(batches, sink, options) {
    // A file gets the IPC file format (Feather v2, random access); a pipe the stream format.
    const writer = options.out ? new RecordBatchFileWriter() : new RecordBatchStreamWriter();
    const readable = writer.toNodeStream();
    readable.pipe(sink as NodeJS.WritableStream, { end: false });
    let total = 0;
    let wrote = false;
    for await (const batch of batches) {
      writer.write(batch);
      wrote = true;
      total += batch.numRows;
    }
    if (!wrote) throw new ConfigError('the query returned no schema to write');
    writer.finish();
    await finished(readable);
    return total;
  },

  async parquet(batches, sink) {
    // parquet-wasm (arrow-rs) writes a whole table: the result is gathered in memory first.
    const parquet = await import('parquet-wasm/node');
    const all: RecordBatch[] = [];
    let total = 0;
    for await (const batch of batches) {
      all.push(batch);
      total += batch.numRows;
    }
    const table = new Table(all);
    const wasmTable = parquet.Table.fromIPCStream(tableToIPC(table, 'stream'));
    const properties = new parquet.WriterPropertiesBuilder()
      .setCompression(parquet.Compression.SNAPPY)
      .build();
    await write(sink, parquet.writeParquet(wasmTable, properties));
    return total;
  },
};

function csvValue(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  if (typeof value === 'object') return JSON.stringify(value, bigintReplacer);
  return String(value);
}

const bigintReplacer = (_key: string, v: unknown) => (typeof v === 'bigint' ? v.toString() : v);

/** One JSON object per row; DECIMAL and 64-bit integers as JSON numbers written from their digits. */
function jsonLines(batch: RecordBatch): string[] {
  const fields = batch.schema.fields;
  const keys = fields.map((field) => JSON.stringify(field.name));
  const encoders = fields.map((field) => jsonEncoder(field.type));
  return tableRows(new Table(batch)).map((row) => {
    const parts = fields.map((field, c) => `${keys[c]}:${encoders[c]!(row[field.name])}`);
    return `{${parts.join(',')}}`;
  });
}

function jsonEncoder(type: DataType): (value: unknown) => string {
  return (value) => {
    if (value === null || value === undefined) return 'null';
    if (type.typeId === Type.Decimal && typeof value === 'string') return value;
    if (typeof value === 'bigint') return value.toString();
    if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
    if (value instanceof Uint8Array) return JSON.stringify(Buffer.from(value).toString('base64'));
    return JSON.stringify(value, bigintReplacer);
  };
}
