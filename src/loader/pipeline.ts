/**
 * The pipelines API: create, start, pause / resume / stop, drop, test, status, errors. The CLI
 * and (later) the HTTP service call these; all state lives in the target database.
 */
import path from 'node:path';
import { ConfigError } from '../base/errors.ts';
import { type DbSession, withSession } from '../db/driver.ts';
import type { DbEndpoint } from '../db/endpoint.ts';
import {
  kafkaClient,
  prepareTables,
  startOffsetResolver,
  targetEndpoints,
  writerContext,
} from './context.ts';
import { PartitionWriter } from './partition-writer.ts';
import type { SourceRecord } from './record.ts';
import { PipelineRunner, type RunnerOptions } from './runner.ts';
import { type PipelineSpec, parsePipelineSpec } from './spec.ts';
import {
  batchStats,
  type DesiredState,
  deleteOffsets,
  deletePipeline,
  initOffset,
  insertPipeline,
  listErrors,
  listPipelineNames,
  type PartitionBatchStats,
  readOffsets,
  readPipeline,
  type StoredError,
  setDesiredState,
} from './state.ts';

export interface CreateOptions {
  /** Relative transform paths in the spec are resolved against this folder (the spec file's). */
  readonly baseDir?: string;
}

/**
 * Checks the spec, creates sluice's tables, stores the pipeline (stopped) and the starting
 * offset of every partition the topics have now.
 */
export async function createPipeline(input: unknown, options: CreateOptions = {}): Promise<PipelineSpec> {
  const spec = absolutePaths(parsePipelineSpec(input), options.baseDir ?? process.cwd());
  const endpoints = targetEndpoints(spec);
  for (const endpoint of endpoints.writers) {
    const found = await withSession(endpoint, (session) =>
      session.query(
        'SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?',
        [spec.target.table],
      ),
    );
    if (found.length === 0) {
      throw new ConfigError(
        `target table '${spec.target.table}' does not exist in ${endpoint.database} on ${endpoint.host}:${endpoint.port}`,
      );
    }
  }
  await prepareTables(endpoints);
  // Fails early, with the reason, when the table cannot be routed to the leaves.
  const context = await writerContext(spec, async () => 0);
  await context.transformer?.close();
  await context.batches.close();
  const kafka = kafkaClient(spec);
  const admin = kafka.admin();
  await admin.connect();
  try {
    // Asked about a missing topic, kafkajs retries for half a minute; a list answers at once.
    const known = new Set(await admin.listTopics());
    const missing = spec.source.topics.filter((topic) => !known.has(topic));
    if (missing.length > 0) {
      throw new ConfigError(
        `topic(s) ${missing.map((topic) => `'${topic}'`).join(', ')} do not exist on ${spec.source.brokers.join(', ')}`,
      );
    }
    const start = startOffsetResolver(spec, async () => admin);
    const partitions: { topic: string; partition: number; offset: number }[] = [];
    for (const topic of spec.source.topics) {
      for (const { partition } of await admin.fetchTopicOffsets(topic)) {
        partitions.push({ topic, partition, offset: await start(topic, partition) });
      }
    }
    await withSession(endpoints.state, (session) => insertPipeline(session, spec));
    for (const endpoint of endpoints.writers) {
      await withSession(endpoint, async (session) => {
        for (const { topic, partition, offset } of partitions) {
          await initOffset(session, spec.name, topic, partition, offset);
        }
      });
    }
  } finally {
    await admin.disconnect();
  }
  return spec;
}

function absolutePaths(spec: PipelineSpec, baseDir: string): PipelineSpec {
  const transform = spec.transform;
  if (!transform) return spec;
  if (transform.kind === 'js') {
    return { ...spec, transform: { ...transform, module: path.resolve(baseDir, transform.module) } };
  }
  // A bare command name is looked up on PATH; one with a slash is a file next to the spec.
  const command = transform.command.includes('/')
    ? path.resolve(baseDir, transform.command)
    : transform.command;
  return { ...spec, transform: { ...transform, command } };
}

/** Reads a stored pipeline's spec. */
export async function getPipeline(state: DbEndpoint, name: string): Promise<PipelineSpec> {
  return withSession(state, async (session) => (await readPipeline(session, name)).spec);
}

