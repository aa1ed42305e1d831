/**
 * Kafka → table with exactly-once, against the physical floor in the same run.
 *
 *   node --import tsx bench/load-kafka.ts [--events 200000] [--partitions 8] [--runs 3]
 *     [--target single|cluster] [--url mysql://…] [--cluster head,leaf1,leaf2] [--brokers host:port]
 *     [--latency-events 20000] [--latency-rate 5000] [--seed 1] [--batch '{"maxIntervalMs":20}']
 *
 * Per run:
 *  1. floor: the same rows (the decoded events, as TSV) written to local files, then LOAD DATA
 *     LOCAL INFILE of them into an empty table: one writer with every row, and one writer per
 *     Kafka partition in parallel (cluster: through the head, and one writer per leaf);
 *  2. sustained load: the events are in the topic first; a pipeline (exactly once) loads them
 *     all; rows/s is measured from the start of its first batch to the end of its last;
 *  3. latency: with the pipeline caught up, events are produced at a steady rate; for each the
 *     time from the producer's send call to the commit of the batch that holds it.
 * Progress goes to stderr, the JSON summary to stdout (medians over the runs, and every run).
 */

import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Kafka } from 'kafkajs';
import { quoteIdentifier, withSession } from '../src/db/driver.ts';
import { type DbEndpoint, parseDbUrl } from '../src/db/endpoint.ts';
import { createShardedTable } from '../src/db/sharding.ts';
import { tsvLine } from '../src/db/tsv.ts';
import { describeError, UsageError } from '../src/errors.ts';
import { createPipeline, dropPipeline, startPipeline } from '../src/loader/pipeline.ts';
import {
  createTopic,
  EVENT_COLUMNS,
  eventAt,
  eventFormat,
  eventJson,
  eventsChecksum,
  eventsChecksumSql,
  eventsTableSql,
  kafkaFor,
  produceEvents,
  range,
} from './data/events.ts';

interface Options {
  events: number;
  partitions: number;
  runs: number;
  seed: number;
  target: 'single' | 'cluster';
  single: DbEndpoint;
  cluster: { head: DbEndpoint; leaves: DbEndpoint[] } | undefined;
  brokers: string[];
  latencyEvents: number;
  latencyRate: number;
  /** Extra `batch` settings for the pipeline spec (JSON), e.g. {"maxIntervalMs":20}. */
  batch: Record<string, unknown>;
}

const COLUMNS = EVENT_COLUMNS.map((column) => column.name);
const log = (line: string) => process.stderr.write(`${line}\n`);

function urlOf(endpoint: DbEndpoint): string {
  return `mysql://${endpoint.user}${endpoint.password ? `:${endpoint.password}` : ''}@${endpoint.host}:${endpoint.port}/${endpoint.database}`;
}

function eventRow(seed: number, id: number): (string | number)[] {
  const event = eventAt(seed, id);
  return [event.id, event.user, event.kind, (event.amountCents / 100).toFixed(2), event.ts];
}

/** The events of each Kafka partition as TSV files, the way the pipeline's rows would look. */
async function writeFloorFiles(dir: string, options: Options): Promise<string[]> {
  const files = Array.from({ length: options.partitions }, (_, p) => path.join(dir, `partition-${p}.tsv`));
  const streams = files.map((file) => createWriteStream(file));
  for (let id = 1; id <= options.events; id++) {
    const stream = streams[id % options.partitions]!;
    if (!stream.write(tsvLine(eventRow(options.seed, id)))) await once(stream, 'drain');
  }
  await Promise.all(streams.map((stream) => new Promise((resolve) => stream.end(resolve))));
  return files;
}

async function* filesInOrder(files: readonly string[]): AsyncGenerator<Buffer> {
  for (const file of files) for await (const chunk of createReadStream(file)) yield chunk as Buffer;
}

async function freshTable(options: Options, name: string): Promise<void> {
  if (options.target === 'single') {
    await withSession(options.single, async (session) => {
      await session.query(`DROP TABLE IF EXISTS ${quoteIdentifier(name)}`);
      await session.query(eventsTableSql(name));
    });
  } else {
    const columns = EVENT_COLUMNS.map((column) => ({ name: column.name, type: column.type }));
    await createShardedTable(options.cluster!, name, columns, 'id', {
      primaryKey: ['id'],
      ifExists: 'replace',
    });
  }
}

async function dropTable(options: Options, name: string): Promise<void> {
  const servers =
    options.target === 'single' ? [options.single] : [options.cluster!.head, ...options.cluster!.leaves];
  for (const server of servers) {
    await withSession(server, (session) => session.query(`DROP TABLE IF EXISTS ${quoteIdentifier(name)}`));
  }
}

