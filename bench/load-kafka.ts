/**
 * Kafka → table with exactly-once, against the physical floor in the same run.
 *
 *   node --import tsx bench/load-kafka.ts [--events 200000] [--partitions 8] [--runs 3]
 *     [--target single|cluster] [--url mysql://…] [--cluster head,leaf1,leaf2] [--brokers host:port]
 *     [--latency-events 20000] [--latency-rate 5000] [--seed 1] [--batch '{"maxIntervalMs":20}']
 *     [--compare-main-thread] [--compare-batch '{"maxRows":20000}'] [--format json|tsv] [--profile]
 *     [--skip-head]
 *
 * Per run:
 *  1. floor: the same rows (the decoded events, as TSV) written to local files, then LOAD DATA
 *     LOCAL INFILE of them into an empty table: one writer with every row, and one writer per
 *     Kafka partition in parallel (cluster: through the head, and one writer per leaf);
 *  2. the events are produced into a fresh topic; with --compare-main-thread a pipeline that
 *     decodes on the main thread loads them first (the design before decode threads); on a
 *     cluster, a pipeline through the Spider head loads them too; with --compare-batch a pipeline
 *     with those batch settings loads them, before and after the default one (paired figures on
 *     the same events, the run's other work shared out evenly);
 *  3. kafkajs alone consumes them (no decoding, no writes), for its CPU cost per record;
 *  4. sustained load: a pipeline (exactly once, default settings) loads them all; rows/s from the
 *     moment the group hands over the partitions to the last commit;
 *  5. latency: with the pipeline caught up, events are produced at a steady rate; for each the
 *     time from the producer's send call to the commit of the batch that holds it;
 *  6. with --profile: the same load by `sluice pipeline start` in a child process under V8's CPU
 *     profiler: CPU µs per row by stage (fetch, decompress, decode, transform, row building,
 *     LOAD DATA, offset commit, GC, …), main thread and decode threads apart.
 * --format tsv sends the events as TSV lines (a `tsv` pipeline, no JSON decode) instead of JSON.
 * --skip-head (cluster) leaves out the floor and the pipeline through the Spider head, which take
 * minutes per million rows.
 * CPU time is measured for this process, the database servers and the broker (from /proc), so
 * each run also gives a CPU-bound ceiling: the machine's cores divided by what kafkajs and the
 * broker spend per record plus what the database spends per row in the floor, i.e. the best any
 * pipeline built on kafkajs could do here if decoding cost nothing.
 * Progress goes to stderr, the JSON summary to stdout (medians over the runs, and every run).
 */

import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Kafka } from 'kafkajs';
import { UsageError } from '../src/base/errors.ts';
import { withSession } from '../src/db/driver.ts';
import { type DbEndpoint, parseDbUrl } from '../src/db/endpoint.ts';
import { createShardedTable } from '../src/db/sharding.ts';
import { tsvLine } from '../src/db/tsv.ts';
import { packValues } from '../src/loader/batch-decoder.ts';
import { encodeBatch } from '../src/loader/encode-batch.ts';
import { createDecoder } from '../src/loader/formats.ts';
import { withKafkajsRecordDecoding } from '../src/loader/kafka-records.ts';
import { createPipeline, dropPipeline, startPipeline } from '../src/loader/pipeline.ts';
import type { SourceRecord } from '../src/loader/record.ts';
import { parsePipelineSpec } from '../src/loader/spec.ts';
import { quoteIdentifier } from '../src/sql/identifiers.ts';
import { cpuSeconds, listeningPid, machineBusySeconds, ownCpuSeconds, serverPid } from './data/cpu.ts';
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
import { profileStages, STAGES } from './data/stage-profile.ts';
import {
  brokersFrom,
  collectGarbage,
  consumeAlone,
  dbUrlFrom,
  deleteTopic,
  log,
  mediansOf,
  runBenchmark,
  writeSummary,
} from './kafka-common.ts';

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
  /** Also load with decoding on the main thread (decodeThreads 0), the design before worker decoding. */
  compareMainThread: boolean;
  /** Also load with these batch settings (JSON), before and after the default pipeline. */
  compareBatch: Record<string, unknown> | undefined;
  /** The events as JSON (decoded by JSON.parse and paths) or as TSV lines (no JSON decode). */
  format: 'json' | 'tsv';
  /** Also load once in a child process under the CPU profiler: CPU µs per row by stage. */
  profile: boolean;
  /** Cluster: no floor and no pipeline through the Spider head. */
  skipHead: boolean;
  /** Local processes whose CPU time is measured: the database servers written to, the broker. */
  pids: { servers: number[]; broker: number | undefined };
}