/**
 * The names of the stored pipelines, in order. A database where no pipeline was ever created
 * (no state tables yet) has none.
 */
export async function listPipelines(state: DbEndpoint): Promise<string[]> {
  return withSession(state, (session) => listPipelineNames(session).catch(() => [] as string[]));
}

/**
 * Starts a stored pipeline in this process: its desired state becomes running and a runner
 * consumes until the pipeline is stopped (here, or from anywhere through the database).
 */
export async function startPipeline(
  state: DbEndpoint,
  name: string,
  options: RunnerOptions = {},
): Promise<PipelineRunner> {
  const spec = await withSession(state, async (session) => {
    const record = await readPipeline(session, name);
    await setDesiredState(session, name, 'running');
    return record.spec;
  });
  const runner = new PipelineRunner(spec, options);
  await runner.start();
  return runner;
}

/** Sets what the running process should do; it follows within a second. */
export async function setPipelineState(
  state: DbEndpoint,
  name: string,
  desired: DesiredState,
): Promise<void> {
  await withSession(state, (session) => setDesiredState(session, name, desired));
}

/** Deletes the pipeline, its offsets, batches and errors (the loaded rows stay). */
export async function dropPipeline(state: DbEndpoint, name: string): Promise<void> {
  const spec = await getPipeline(state, name);
  for (const endpoint of targetEndpoints(spec).writers)
    await withSession(endpoint, (s) => deleteOffsets(s, name));
  await withSession(state, (session) => deletePipeline(session, name));
}

export interface TestResult {
  readonly columns: readonly string[];
  readonly rows: readonly { topic: string; partition: number; offset: number; values: unknown[] }[];
  readonly failures: readonly {
    topic: string;
    partition: number;
    offset: number;
    stage: string;
    error: string;
  }[];
  readonly filtered: number;
}

/**
 * Like TEST PIPELINE: reads up to `limit` records from the stored offsets (or where the spec
 * starts), runs transform and decode, and returns the rows without writing anything.
 */
export async function testPipeline(
  specInput: unknown,
  options: { limit?: number; timeoutMs?: number; baseDir?: string } = {},
): Promise<TestResult> {
  const spec = absolutePaths(parsePipelineSpec(specInput), options.baseDir ?? process.cwd());
  const limit = options.limit ?? 5;
  const kafka = kafkaClient(spec, `sluice-test-${spec.name}`);
  const admin = kafka.admin();
  await admin.connect();
  const start = startOffsetResolver(spec, async () => admin);
  const context = await writerContext(spec, start);
  const stored = await withSession(targetEndpoints(spec).writers[0]!, (session) =>
    readOffsets(session, spec.name).catch(() => []),
  );
  const result: {
    rows: TestResult['rows'][number][];
    failures: TestResult['failures'][number][];
    filtered: number;
  } = { rows: [], failures: [], filtered: 0 };
  const groupId = `sluice-test-${spec.name}-${process.pid}-${Date.now()}`;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200 });
  try {
    const positions: { topic: string; partition: number; offset: number }[] = [];
    for (const topic of spec.source.topics) {
      for (const { partition, high } of await admin.fetchTopicOffsets(topic)) {
        const own = stored.find((row) => row.topic === topic && row.partition === partition);
        const offset = own?.nextOffset ?? (await start(topic, partition));
        if (offset < Number(high)) positions.push({ topic, partition, offset });
      }
    }
    if (positions.length === 0) return { columns: context.columns, ...result };
    await consumer.connect();
    for (const topic of spec.source.topics) await consumer.subscribe({ topic, fromBeginning: true });
    let seen = 0;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, options.timeoutMs ?? 10_000);
      consumer.on(consumer.events.GROUP_JOIN, () => {
        for (const { topic, partition, offset } of positions) {
          consumer.seek({ topic, partition, offset: String(offset) });
        }
      });
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            if (seen >= limit) return;
            const records: SourceRecord[] = batch.messages.slice(0, limit - seen).map((message) => ({
              offset: Number(message.offset),
              key: message.key,
              value: message.value,
              timestamp: message.timestamp,
            }));
            seen += records.length;
            const processed = await PartitionWriter.dryRun(context, batch.topic, batch.partition, records);
            processed.rows.forEach((values, index) => {
              const offset = records[processed.rowRecord[index]!]!.offset;
              result.rows.push({ topic: batch.topic, partition: batch.partition, offset, values });
            });
            for (const failure of processed.failures) {
              result.failures.push({
                topic: batch.topic,
                partition: batch.partition,
                offset: records[failure.record]!.offset,
                stage: failure.stage,
                error: failure.error,
              });
            }
            result.filtered += processed.filtered;
            if (seen >= limit) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
    return { columns: context.columns, ...result };
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
    await context.transformer?.close();
    await context.batches.close();
  }
}

