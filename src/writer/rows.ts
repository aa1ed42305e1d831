/**
 * What both table writers take and return: rows as values (or already encoded as LOAD DATA
 * text), write modes, rejections. Kept apart from the writers so the direct and the staged path
 * share one vocabulary without importing each other.
 */
import { type TsvValue, tsvLine } from '../db/tsv.ts';

export const WRITE_MODES = ['append', 'ignore', 'replace', 'upsert'] as const;
/**
 * append: a duplicate key is an error (the row is rejected); ignore: a duplicate is skipped;
 * replace: a duplicate is deleted and the new row inserted; upsert: the existing row's columns
 * are updated (ON DUPLICATE KEY UPDATE).
 */
export type WriteMode = (typeof WRITE_MODES)[number];

export type RowValues = readonly TsvValue[];

/**
 * Rows already written as LOAD DATA text (by a decode worker), the values themselves on demand:
 * the fast path sends the text as it is, and only the exact path (bad rows, upsert, SET/WHERE)
 * asks for the values.
 */
export interface EncodedRows {
  readonly count: number;
  /** `tsvLine` of every row, in order, in chunks (each iteration writes them from the start). */
  readonly tsv: Iterable<Uint8Array>;
  /** The same rows as values, in the same order. */
  values(): Promise<readonly RowValues[]>;
}

/** What the bulk writer takes: rows as values, or rows already encoded as LOAD DATA text. */
export type BulkRows = readonly RowValues[] | EncodedRows;

export function isEncoded(rows: BulkRows): rows is EncodedRows {
  return !Array.isArray(rows);
}

export function rowCount(rows: BulkRows): number {
  return isEncoded(rows) ? rows.count : rows.length;
}

export async function rowValues(rows: BulkRows): Promise<readonly RowValues[]> {
  return isEncoded(rows) ? rows.values() : rows;
}

export interface RowRejection {
  /** Position of the row in the input. */
  readonly index: number;
  readonly error: string;
  readonly errno: number | undefined;
}

export interface BulkWriteResult {
  /** Rows inserted, replaced or updated. */
  readonly written: number;
  /** Rows skipped because their key existed (mode ignore). */
  readonly duplicates: number;
  readonly rejected: readonly RowRejection[];
  /** Rows the `where` condition skipped. */
  readonly filtered?: number;
}

/** Text per LOAD DATA chunk handed to the driver. */
export const TSV_CHUNK_CHARS = 256 * 1024;

/** Rows as TSV text in chunks of about TSV_CHUNK_CHARS. */
export function* tsvChunks(rows: readonly RowValues[]): Generator<string> {
  let chunk = '';
  for (const row of rows) {
    chunk += tsvLine(row);
    if (chunk.length >= TSV_CHUNK_CHARS) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk.length > 0) yield chunk;
}