/** CPU seconds used by sluice (this process), the database servers, the broker, and the machine. */
interface CpuSample {
  readonly sluice: number;
  readonly servers: number;
  readonly broker: number;
  readonly machine: number;
  /** performance.now() when sampled. */
  readonly at: number;
}

function sampleCpu(options: Options): CpuSample {
  const { servers, broker } = options.pids;
  return {
    sluice: ownCpuSeconds(),
    servers: servers.reduce((sum, pid) => sum + cpuSeconds(pid), 0),
    broker: broker === undefined ? Number.NaN : cpuSeconds(broker),
    machine: machineBusySeconds(),
    at: performance.now(),
  };
}

/**
 * Cores in use between two samples: by the measured processes (sluice, the database servers, the
 * broker) and by everything else on the machine (other work that competed with the run).
 */
function coresUsed(before: CpuSample, after: CpuSample): { measured: number; others: number } {
  const seconds = (after.at - before.at) / 1000;
  const measured =
    after.sluice - before.sluice + (after.servers - before.servers) + (after.broker - before.broker || 0);
  return { measured: measured / seconds, others: (after.machine - before.machine - measured) / seconds };
}

/** CPU microseconds per row between two samples, by process. */
function cpuPerRow(before: CpuSample, after: CpuSample, rows: number) {
  const perRow = (seconds: number) => (seconds / rows) * 1e6;
  return {
    sluice: perRow(after.sluice - before.sluice),
    server: perRow(after.servers - before.servers),
    broker: perRow(after.broker - before.broker),
  };
}

const COLUMNS = EVENT_COLUMNS.map((column) => column.name);
const ROOT = path.resolve(import.meta.dirname, '..');

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

