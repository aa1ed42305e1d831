/**
 * sluice's own tables in the target database. A restarted process finds everything here.
 *
 * On the state server (the single server, or the Spider head):
 *   sluice_pipelines  one row per pipeline: spec, desired and actual state, owner, last error
 *   sluice_batches    one row per committed batch: offsets, counts, bytes, latency
 *   sluice_errors     one row per bad record: topic, partition, offset, key, payload, error
 * On every server that takes rows (the single server, or each leaf):
 *   sluice_offsets    per (pipeline, topic, partition) the next offset to load and running
 *                     counts; it moves in the same transaction as the rows (exactly once)
 */

import { SluiceError } from '../base/errors.ts';
import type { DbSession } from '../db/driver.ts';
import type { PipelineSpec } from './spec.ts';

export const DESIRED_STATES = ['running', 'paused', 'stopped'] as const;
export type DesiredState = (typeof DESIRED_STATES)[number];

const STATE_TABLES = [
  `CREATE TABLE IF NOT EXISTS sluice_pipelines (
    name VARCHAR(64) NOT NULL PRIMARY KEY,
    spec LONGTEXT NOT NULL,
    desired_state VARCHAR(16) NOT NULL DEFAULT 'running',
    state VARCHAR(16) NOT NULL DEFAULT 'created',
    owner VARCHAR(255) NULL,
    heartbeat_at DATETIME(3) NULL,
    last_error TEXT NULL,
    created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  `CREATE TABLE IF NOT EXISTS sluice_batches (
    pipeline VARCHAR(64) NOT NULL,
    topic VARCHAR(249) NOT NULL,
    kpartition INT NOT NULL,
    first_offset BIGINT NOT NULL,
    next_offset BIGINT NOT NULL,
    records INT NOT NULL,
    rows_loaded INT NOT NULL,
    duplicates INT NOT NULL,
    failed INT NOT NULL,
    filtered INT NOT NULL,
    bytes BIGINT NOT NULL,
    started_at DATETIME(3) NOT NULL,
    duration_ms INT NOT NULL,
    PRIMARY KEY (pipeline, topic, kpartition, first_offset),
    KEY by_time (pipeline, started_at)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  `CREATE TABLE IF NOT EXISTS sluice_errors (
    pipeline VARCHAR(64) NOT NULL,
    topic VARCHAR(249) NOT NULL,
    kpartition INT NOT NULL,
    record_offset BIGINT NOT NULL,
    seq INT NOT NULL,
    stage VARCHAR(16) NOT NULL,
    error TEXT NOT NULL,
    record_key LONGBLOB NULL,
    payload LONGBLOB NULL,
    created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    PRIMARY KEY (pipeline, topic, kpartition, record_offset, seq)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
];

const OFFSETS_TABLE = `CREATE TABLE IF NOT EXISTS sluice_offsets (
    pipeline VARCHAR(64) NOT NULL,
    topic VARCHAR(249) NOT NULL,
    kpartition INT NOT NULL,
    next_offset BIGINT NOT NULL,
    rows_loaded BIGINT NOT NULL DEFAULT 0,
    duplicates BIGINT NOT NULL DEFAULT 0,
    failed BIGINT NOT NULL DEFAULT 0,
    filtered BIGINT NOT NULL DEFAULT 0,
    updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
    PRIMARY KEY (pipeline, topic, kpartition)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`;

export async function ensureStateTables(session: DbSession): Promise<void> {
  for (const ddl of STATE_TABLES) await session.query(ddl);
}

export async function ensureOffsetsTable(session: DbSession): Promise<void> {
  await session.query(OFFSETS_TABLE);
}

export interface PipelineRecord {
  readonly spec: PipelineSpec;
  readonly desiredState: DesiredState;
  readonly state: string;
  readonly owner: string | null;
  readonly heartbeatAt: string | null;
  readonly lastError: string | null;
}

export async function insertPipeline(session: DbSession, spec: PipelineSpec): Promise<void> {
  const existing = await session.query('SELECT name FROM sluice_pipelines WHERE name = ?', [spec.name]);
  if (existing.length > 0) {
    throw new SluiceError('CONFIG_INVALID', `pipeline '${spec.name}' exists; drop it first to redefine it`);
  }
  await session.query('INSERT INTO sluice_pipelines (name, spec, desired_state, state) VALUES (?, ?, ?, ?)', [
    spec.name,
    JSON.stringify(spec),
    'stopped',
    'created',
  ]);
}

export async function readPipeline(session: DbSession, name: string): Promise<PipelineRecord> {
  const rows = await session.query<{
    spec: string;
    desired_state: DesiredState;
    state: string;
    owner: string | null;
    heartbeat_at: string | null;
    last_error: string | null;
  }>(
    'SELECT spec, desired_state, state, owner, heartbeat_at, last_error FROM sluice_pipelines WHERE name = ?',
    [name],
  );
  const row = rows[0];
  if (!row) throw new SluiceError('PIPELINE_NOT_FOUND', `there is no pipeline named '${name}'`);
  return {
    spec: JSON.parse(row.spec) as PipelineSpec,
    desiredState: row.desired_state,
    state: row.state,
    owner: row.owner,
    heartbeatAt: row.heartbeat_at,
    lastError: row.last_error,
  };
}

export async function listPipelineNames(session: DbSession): Promise<string[]> {
  const rows = await session.query<{ name: string }>('SELECT name FROM sluice_pipelines ORDER BY name');
  return rows.map((row) => row.name);
}

export async function setDesiredState(
  session: DbSession,
  name: string,
  desired: DesiredState,
): Promise<void> {
  const rows = await session.query<{ affectedRows?: number }>(
    'UPDATE sluice_pipelines SET desired_state = ? WHERE name = ?',
    [desired, name],
  );
  if (Number(rows[0]?.affectedRows ?? 0) === 0) {
    throw new SluiceError('PIPELINE_NOT_FOUND', `there is no pipeline named '${name}'`);
  }
}

/** What the running process reports: its state, itself, a heartbeat, the last error. */
export async function reportState(
  session: DbSession,
  name: string,
  state: string,
  owner: string | null,
  lastError?: string | null,
): Promise<void> {
  if (lastError === undefined) {
    await session.query(
      'UPDATE sluice_pipelines SET state = ?, owner = ?, heartbeat_at = CURRENT_TIMESTAMP(3) WHERE name = ?',
      [state, owner, name],
    );
  } else {
    await session.query(
      'UPDATE sluice_pipelines SET state = ?, owner = ?, heartbeat_at = CURRENT_TIMESTAMP(3), last_error = ? WHERE name = ?',
      [state, owner, lastError, name],
    );
  }
}

export async function deletePipeline(session: DbSession, name: string): Promise<void> {
  await session.query('DELETE FROM sluice_errors WHERE pipeline = ?', [name]);
  await session.query('DELETE FROM sluice_batches WHERE pipeline = ?', [name]);
  await session.query('DELETE FROM sluice_pipelines WHERE name = ?', [name]);
}

export async function deleteOffsets(session: DbSession, name: string): Promise<void> {
  await session.query('DELETE FROM sluice_offsets WHERE pipeline = ? ', [name]);
}

export interface OffsetRow {
  readonly topic: string;
  readonly partition: number;
  readonly nextOffset: number;
  readonly rowsLoaded: number;
  readonly duplicates: number;
  readonly failed: number;
  readonly filtered: number;
}

export async function readOffsets(session: DbSession, pipeline: string): Promise<OffsetRow[]> {
  const rows = await session.query<Record<string, string | number>>(
    'SELECT topic, kpartition, next_offset, rows_loaded, duplicates, failed, filtered FROM sluice_offsets ' +
      'WHERE pipeline = ? ORDER BY topic, kpartition',
    [pipeline],
  );
  return rows.map((row) => ({
    topic: String(row.topic),
    partition: Number(row.kpartition),
    nextOffset: Number(row.next_offset),
    rowsLoaded: Number(row.rows_loaded),
    duplicates: Number(row.duplicates),
    failed: Number(row.failed),
    filtered: Number(row.filtered),
  }));
}

/** Creates a partition's offset row if it has none yet; an existing row is left as it is. */
export async function initOffset(
  session: DbSession,
  pipeline: string,
  topic: string,
  partition: number,
  start: number,
): Promise<void> {
  await session.query(
    'INSERT IGNORE INTO sluice_offsets (pipeline, topic, kpartition, next_offset) VALUES (?, ?, ?, ?)',
    [pipeline, topic, partition, start],
  );
}

export async function readOffset(
  session: DbSession,
  pipeline: string,
  topic: string,
  partition: number,
): Promise<number | undefined> {
  const rows = await session.query<{ next_offset: string }>(
    'SELECT next_offset FROM sluice_offsets WHERE pipeline = ? AND topic = ? AND kpartition = ?',
    [pipeline, topic, partition],
  );
  return rows[0] === undefined ? undefined : Number(rows[0].next_offset);
}

export interface BatchCounts {
  readonly rowsLoaded: number;
  readonly duplicates: number;
  readonly failed: number;
  readonly filtered: number;
}

/**
 * The guard of exactly-once: moves the offset from `expected` to `next` and adds the counts,
 * only if the stored offset still is `expected`. Run in the batch's transaction just before
 * COMMIT: a second writer of the same partition (a consumer that lost the partition in a
 * rebalance and does not know it yet) waits on the row's lock, then finds the offset moved, and
 * its whole transaction, rows included, rolls back.
 */
export async function advanceOffset(
  session: DbSession,
  pipeline: string,
  topic: string,
  partition: number,
  expected: number,
  next: number,
  counts: BatchCounts,
): Promise<boolean> {
  const rows = await session.query<{ affectedRows?: number }>(
    'UPDATE sluice_offsets SET next_offset = ?, rows_loaded = rows_loaded + ?, duplicates = duplicates + ?, ' +
      'failed = failed + ?, filtered = filtered + ? ' +
      'WHERE pipeline = ? AND topic = ? AND kpartition = ? AND next_offset = ?',
    [
      next,
      counts.rowsLoaded,
      counts.duplicates,
      counts.failed,
      counts.filtered,
      pipeline,
      topic,
      partition,
      expected,
    ],
  );
  return Number(rows[0]?.affectedRows ?? 0) === 1;
}

export interface ErrorRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** Several errors of one record (e.g. lines of one CSV payload) are told apart by seq. */
  readonly seq: number;
  readonly stage: string;
  readonly error: string;
  readonly key: Buffer | null;
  readonly payload: Buffer | string | null;
}

/** Idempotent: a record's error written again on a replay is not duplicated. */
export async function insertErrors(
  session: DbSession,
  pipeline: string,
  errors: readonly ErrorRecord[],
): Promise<void> {
  for (let start = 0; start < errors.length; start += 500) {
    const chunk = errors
      .slice(start, start + 500)
      .map((error) => [
        pipeline,
        error.topic,
        error.partition,
        error.offset,
        error.seq,
        error.stage,
        error.error.slice(0, 60_000),
        error.key,
        error.payload,
      ]);
    await session.query(
      'INSERT IGNORE INTO sluice_errors (pipeline, topic, kpartition, record_offset, seq, stage, error, record_key, payload) VALUES ?',
      [chunk],
    );
  }
}

export interface BatchRecord extends BatchCounts {
  readonly topic: string;
  readonly partition: number;
  readonly firstOffset: number;
  readonly nextOffset: number;
  readonly records: number;
  readonly bytes: number;
  readonly durationMs: number;
}

/**
 * Forgets the history of a partition's batches before `firstOffset` (the table is for status and
 * inspection; offsets and counts live in sluice_offsets, so nothing that matters is lost).
 */
export async function pruneBatches(
  session: DbSession,
  pipeline: string,
  topic: string,
  partition: number,
  firstOffset: number,
): Promise<void> {
  await session.query(
    'DELETE FROM sluice_batches WHERE pipeline = ? AND topic = ? AND kpartition = ? AND first_offset < ?',
    [pipeline, topic, partition, firstOffset],
  );
}

export async function insertBatch(session: DbSession, pipeline: string, batch: BatchRecord): Promise<void> {
  await session.query(
    'INSERT INTO sluice_batches (pipeline, topic, kpartition, first_offset, next_offset, records, rows_loaded, ' +
      'duplicates, failed, filtered, bytes, started_at, duration_ms) ' +
      'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NOW(3) - INTERVAL ? MICROSECOND, ?) ' +
      'ON DUPLICATE KEY UPDATE next_offset = VALUES(next_offset), records = VALUES(records), ' +
      'rows_loaded = VALUES(rows_loaded), duration_ms = VALUES(duration_ms)',
    [
      pipeline,
      batch.topic,
      batch.partition,
      batch.firstOffset,
      batch.nextOffset,
      batch.records,
      batch.rowsLoaded,
      batch.duplicates,
      batch.failed,
      batch.filtered,
      batch.bytes,
      // Server time on both ends, so the status window and the batch times share one clock.
      Math.round(batch.durationMs * 1000),
      Math.round(batch.durationMs),
    ],
  );
}

export interface StoredError {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly seq: number;
  readonly stage: string;
  readonly error: string;
  readonly key: string | null;
  readonly payload: string | null;
  readonly createdAt: string;
}

export async function listErrors(
  session: DbSession,
  pipeline: string,
  limit: number,
): Promise<StoredError[]> {
  const rows = await session.query<Record<string, unknown>>(
    'SELECT topic, kpartition, record_offset, seq, stage, error, record_key, payload, created_at FROM sluice_errors ' +
      'WHERE pipeline = ? ORDER BY topic, kpartition, record_offset, seq LIMIT ?',
    [pipeline, limit],
  );
  return rows.map((row) => ({
    topic: String(row.topic),
    partition: Number(row.kpartition),
    offset: Number(row.record_offset),
    seq: Number(row.seq),
    stage: String(row.stage),
    error: String(row.error),
    key: row.record_key === null ? null : Buffer.from(row.record_key as Buffer).toString('utf8'),
    payload: row.payload === null ? null : Buffer.from(row.payload as Buffer).toString('utf8'),
    createdAt: String(row.created_at),
  }));
}

export interface PartitionBatchStats {
  readonly topic: string;
  readonly partition: number;
  readonly batches: number;
  readonly records: number;
  readonly rows: number;
  readonly bytes: number;
  /** Span of the batches counted, from the first start to the last end, in seconds. */
  readonly seconds: number;
  readonly avgLatencyMs: number;
  readonly maxLatencyMs: number;
  readonly lastBatchAt: string | null;
}

/** Throughput and latency per partition over the batches of the last `windowSeconds`. */
export async function batchStats(
  session: DbSession,
  pipeline: string,
  windowSeconds: number,
): Promise<PartitionBatchStats[]> {
  const rows = await session.query<Record<string, unknown>>(
    'SELECT topic, kpartition, COUNT(*) AS batches, SUM(records) AS records, SUM(rows_loaded) AS rows_loaded, ' +
      'SUM(bytes) AS bytes, AVG(duration_ms) AS avg_ms, MAX(duration_ms) AS max_ms, MAX(started_at) AS last_at, ' +
      'TIMESTAMPDIFF(MICROSECOND, MIN(started_at), MAX(started_at + INTERVAL duration_ms * 1000 MICROSECOND)) / 1e6 AS span ' +
      'FROM sluice_batches WHERE pipeline = ? AND started_at >= NOW(3) - INTERVAL ? SECOND ' +
      'GROUP BY topic, kpartition ORDER BY topic, kpartition',
    [pipeline, windowSeconds],
  );
  return rows.map((row) => ({
    topic: String(row.topic),
    partition: Number(row.kpartition),
    batches: Number(row.batches),
    records: Number(row.records),
    rows: Number(row.rows_loaded),
    bytes: Number(row.bytes),
    seconds: Number(row.span),
    avgLatencyMs: Number(row.avg_ms),
    maxLatencyMs: Number(row.max_ms),
    lastBatchAt: row.last_at === null ? null : String(row.last_at),
  }));
}