async function verify(options: Options, name: string, ids: readonly number[]): Promise<void> {
  const endpoint = options.target === 'single' ? options.single : options.cluster!.head;
  const [row] = await withSession(endpoint, (session) =>
    session.query<{ n: string; checksum: string }>(eventsChecksumSql(name)),
  );
  const expected = eventsChecksum(options.seed, ids);
  if (Number(row!.n) !== expected.count || BigInt(row!.checksum) !== expected.checksum) {
    throw new Error(
      `${name}: ${row!.n} rows / checksum ${row!.checksum}; expected ${expected.count} / ${expected.checksum}`,
    );
  }
}

/** LOAD DATA of the files into a fresh table; returns rows/s. */
async function floor(
  options: Options,
  files: readonly string[],
  name: string,
  how: 'one' | 'each',
): Promise<number> {
  await freshTable(options, name);
  const started = performance.now();
  if (options.target === 'single') {
    if (how === 'one') {
      await withSession(options.single, (session) => session.loadInfile(name, COLUMNS, filesInOrder(files)));
    } else {
      await Promise.all(
        files.map((file) =>
          withSession(options.single, (session) => session.loadInfile(name, COLUMNS, createReadStream(file))),
        ),
      );
    }
  } else if (how === 'one') {
    await withSession(options.cluster!.head, (session) =>
      session.loadInfile(name, COLUMNS, filesInOrder(files)),
    );
  } else {
    // One writer per leaf, each with the rows it owns (HASH(id) mod leaves), read from its own file.
    const leaves = options.cluster!.leaves;
    await Promise.all(
      leaves.map((leaf, index) =>
        withSession(leaf, (session) =>
          session.loadInfile(name, COLUMNS, leafRows(options, index, leaves.length)),
        ),
      ),
    );
  }
  const seconds = (performance.now() - started) / 1000;
  await verify(options, name, range(1, options.events));
  return options.events / seconds;
}

/** A leaf's rows as TSV chunks (cluster floor): generated ahead into memory, so only the load is timed. */
const leafCache = new Map<string, Buffer[]>();
function leafRows(options: Options, leaf: number, leaves: number): Buffer[] {
  const key = `${options.seed}/${options.events}/${leaf}/${leaves}`;
  let chunks = leafCache.get(key);
  if (!chunks) {
    chunks = [];
    let text = '';
    for (let id = 1; id <= options.events; id++) {
      if (id % leaves !== leaf) continue;
      text += tsvLine(eventRow(options.seed, id));
      if (text.length > 256 * 1024) {
        chunks.push(Buffer.from(text));
        text = '';
      }
    }
    chunks.push(Buffer.from(text));
    leafCache.set(key, chunks);
  }
  return chunks;
}

interface PipelineRun {
  readonly rowsPerSecond: number;
  readonly consumeOnly: number;
  readonly writeWindowRowsPerSecond: number;
  readonly wallSeconds: number;
  readonly batches: number;
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  readonly latencyEvents: number;
}