/** LOAD DATA of the files into a fresh table: rows/s, and the servers' CPU µs per row. */
async function floor(
  options: Options,
  files: readonly string[],
  name: string,
  how: 'one' | 'each',
): Promise<{ rowsPerSecond: number; serverCpuPerRow: number; othersCores: number }> {
  await freshTable(options, name);
  collectGarbage();
  const cpuBefore = sampleCpu(options);
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
  const cpuAfter = sampleCpu(options);
  const cpu = cpuPerRow(cpuBefore, cpuAfter, options.events);
  await verify(options, name, range(1, options.events));
  return {
    rowsPerSecond: options.events / seconds,
    serverCpuPerRow: cpu.server,
    othersCores: coresUsed(cpuBefore, cpuAfter).others,
  };
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

interface Sustained {
  /** From the moment the group hands over the partitions (fetching starts) to the last commit. */
  readonly rowsPerSecond: number;
  /** From the start of the first batch's write to the last commit. */
  readonly fromFirstBatchRowsPerSecond: number;
  readonly wallSeconds: number;
  readonly batches: number;
  /** CPU µs per row from assignment to the last commit. */
  readonly cpu: { readonly sluice: number; readonly server: number; readonly broker: number };
  /** Cores used from assignment to the last commit: by the run's processes, by other work. */
  readonly cores: { readonly measured: number; readonly others: number };
}

interface LoadingPipeline {
  readonly runner: Awaited<ReturnType<typeof startPipeline>>;
  readonly sustained: Sustained;
  /** Per partition, every commit: the next offset and when (ms since the epoch). */
  readonly commits: Map<number, { offset: number; at: number }[]>;
  /** Resolves once `count` records have been committed in all. */
  readonly committed: (count: number) => Promise<void>;
}

/** A topic with the run's events, produced before any pipeline starts. */
async function producedTopic(options: Options, kafka: Kafka, topic: string): Promise<void> {
  await createTopic(kafka, topic, options.partitions);
  log(`  producing ${options.events} events to ${topic}`);
  await produceEvents(kafka, {
    topic,
    partitions: options.partitions,
    seed: options.seed,
    ids: range(1, options.events),
    payload: (id) => payloadOf(options, id),
  });
}

/** An event's payload in the run's format. */
function payloadOf(options: Options, id: number): string {
  return options.format === 'tsv'
    ? eventRow(options.seed, id).join('\t')
    : eventJson(eventAt(options.seed, id));
}

/** The pipeline's format for the run's payloads. */
function formatOf(options: Options): Record<string, unknown> {
  return options.format === 'tsv'
    ? { kind: 'tsv', columns: EVENT_COLUMNS.map((column) => column.name) }
    : eventFormat();
}

/**
 * A pipeline into a fresh table that loads every event already in the topic (`rows`: the run's
 * events, or with the latency phase's too); it keeps running (caught up) until the caller stops it.
 */
async function loadAll(
  options: Options,
  topic: string,
  name: string,
  via: 'leaves' | 'head' | undefined,
  batch: Record<string, unknown>,
  rows = options.events,
): Promise<LoadingPipeline> {
  await freshTable(options, name);
  await createPipeline(pipelineSpec(options, topic, name, via, batch));
  const state = stateServer(options);
  collectGarbage();
  let firstStart = Number.POSITIVE_INFINITY;
  let assignedAt = Number.POSITIVE_INFINITY;
  let cpuAtAssignment: CpuSample | undefined;
  let lastEnd = 0;
  let batches = 0;
  const commits = new Map<number, { offset: number; at: number }[]>();
  const started = performance.now();
  const runner = await startPipeline(state, name, {
    onAssigned: () => {
      if (assignedAt === Number.POSITIVE_INFINITY) cpuAtAssignment = sampleCpu(options);
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
  const committed = async (count: number) => {
    while (total() < count) await new Promise((resolve) => setTimeout(resolve, 5));
  };
  await committed(rows);
  const cpuAtEnd = sampleCpu(options);
  const wallSeconds = (performance.now() - started) / 1000;
  const sustained: Sustained = {
    // Fetch, decode, transform and write all count; joining the group does not.
    rowsPerSecond: rows / ((lastEnd - assignedAt) / 1000),
    fromFirstBatchRowsPerSecond: rows / ((lastEnd - firstStart) / 1000),
    wallSeconds,
    batches,
    cpu: cpuPerRow(cpuAtAssignment!, cpuAtEnd, rows),
    cores: coresUsed(cpuAtAssignment!, cpuAtEnd),
  };
  await verify(options, name, range(1, rows));
  log(
    `  sustained: ${Math.round(sustained.rowsPerSecond)} rows/s from assignment to last commit ` +
      `(${Math.round(sustained.fromFirstBatchRowsPerSecond)} rows/s from the first batch; ${batches} batches; ` +
      `${wallSeconds.toFixed(2)} s wall with the group join); CPU µs/row: sluice ${sustained.cpu.sluice.toFixed(2)}, ` +
      `database ${sustained.cpu.server.toFixed(2)}, broker ${sustained.cpu.broker.toFixed(2)}; cores used ` +
      `${sustained.cores.measured.toFixed(2)}, by other work ${sustained.cores.others.toFixed(2)}`,
  );
  return { runner, sustained, commits, committed };
}

/** A pipeline from `topic` into the table `name` (the run's target, format and batch settings). */
function pipelineSpec(
  options: Options,
  topic: string,
  name: string,
  via: 'leaves' | 'head' | undefined,
  batch: Record<string, unknown>,
) {
  const target =
    options.target === 'single'
      ? { url: urlOf(options.single) }
      : {
          cluster: { head: urlOf(options.cluster!.head), leaves: options.cluster!.leaves.map(urlOf) },
          via: via ?? 'leaves',
        };
  return {
    name,
    source: { brokers: options.brokers, topics: [topic], sessionTimeoutMs: 6000 },
    format: formatOf(options),
    target: { ...target, table: name },
    batch: { ...options.batch, ...batch },
  };
}

/**
 * The same load once more, by `sluice pipeline start --until-caught-up` in a child process under
 * V8's CPU profiler (bench/data/stage-profile.ts): the pipeline process's CPU µs per row by stage
 * from the group's hand-over to its exit, and the database's and the broker's over the same run.
 */
async function profiledLoad(options: Options, topic: string, name: string): Promise<Record<string, number>> {
  // The topic also holds the latency phase's events.
  const rows = options.events + options.latencyEvents;
  await freshTable(options, name);
  await createPipeline(pipelineSpec(options, topic, name, undefined, {}));
  const before = sampleCpu(options);
  const profile = await profileStages(
    ['bin/sluice.mjs', 'pipeline', 'start', name, '--db', urlOf(stateServer(options)), '--until-caught-up'],
    rows,
    ROOT,
  );
  const cpu = cpuPerRow(before, sampleCpu(options), rows);
  await verify(options, name, range(1, rows));
  await dropPipeline(stateServer(options), name);
  await dropTable(options, name);
  const result: Record<string, number> = {
    profileRowsPerSecond: rows / profile.wallSeconds,
    profileProcessCpuUsPerRow: profile.processCpuUsPerRow,
    profileMainThreadCpuUsPerRow: profile.mainCpuUsPerRow,
    profileServerCpuUsPerRow: cpu.server,
    profileBrokerCpuUsPerRow: cpu.broker,
  };
  const lines = [`  CPU µs/row by stage (profiled run, ${Math.round(result.profileRowsPerSecond!)} rows/s):`];
  for (const stage of STAGES) {
    const main = profile.main[stage] ?? 0;
    const workers = profile.workers[stage] ?? 0;
    result[`stage: ${stage}: main`] = main;
    result[`stage: ${stage}: workers`] = workers;
    lines.push(
      `    ${stage.padEnd(44)} main ${main.toFixed(2).padStart(6)}  workers ${workers.toFixed(2).padStart(6)}`,
    );
  }
  lines.push(
    `    ${'sluice process (all threads)'.padEnd(44)} ${profile.processCpuUsPerRow.toFixed(2)}; ` +
      `database ${cpu.server.toFixed(2)}; broker ${cpu.broker.toFixed(2)}`,
  );
  log(lines.join('\n'));
  return result;
}

function stateServer(options: Options): DbEndpoint {
  return options.target === 'single' ? options.single : options.cluster!.head;
}

async function dropLoad(options: Options, name: string, pipeline: LoadingPipeline): Promise<void> {
  await pipeline.runner.stop();
  await dropPipeline(stateServer(options), name);
  await dropTable(options, name);
}

/** With the pipeline caught up: events produced at a steady rate, each timed from send to commit. */
async function latency(
  options: Options,
  kafka: Kafka,
  topic: string,
  name: string,
  pipeline: LoadingPipeline,
): Promise<{ p50: number; p99: number; events: number }> {
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
      value: payloadOf(options, id),
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
  await pipeline.committed(end);
  const latencies = sent.map((event) => {
    const commit = pipeline.commits.get(event.partition)!.find((entry) => entry.offset > event.offset)!;
    return commit.at - event.at;
  });
  latencies.sort((a, b) => a - b);
  await verify(options, name, range(1, end));
  const p50 = latencies[Math.floor(latencies.length * 0.5)]!;
  const p99 = latencies[Math.floor(latencies.length * 0.99)]!;
  log(
    `  latency (send → committed) over ${latencies.length} events at ${options.latencyRate}/s: p50 ${p50.toFixed(0)} ms, p99 ${p99.toFixed(0)} ms`,
  );
  return { p50, p99, events: latencies.length };
}

/**
 * The same records consumed by kafkajs alone (no decoding, no writes), from a fresh group,
 * measured like the pipeline (from assignment to the last record): records/s and CPU µs per
 * record of this process and of the broker.
 */
async function consumeOnly(
  options: Options,
  kafka: Kafka,
  topic: string,
): Promise<{ recordsPerSecond: number; cpu: { sluice: number; broker: number } }> {
  collectGarbage();
  // kafkajs as it comes (its own record decoding), the client the ceiling is defined by.
  const { seconds, before, after } = await withKafkajsRecordDecoding(() =>
    consumeAlone(kafka, topic, options.events, () => sampleCpu(options)),
  );
  const cpu = cpuPerRow(before, after, options.events);
  return { recordsPerSecond: options.events / seconds, cpu: { sluice: cpu.sluice, broker: cpu.broker } };
}

/**
 * CPU µs per row of the pipeline's decoding work alone, on one thread, after a warm-up pass:
 * what a decode thread does (`encodeBatch`: the direct reader, or the spec's decoder, into LOAD
 * DATA text) on batches of the run's payloads, and for comparison the spec's decoder (JSON.parse
 * and the column mapping, or the CSV split) with `tsvLine` for every record.
 */
function decodeCpuPerRow(options: Options): { pipeline: number; general: number } {
  const format = parsePipelineSpec(eventSpecFor('decode', options)).format;
  const decoder = createDecoder(format);
  const count = Math.min(options.events, 200_000);
  const payloads = range(1, count).map((id) => Buffer.from(payloadOf(options, id)));
  const batchSize = 20_000;
  const batches: SourceRecord[][] = [];
  for (let first = 0; first < count; first += batchSize) {
    batches.push(
      payloads
        .slice(first, first + batchSize)
        .map((value, offset) => ({ offset, key: null, value, timestamp: '' })),
    );
  }
  // The text is kept (as the bytes sent), so none of the work can be optimised away.
  const general = () => {
    const sent: Buffer[] = [];
    let text = '';
    for (const payload of payloads) {
      for (const row of decoder.decode(payload)) text += tsvLine(row);
      if (text.length > 256 * 1024) {
        sent.push(Buffer.from(text));
        text = '';
      }
    }
    sent.push(Buffer.from(text));
    return sent.length;
  };
  const pipeline = () => {
    let chunks = 0;
    for (const records of batches) {
      const answer = encodeBatch({ format, routing: undefined, servers: 1, ...packValues(records) });
      chunks += answer.servers[0]!.tsv.length;
    }
    return chunks;
  };
  const measure = (pass: () => number) => {
    pass(); // warm-up: the JIT's work is not what a long load pays per row
    const started = ownCpuSeconds();
    if (pass() === 0) throw new Error('decoding produced nothing');
    return ((ownCpuSeconds() - started) / count) * 1e6;
  };
  return { pipeline: measure(pipeline), general: measure(general) };
}

function eventSpecFor(name: string, options: Options): Record<string, unknown> {
  return {
    name,
    source: { brokers: options.brokers, topics: ['t'] },
    format: formatOf(options),
    target: { url: urlOf(options.single), table: name },
  };
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
      'compare-main-thread': { type: 'boolean', default: false },
      'compare-batch': { type: 'string' },
      format: { type: 'string', default: 'json' },
      profile: { type: 'boolean', default: false },
      'skip-head': { type: 'boolean', default: false },
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
    single: parseDbUrl(dbUrlFrom(values.url), '--url'),
    cluster:
      clusterUrls.length >= 2
        ? { head: parseDbUrl(clusterUrls[0]!), leaves: clusterUrls.slice(1).map((url) => parseDbUrl(url)) }
        : undefined,
    brokers: brokersFrom(values.brokers),
    latencyEvents: integer('latency-events', values['latency-events'], 100),
    latencyRate: integer('latency-rate', values['latency-rate'], 100),
    batch: JSON.parse(values.batch) as Record<string, unknown>,
    compareMainThread: values['compare-main-thread'],
    compareBatch: values['compare-batch']
      ? (JSON.parse(values['compare-batch']) as Record<string, unknown>)
      : undefined,
    format: values.format === 'tsv' ? 'tsv' : 'json',
    profile: values.profile,
    skipHead: values['skip-head'] && values.target === 'cluster',
    pids: { servers: [], broker: undefined },
  };
  if (options.target === 'cluster' && !options.cluster)
    throw new UsageError('--target cluster needs --cluster head,leaf1,…');
  // CPU is measured for the servers that take rows and for the broker, when they run here.
  const writeServers =
    options.target === 'single' ? [options.single] : [options.cluster!.head, ...options.cluster!.leaves];
  options.pids.servers = await Promise.all(writeServers.map((server) => serverPid(server))).catch(() => []);
  const brokerPort = Number(options.brokers[0]!.split(':').pop());
  options.pids.broker = options.brokers.length === 1 ? listeningPid(brokerPort) : undefined;
  if (options.pids.servers.length === 0 || options.pids.broker === undefined)
    log('note: some servers are not local processes; their CPU time is not measured');
  const kafka = kafkaFor(options.brokers);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-kafka-bench-'));
  const runs: Record<string, number>[] = [];
  try {
    log(`writing ${options.events} rows as TSV files, one per partition`);
    const files = await writeFloorFiles(dir, options);
    for (let run = 1; run <= options.runs; run++) {
      const tag = `bench_kafka_${Date.now().toString(36)}`;
      log(`run ${run}/${options.runs}`);
      const one = options.skipHead
        ? { rowsPerSecond: Number.NaN, serverCpuPerRow: Number.NaN, othersCores: Number.NaN }
        : await floor(options, files, `${tag}_floor1`, 'one');
      if (!options.skipHead) await dropTable(options, `${tag}_floor1`);
      const each = await floor(options, files, `${tag}_floorn`, 'each');
      await dropTable(options, `${tag}_floorn`);
      log(
        `  floor: one writer ${Math.round(one.rowsPerSecond)} rows/s (database CPU ${one.serverCpuPerRow.toFixed(2)} µs/row), ` +
          `${options.target === 'single' ? 'one per partition' : 'one per leaf'} ${Math.round(each.rowsPerSecond)} rows/s ` +
          `(${each.serverCpuPerRow.toFixed(2)} µs/row); cores used by other work ${one.othersCores.toFixed(2)}, ` +
          `${each.othersCores.toFixed(2)}`,
      );
      const topic = `${tag}_topic`;
      await producedTopic(options, kafka, topic);
      const result: Record<string, number> = {
        floorOneWriter: one.rowsPerSecond,
        floorParallel: each.rowsPerSecond,
        floorOneWriterServerCpuUsPerRow: one.serverCpuPerRow,
        floorParallelServerCpuUsPerRow: each.serverCpuPerRow,
        floorOneWriterOthersCores: one.othersCores,
        floorParallelOthersCores: each.othersCores,
      };
      if (options.compareMainThread) {
        log('  decoding on the main thread (decodeThreads 0)');
        const name = `${tag}_main`;
        const main = await loadAll(options, topic, name, undefined, { decodeThreads: 0 });
        await dropLoad(options, name, main);
        result.mainThreadRowsPerSecond = main.sustained.rowsPerSecond;
        result.mainThreadSluiceCpuUsPerRow = main.sustained.cpu.sluice;
      }
      if (options.target === 'cluster' && !options.skipHead) {
        log('  the same load through the Spider head');
        const headName = `${tag}_head`;
        const head = await loadAll(options, topic, headName, 'head', {});
        await dropLoad(options, headName, head);
        result.viaHeadRowsPerSecond = head.sustained.rowsPerSecond;
      }
      log('  kafkajs consuming alone');
      const alone = await consumeOnly(options, kafka, topic);
      log(
        `  kafkajs consuming alone: ${Math.round(alone.recordsPerSecond)} records/s; CPU µs/record: ` +
          `kafkajs ${alone.cpu.sluice.toFixed(2)}, broker ${alone.cpu.broker.toFixed(2)}`,
      );
      // No pipeline on this machine can use less CPU per row than kafkajs fetching the records
      // plus the database taking them (the floor), even if decoding cost nothing; with the
      // decoding (JSON.parse, the column mapping, the LOAD DATA text) it needs at least that too.
      const decoding = decodeCpuPerRow(options);
      const decodeCpu = decoding.pipeline;
      // The database's cheapest way in (one writer or several) is the optimistic bound.
      const serverCpu = options.skipHead
        ? each.serverCpuPerRow
        : Math.min(one.serverCpuPerRow, each.serverCpuPerRow);
      const perRowFloor = alone.cpu.sluice + alone.cpu.broker + serverCpu;
      const ceiling = (os.availableParallelism() / perRowFloor) * 1e6;
      const ceilingWithDecoding = (os.availableParallelism() / (perRowFloor + decodeCpu)) * 1e6;
      log(
        `  decoding alone: ${decodeCpu.toFixed(2)} µs/row (the spec's decoder and tsvLine for every record: ` +
          `${decoding.general.toFixed(2)}); CPU-bound ceiling ${Math.round(ceiling)} rows/s ` +
          `(${Math.round(ceilingWithDecoding)} rows/s with the decoding)`,
      );
      const compared: Sustained[] = [];
      const compare = async (suffix: string, rows: number) => {
        if (!options.compareBatch) return;
        log(`  with batch ${JSON.stringify(options.compareBatch)}`);
        const other = await loadAll(
          options,
          topic,
          `${tag}_${suffix}`,
          undefined,
          options.compareBatch,
          rows,
        );
        await dropLoad(options, `${tag}_${suffix}`, other);
        compared.push(other.sustained);
      };
      await compare('cmp1', options.events);
      const name = `${tag}_pipe`;
      const pipeline = await loadAll(options, topic, name, undefined, {});
      const lag = await latency(options, kafka, topic, name, pipeline);
      await dropLoad(options, name, pipeline);
      // The topic now also holds the latency phase's events: this load takes them too.
      await compare('cmp2', options.events + options.latencyEvents);
      if (compared.length > 0) {
        const mean = (pick: (each: Sustained) => number) =>
          compared.reduce((sum, each) => sum + pick(each), 0) / compared.length;
        Object.assign(result, {
          compareRowsPerSecond: mean((each) => each.rowsPerSecond),
          compareBatches: mean((each) => each.batches),
          compareSluiceCpuUsPerRow: mean((each) => each.cpu.sluice),
          compareServerCpuUsPerRow: mean((each) => each.cpu.server),
          compareOthersCores: mean((each) => each.cores.others),
        });
      }
      if (options.profile) Object.assign(result, await profiledLoad(options, topic, `${tag}_prof`));
      const best = options.skipHead ? each.rowsPerSecond : Math.max(one.rowsPerSecond, each.rowsPerSecond);
      Object.assign(result, {
        kafkajsConsumeOnly: alone.recordsPerSecond,
        kafkajsCpuUsPerRecord: alone.cpu.sluice,
        brokerCpuUsPerRecordConsumeOnly: alone.cpu.broker,
        cpuBoundCeiling: ceiling,
        decodeCpuUsPerRow: decodeCpu,
        decodeGeneralCpuUsPerRow: decoding.general,
        cpuBoundCeilingWithDecoding: ceilingWithDecoding,
        ceilingWithDecodingToBestFloor: ceilingWithDecoding / best,
        ratioToCeilingWithDecoding: pipeline.sustained.rowsPerSecond / ceilingWithDecoding,
        // The same ratio in CPU per row (the ceiling's over the pipeline's): what the pipeline
        // would reach of the ceiling if it had the cores to itself. On a machine other work keeps
        // busy, rows/s show the share of the cores the run got more than the pipeline's cost.
        cpuRatioToCeilingWithDecoding:
          (perRowFloor + decodeCpu) /
          (pipeline.sustained.cpu.sluice + pipeline.sustained.cpu.server + pipeline.sustained.cpu.broker),
        pipelineRowsPerSecond: pipeline.sustained.rowsPerSecond,
        pipelineFromFirstBatchRowsPerSecond: pipeline.sustained.fromFirstBatchRowsPerSecond,
        pipelineWallSeconds: pipeline.sustained.wallSeconds,
        pipelineBatches: pipeline.sustained.batches,
        pipelineSluiceCpuUsPerRow: pipeline.sustained.cpu.sluice,
        pipelineServerCpuUsPerRow: pipeline.sustained.cpu.server,
        pipelineBrokerCpuUsPerRow: pipeline.sustained.cpu.broker,
        pipelineCores: pipeline.sustained.cores.measured,
        pipelineOthersCores: pipeline.sustained.cores.others,
        ratioToBestFloor: pipeline.sustained.rowsPerSecond / best,
        ratioToCeiling: pipeline.sustained.rowsPerSecond / ceiling,
        ceilingToBestFloor: ceiling / best,
        latencyP50Ms: lag.p50,
        latencyP99Ms: lag.p99,
      });
      log(
        `  pipeline ${Math.round(pipeline.sustained.rowsPerSecond)} rows/s = ${(100 * result.ratioToBestFloor!).toFixed(0)} % of the floor; ` +
          `CPU-bound ceiling ${(100 * result.ceilingToBestFloor!).toFixed(0)} % of the floor, ` +
          `${(100 * result.ceilingWithDecodingToBestFloor!).toFixed(0)} % with the decoding; ` +
          `pipeline at ${(100 * result.ratioToCeilingWithDecoding!).toFixed(0)} % of the latter ` +
          `(${(100 * result.cpuRatioToCeilingWithDecoding!).toFixed(0)} % in CPU per row, ceiling's over the pipeline's)`,
      );
      await deleteTopic(kafka, topic);
      runs.push(result);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  writeSummary('kafka-load', {
    options: {
      ...options,
      single: urlOf(options.single),
      cluster: options.cluster ? clusterUrls : undefined,
    },
    medians: mediansOf(runs),
    runs,
  });
}

runBenchmark(main);
