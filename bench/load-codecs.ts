/**
 * Compressed topics: what each codec costs the pipeline per record, with batches written by
 * librdkafka (Python's confluent-kafka), the client most non-Java producers use.
 *
 *   node --import tsx bench/load-codecs.ts [--events 200000] [--partitions 8] [--runs 3]
 *     [--codecs none,gzip,snappy,lz4,zstd] [--url mysql://…] [--brokers host:port]
 *     [--python python3]
 *
 * Per run and codec: the events go into a fresh topic through bench/data/produce_librdkafka.py
 * (needs `pip install confluent-kafka`); then kafkajs alone consumes them (no decoding, no
 * writes) for its CPU µs per record with that codec, and a pipeline (exactly once, defaults)
 * loads them into a fresh table, checked by count and checksum. CPU is this process's (every
 * thread, the codecs' included). Progress on stderr, the JSON summary (medians) on stdout.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Kafka } from 'kafkajs';
import { UsageError } from '../src/base/errors.ts';
import { withSession } from '../src/db/driver.ts';
import { type DbEndpoint, parseDbUrl } from '../src/db/endpoint.ts';
import { registerCodecs } from '../src/loader/codecs.ts';
import { createPipeline, dropPipeline, startPipeline } from '../src/loader/pipeline.ts';
import { quoteIdentifier } from '../src/sql/identifiers.ts';
import { ownCpuSeconds } from './data/cpu.ts';
import {
  createTopic,
  eventAt,
  eventFormat,
  eventJson,
  eventsChecksum,
  eventsChecksumSql,
  eventsTableSql,
  kafkaFor,
  range,
} from './data/events.ts';
import {
  brokersFrom,
  consumeAlone,
  dbUrlFrom,
  deleteTopic,
  log,
  mediansOf,
  runBenchmark,
  writeSummary,
} from './kafka-common.ts';

const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
type Codec = (typeof CODECS)[number];

interface Options {
  events: number;
  partitions: number;
  runs: number;
  codecs: Codec[];
  db: DbEndpoint;
  url: string;
  brokers: string[];
  python: string;
}

async function produceWithLibrdkafka(options: Options, topic: string, codec: Codec): Promise<void> {
  const script = path.join(import.meta.dirname, 'data', 'produce_librdkafka.py');
  const child = spawn(options.python, [script, options.brokers.join(','), topic, codec], {
    stdio: ['pipe', 'inherit', 'inherit'],
  });
  const exited = once(child, 'exit');
  let text = '';
  for (let id = 1; id <= options.events; id++) {
    text += `${id % options.partitions}\t${id}\t${eventJson(eventAt(1, id))}\n`;
    if (text.length > 1 << 20) {
      if (!child.stdin.write(text)) await once(child.stdin, 'drain');
      text = '';
    }
  }
  child.stdin.end(text);
  const [code] = await exited;
  if (code !== 0) throw new Error(`the librdkafka producer exited with ${code}`);
}

/** kafkajs alone (no decoding, no writes): CPU µs per record of this process. */
async function consumeOnly(options: Options, kafka: Kafka, topic: string): Promise<number> {
  const { before, after } = await consumeAlone(kafka, topic, options.events, ownCpuSeconds);
  return ((after - before) / options.events) * 1e6;
}

async function pipelineLoad(
  options: Options,
  topic: string,
  name: string,
): Promise<{ rowsPerSecond: number; cpuUsPerRow: number }> {
  await withSession(options.db, async (session) => {
    await session.query(`DROP TABLE IF EXISTS ${quoteIdentifier(name)}`);
    await session.query(eventsTableSql(name));
  });
  await createPipeline({
    name,
    source: { brokers: options.brokers, topics: [topic], sessionTimeoutMs: 6000 },
    format: eventFormat(),
    target: { url: options.url, table: name },
  });
  let assignedAt = 0;
  let cpuAtAssignment = 0;
  let lastCommit = 0;
  const runner = await startPipeline(options.db, name, {
    untilCaughtUp: true,
    onAssigned: () => {
      assignedAt ||= performance.now();
      cpuAtAssignment ||= ownCpuSeconds();
    },
    onBatch: () => {
      lastCommit = performance.now();
    },
  });
  await runner.done;
  const cpu = ownCpuSeconds() - cpuAtAssignment;
  const [row] = await withSession(options.db, (session) =>
    session.query<{ n: string; checksum: string }>(eventsChecksumSql(name)),
  );
  const expected = eventsChecksum(1, range(1, options.events));
  if (Number(row!.n) !== expected.count || BigInt(row!.checksum) !== expected.checksum)
    throw new Error(`${name}: ${row!.n} rows, checksum ${row!.checksum}; expected ${expected.count}`);
  await dropPipeline(options.db, name);
  await withSession(options.db, (session) => session.query(`DROP TABLE ${quoteIdentifier(name)}`));
  return {
    rowsPerSecond: options.events / ((lastCommit - assignedAt) / 1000),
    cpuUsPerRow: (cpu / options.events) * 1e6,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      events: { type: 'string', default: '200000' },
      partitions: { type: 'string', default: '8' },
      runs: { type: 'string', default: '3' },
      codecs: { type: 'string', default: CODECS.join(',') },
      url: { type: 'string' },
      brokers: { type: 'string' },
      python: { type: 'string', default: 'python3' },
    },
  });
  const codecs = values.codecs.split(',') as Codec[];
  for (const codec of codecs)
    if (!CODECS.includes(codec))
      throw new UsageError(`--codecs: ${codec} is not one of ${CODECS.join(', ')}`);
  const url = dbUrlFrom(values.url);
  const options: Options = {
    events: Number(values.events),
    partitions: Number(values.partitions),
    runs: Number(values.runs),
    codecs,
    db: parseDbUrl(url, '--url'),
    url,
    brokers: brokersFrom(values.brokers),
    python: values.python,
  };
  registerCodecs();
  const kafka = kafkaFor(options.brokers);
  const runs: Record<string, number>[] = [];
  for (let run = 1; run <= options.runs; run++) {
    const result: Record<string, number> = {};
    for (const codec of options.codecs) {
      const topic = `bench_codec_${codec}_${Date.now().toString(36)}`;
      await createTopic(kafka, topic, options.partitions);
      await produceWithLibrdkafka(options, topic, codec);
      const alone = await consumeOnly(options, kafka, topic);
      const load = await pipelineLoad(options, topic, `${topic}_t`);
      await deleteTopic(kafka, topic);
      log(
        `run ${run} ${codec}: kafkajs alone ${alone.toFixed(2)} µs/record; pipeline ${Math.round(load.rowsPerSecond)} rows/s, ` +
          `${load.cpuUsPerRow.toFixed(2)} µs/row (sluice process)`,
      );
      result[`${codec}KafkajsCpuUsPerRecord`] = alone;
      result[`${codec}PipelineRowsPerSecond`] = load.rowsPerSecond;
      result[`${codec}PipelineCpuUsPerRow`] = load.cpuUsPerRow;
    }
    runs.push(result);
  }
  writeSummary('kafka-codecs', { options: { ...options, db: undefined }, medians: mediansOf(runs), runs });
}

runBenchmark(main);