async function pipelineRun(
  options: Options,
  kafka: Kafka,
  name: string,
  via: 'leaves' | 'head' | undefined,
): Promise<PipelineRun> {
  await freshTable(options, name);
  const topic = name;
  await createTopic(kafka, topic, options.partitions);
  log(`  producing ${options.events} events to ${topic}`);
  await produceEvents(kafka, {
    topic,
    partitions: options.partitions,
    seed: options.seed,
    ids: range(1, options.events),
  });
  const target =
    options.target === 'single'
      ? { url: urlOf(options.single) }
      : {
          cluster: { head: urlOf(options.cluster!.head), leaves: options.cluster!.leaves.map(urlOf) },
          via: via ?? 'leaves',
        };
  const state = options.target === 'single' ? options.single : options.cluster!.head;
  await createPipeline({
    name,
    source: { brokers: options.brokers, topics: [topic], sessionTimeoutMs: 6000 },
    format: eventFormat(),
    target: { ...target, table: name },
    batch: options.batch,
  });

  // Phase 1: everything is in the topic; load it all.
  let firstStart = Number.POSITIVE_INFINITY;
  let assignedAt = Number.POSITIVE_INFINITY;
  let lastEnd = 0;
  let batches = 0;
  const commits = new Map<number, { offset: number; at: number }[]>();
  const started = performance.now();
  const runner = await startPipeline(state, name, {
    onAssigned: () => {
      assignedAt = Math.min(assignedAt, performance.now());
    },
    onBatch: (_topic, partition, report) => {
      const now = performance.now();
      firstStart = Math.min(firstStart, now - report.durationMs);
      lastEnd = now;
      batches++;
      const list = commits.get(partition) ?? [];
      list.push({ offset: report.nextOffset, at: performance.timeOrigin + now });
      commits.set(partition, list);
    },
  });
  const total = () => [...commits.values()].reduce((sum, list) => sum + list[list.length - 1]!.offset, 0);
  while (total() < options.events) await new Promise((resolve) => setTimeout(resolve, 20));
  const wallSeconds = (performance.now() - started) / 1000;
  // From the moment the group hands over the partitions (fetching starts) to the last commit:
  // fetch, decode, transform and write all count; joining the group does not.
  const rowsPerSecond = options.events / ((lastEnd - assignedAt) / 1000);
  const writeWindowRowsPerSecond = options.events / ((lastEnd - firstStart) / 1000);
  await verify(options, name, range(1, options.events));
  log(
    `  sustained: ${Math.round(rowsPerSecond)} rows/s from assignment to last commit ` +
      `(${Math.round(writeWindowRowsPerSecond)} rows/s from the first batch; ${batches} batches; ` +
      `${wallSeconds.toFixed(2)} s wall with the group join)`,
  );

  // For scale: the same records consumed by kafkajs alone (no decoding, no writes), from a fresh
  // group, measured like the pipeline (from assignment to the last record).
  const consumeOnly = await consumeOnlyRate(kafka, topic, options.events);
  log(`  kafkajs consuming alone: ${Math.round(consumeOnly)} records/s`);

  // Phase 2: steady production; latency from send call to commit.
  const sent: { partition: number; offset: number; at: number }[] = [];
  const producer = kafka.producer();
  await producer.connect();
  const perSend = 100;
  const interval = (perSend / options.latencyRate) * 1000;
  const firstId = options.events + 1;
  const begin = Date.now();
  for (let index = 0; index < options.latencyEvents; index += perSend) {
    const due = begin + (index / perSend) * interval;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const ids = range(firstId + index, Math.min(perSend, options.latencyEvents - index));
    const at = Date.now();
    const messages = ids.map((id) => ({
      key: String(id),
      value: eventJson(eventAt(options.seed, id)),
      partition: id % options.partitions,
    }));
    const metadata = await producer.send({ topic, messages, acks: -1 });
    for (const entry of metadata) {
      const count = ids.filter((id) => id % options.partitions === entry.partition).length;
      for (let k = 0; k < count; k++)
        sent.push({ partition: entry.partition, offset: Number(entry.baseOffset) + k, at });
    }
  }
  await producer.disconnect();
  const end = options.events + options.latencyEvents;
  while (total() < end) await new Promise((resolve) => setTimeout(resolve, 20));
  await runner.stop();
  const latencies = sent.map((event) => {
    const commit = commits.get(event.partition)!.find((entry) => entry.offset > event.offset)!;
    return commit.at - event.at;
  });
  latencies.sort((a, b) => a - b);
  await verify(options, name, range(1, end));
  await dropPipeline(state, name);
  await dropTable(options, name);
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
  const p50 = latencies[Math.floor(latencies.length * 0.5)]!;
  const p99 = latencies[Math.floor(latencies.length * 0.99)]!;
  log(
    `  latency (send → committed) over ${latencies.length} events at ${options.latencyRate}/s: p50 ${p50.toFixed(0)} ms, p99 ${p99.toFixed(0)} ms`,
  );
  return {
    rowsPerSecond,
    consumeOnly,
    writeWindowRowsPerSecond,
    wallSeconds,
    batches,
    latencyP50Ms: p50,
    latencyP99Ms: p99,
    latencyEvents: latencies.length,
  };
}