export interface PartitionReport {
  readonly topic: string;
  readonly partition: number;
  /** Next offset to load (the lowest leaf watermark on a cluster). */
  readonly offset: number;
  readonly earliest: number | null;
  readonly latest: number | null;
  readonly lag: number | null;
  readonly rowsLoaded: number;
  readonly duplicates: number;
  readonly failed: number;
  readonly filtered: number;
  readonly recent: PartitionBatchStats | undefined;
}

export interface PipelineStatusReport {
  readonly name: string;
  readonly desiredState: DesiredState;
  readonly state: string;
  readonly owner: string | null;
  readonly heartbeatAt: string | null;
  readonly lastError: string | null;
  readonly partitions: readonly PartitionReport[];
  readonly windowSeconds: number;
}

/** State, offsets, Kafka's latest offsets and lag, and throughput over the last `windowSeconds`. */
export async function pipelineStatus(
  state: DbEndpoint,
  name: string,
  windowSeconds = 60,
): Promise<PipelineStatusReport> {
  const { record, recent } = await withSession(state, async (session) => ({
    record: await readPipeline(session, name),
    recent: await batchStats(session, name, windowSeconds),
  }));
  const spec = record.spec;
  const perServer = await Promise.all(
    targetEndpoints(spec).writers.map((endpoint) =>
      withSession(endpoint, (session: DbSession) => readOffsets(session, name)),
    ),
  );
  const marks = await kafkaWatermarks(spec);
  const partitions = new Map<string, PartitionReport>();
  for (const rows of perServer) {
    for (const row of rows) {
      const key = `${row.topic}\u0000${row.partition}`;
      const known = partitions.get(key);
      const mark = marks.get(key);
      const offset = known ? Math.min(known.offset, row.nextOffset) : row.nextOffset;
      partitions.set(key, {
        topic: row.topic,
        partition: row.partition,
        offset,
        earliest: mark?.low ?? null,
        latest: mark?.high ?? null,
        lag: mark ? Math.max(0, mark.high - offset) : null,
        rowsLoaded: (known?.rowsLoaded ?? 0) + row.rowsLoaded,
        duplicates: (known?.duplicates ?? 0) + row.duplicates,
        failed: (known?.failed ?? 0) + row.failed,
        filtered: (known?.filtered ?? 0) + row.filtered,
        recent: recent.find((stats) => stats.topic === row.topic && stats.partition === row.partition),
      });
    }
  }
  return {
    name,
    desiredState: record.desiredState,
    state: record.state,
    owner: record.owner,
    heartbeatAt: record.heartbeatAt,
    lastError: record.lastError,
    partitions: [...partitions.values()].sort(
      (a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition,
    ),
    windowSeconds,
  };
}

async function kafkaWatermarks(spec: PipelineSpec): Promise<Map<string, { low: number; high: number }>> {
  const marks = new Map<string, { low: number; high: number }>();
  const admin = kafkaClient(spec).admin();
  try {
    await admin.connect();
    for (const topic of spec.source.topics) {
      for (const entry of await admin.fetchTopicOffsets(topic)) {
        marks.set(`${topic}\u0000${entry.partition}`, { low: Number(entry.low), high: Number(entry.high) });
      }
    }
  } catch {
    // Status still shows what the database knows when the broker cannot be reached.
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  return marks;
}

export async function pipelineErrors(state: DbEndpoint, name: string, limit = 100): Promise<StoredError[]> {
  return withSession(state, async (session) => {
    await readPipeline(session, name);
    return listErrors(session, name, limit);
  });
}