async function consumeOnlyRate(kafka: Kafka, topic: string, events: number): Promise<number> {
  const consumer = kafka.consumer({
    groupId: `${topic}-consume-only`,
    maxBytesPerPartition: 2 * 1024 * 1024,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let assignedAt = 0;
  let seen = 0;
  consumer.on(consumer.events.GROUP_JOIN, () => {
    assignedAt = performance.now();
  });
  const seconds = await new Promise<number>((resolve) => {
    void consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: 64,
      eachBatch: async ({ batch }) => {
        seen += batch.messages.length;
        if (seen >= events) resolve((performance.now() - assignedAt) / 1000);
      },
    });
  });
  await consumer.disconnect();
  return events / seconds;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function integer(name: string, text: string, min: number): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min)
    throw new UsageError(`--${name} must be an integer >= ${min}`);
  return value;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      events: { type: 'string', default: '200000' },
      partitions: { type: 'string', default: '8' },
      runs: { type: 'string', default: '3' },
      seed: { type: 'string', default: '1' },
      target: { type: 'string', default: 'single' },
      url: { type: 'string' },
      cluster: { type: 'string' },
      brokers: { type: 'string' },
      'latency-events': { type: 'string', default: '20000' },
      'latency-rate': { type: 'string', default: '5000' },
      batch: { type: 'string', default: '{}' },
    },
  });
  if (values.target !== 'single' && values.target !== 'cluster')
    throw new UsageError('--target is single or cluster');
  const clusterUrls = (values.cluster ?? process.env.SLUICE_CLUSTER_URLS ?? '').split(',').filter(Boolean);
  const options: Options = {
    events: integer('events', values.events, 100),
    partitions: integer('partitions', values.partitions, 1),
    runs: integer('runs', values.runs, 1),
    seed: integer('seed', values.seed, 0),
    target: values.target,
    single: parseDbUrl(
      values.url ?? process.env.SLUICE_DB_URL ?? 'mysql://root@127.0.0.1:13306/sluice',
      '--url',
    ),
    cluster:
      clusterUrls.length >= 2
        ? { head: parseDbUrl(clusterUrls[0]!), leaves: clusterUrls.slice(1).map((url) => parseDbUrl(url)) }
        : undefined,
    brokers: (values.brokers ?? process.env.SLUICE_KAFKA_BROKERS ?? '127.0.0.1:19092').split(','),
    latencyEvents: integer('latency-events', values['latency-events'], 100),
    latencyRate: integer('latency-rate', values['latency-rate'], 100),
    batch: JSON.parse(values.batch) as Record<string, unknown>,
  };
  if (options.target === 'cluster' && !options.cluster)
    throw new UsageError('--target cluster needs --cluster head,leaf1,…');
  const kafka = kafkaFor(options.brokers);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-kafka-bench-'));
  const runs: Record<string, number>[] = [];
  try {
    log(`writing ${options.events} rows as TSV files, one per partition`);
    const files = await writeFloorFiles(dir, options);
    for (let run = 1; run <= options.runs; run++) {
      const tag = `bench_kafka_${Date.now().toString(36)}`;
      log(`run ${run}/${options.runs}`);
      const oneWriter = await floor(options, files, `${tag}_floor1`, 'one');
      await dropTable(options, `${tag}_floor1`);
      const perWriter = await floor(options, files, `${tag}_floorn`, 'each');
      await dropTable(options, `${tag}_floorn`);
      log(
        `  floor: one writer ${Math.round(oneWriter)} rows/s, ${options.target === 'single' ? 'one per partition' : 'one per leaf'} ${Math.round(perWriter)} rows/s`,
      );
      const pipeline = await pipelineRun(options, kafka, `${tag}_pipe`, undefined);
      const result: Record<string, number> = {
        floorOneWriter: oneWriter,
        floorParallel: perWriter,
        pipelineRowsPerSecond: pipeline.rowsPerSecond,
        pipelineFromFirstBatchRowsPerSecond: pipeline.writeWindowRowsPerSecond,
        kafkajsConsumeOnly: pipeline.consumeOnly,
        pipelineWallSeconds: pipeline.wallSeconds,
        pipelineBatches: pipeline.batches,
        ratioToBestFloor: pipeline.rowsPerSecond / Math.max(oneWriter, perWriter),
        latencyP50Ms: pipeline.latencyP50Ms,
        latencyP99Ms: pipeline.latencyP99Ms,
      };
      if (options.target === 'cluster') {
        log('  the same load through the Spider head');
        const head = await pipelineRun(options, kafka, `${tag}_head`, 'head');
        result.viaHeadRowsPerSecond = head.rowsPerSecond;
        result.viaHeadLatencyP50Ms = head.latencyP50Ms;
        result.viaHeadLatencyP99Ms = head.latencyP99Ms;
      }
      runs.push(result);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const medians = Object.fromEntries(
    Object.keys(runs[0]!).map((key) => [key, median(runs.map((run) => run[key]!))]),
  );
  process.stdout.write(
    `${JSON.stringify(
      {
        benchmark: 'kafka-load',
        machine: {
          cores: os.cpus().length,
          memoryGb: Math.round(os.totalmem() / 2 ** 30),
          node: process.version,
        },
        options: {
          ...options,
          single: urlOf(options.single),
          cluster: options.cluster ? clusterUrls : undefined,
        },
        medians,
        runs,
      },
      null,
      2,
    )}\n`,
  );
}

main()
  .then(() => process.exit(0))
  .catch((error: unknown) => {
    log(describeError(error));
    process.exit(1);
  });
