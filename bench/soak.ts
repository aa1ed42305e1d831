/**
 * The soak itself, shared by its benchmark (bench/soak-kafka.ts, 30-60 minutes) and its 2-minute
 * integration test (test/integration/soak/loader-soak.test.ts): a pipeline left running under a
 * steady produce rate, with pauses, a broker restart and a database SIGKILL on the way; lag,
 * produce-to-visible latency and RSS over time, and an exact count at the end.
 *
 * The stack in `config.home` is the one restarted: at 1/3 of the time the broker is stopped and
 * started again, at 2/3 the database server is SIGKILLed and started again; between 20 % and 25 %
 * and between 45 % and 55 % nothing is produced. Events are produced by a child process
 * (bench/soak-producer.ts) on a wall-clock schedule, so the rate does not depend on the pipeline's
 * share of the cores. Latency: for each send, from the send call to the commit of the batch
 * holding its first record of each partition. Every 5 s: lag (produced - committed), RSS of this
 * process (the pipeline runs here) and of the producer.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { StackConfig } from '../src/config/stack.ts';
import { withSession } from '../src/db/driver.ts';
import type { DbEndpoint } from '../src/db/endpoint.ts';
import { createPipeline, dropPipeline, pipelineStatus, startPipeline } from '../src/loader/pipeline.ts';
import { quoteIdentifier } from '../src/sql/identifiers.ts';
import { stopProcess } from '../src/stack/processes.ts';
import { stackUp } from '../src/stack/stack.ts';
import { readState } from '../src/stack/state.ts';
import {
  createTopic,
  eventFormat,
  eventsChecksum,
  eventsChecksumSql,
  eventsTableSql,
  kafkaFor,
} from './data/events.ts';
import { deleteTopic } from './kafka-common.ts';
import type { ProducerArgs, ProducerReport } from './soak-producer.ts';

/** Spans of the run (fractions of its length) in which nothing is produced. */
export const SOAK_PAUSES: readonly (readonly [number, number])[] = [
  [0.2, 0.25],
  [0.45, 0.55],
];

export interface SoakOptions {
  /** The stack whose broker and single server are restarted on the way. */
  readonly config: StackConfig;
  readonly db: DbEndpoint;
  readonly url: string;
  readonly brokers: string[];
  readonly durationMs: number;
  /** Events per second while producing. */
  readonly rate: number;
  readonly partitions: number;
  /** How often the timeline is sampled (ms). */
  readonly sampleMs?: number;
  readonly log: (line: string) => void;
}

export interface SoakSample {
  readonly second: number;
  /** Produced less committed, from the producer's offsets and the pipeline's commits. */
  readonly lag: number;
  readonly produced: number;
  readonly rssMb: number;
  readonly producerRssMb: number;
  readonly load1: number;
  readonly event?: string;
}

export interface SoakResult {
  /** Events sent (ids 1…events). */
  readonly events: number;
  readonly rows: number;
  /** Every event once: the table's count and checksum equal those of ids 1…events. */
  readonly exact: boolean;
  /** Kafka's latest offsets less the pipeline's stored offsets once caught up, summed. */
  readonly storedLag: number;
  /** Seconds in which events were due (the run less its pauses). */
  readonly producingSeconds: number;
  readonly latencyMs: { p50: number; p99: number; max: number | undefined };
  readonly timeline: readonly SoakSample[];
}

/** The first commit of `partition` past `offset`: commits of one partition come in offset order. */
function commitAfter(
  commits: readonly { offset: number; at: number }[],
  offset: number,
): { offset: number; at: number } | undefined {
  let low = 0;
  let high = commits.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (commits[middle]!.offset > offset) high = middle;
    else low = middle + 1;
  }
  return commits[low];
}

function* idsFrom(first: number, count: number): Generator<number> {
  for (let id = first; id < first + count; id++) yield id;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted.length === 0
    ? Number.NaN
    : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

/** Runs the soak on a fresh topic, table and pipeline, and drops them at the end. */
export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const { config, db, url, brokers, durationMs, rate, partitions, log } = options;
  const kafka = kafkaFor(brokers);
  const name = `soak_${Date.now().toString(36)}`;
  await createTopic(kafka, name, partitions);
  await withSession(db, (session) => session.query(eventsTableSql(name)));
  await createPipeline({
    name,
    source: { brokers, topics: [name], sessionTimeoutMs: 6000 },
    format: eventFormat(),
    target: { url, table: name },
  });

  const committed = new Array<number>(partitions).fill(0);
  const commits = Array.from({ length: partitions }, () => [] as { offset: number; at: number }[]);
  const runner = await startPipeline(db, name, {
    onBatch: (_topic, partition, report) => {
      committed[partition] = report.nextOffset;
      commits[partition]!.push({ offset: report.nextOffset, at: Date.now() });
    },
    log: (line) => log(`  ${line}`),
  });
  let stopped: unknown;
  runner.done.catch((error: unknown) => {
    stopped = error;
  });

  const produced = new Array<number>(partitions).fill(0);
  /** Per send and partition: the offset of its first record there and when it was sent. */
  const sends: { partition: number; offset: number; at: number }[] = [];
  const timeline: SoakSample[] = [];
  const started = Date.now();
  const elapsed = () => Date.now() - started;
  const args: ProducerArgs = {
    brokers,
    topic: name,
    partitions,
    rate,
    startedAt: started,
    durationMs,
    pauses: SOAK_PAUSES,
  };
  const producer = fork(path.join(import.meta.dirname, 'soak-producer.ts'), [JSON.stringify(args)], {
    execArgv: ['--import', 'tsx'],
  });
  let sent: number | undefined;
  let lastReport: () => void = () => {};
  const lastReported = new Promise<void>((resolve) => {
    lastReport = resolve;
  });
  producer.on('message', (message) => {
    const report = message as ProducerReport;
    for (const [partition, count] of report.produced.entries())
      produced[partition] = Math.max(produced[partition]!, count);
    for (const send of report.sends) sends.push(send);
    for (const failure of report.failures) log(`  produce failed (${failure}); again in 1 s`);
    if (report.sent !== undefined) {
      sent = report.sent;
      lastReport();
    }
  });
  const producerExit = once(producer, 'exit');
  const producerRss = () => {
    try {
      const status = readFileSync(`/proc/${producer.pid}/status`, 'utf8');
      return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
    } catch {
      return 0;
    }
  };

  const lag = () =>
    produced.reduce((sum, count, partition) => sum + Math.max(0, count - committed[partition]!), 0);
  const sample = (event?: string) => {
    const entry: SoakSample = {
      second: Math.round(elapsed() / 1000),
      lag: lag(),
      produced: produced.reduce((sum, count) => sum + count, 0),
      rssMb: Math.round(process.memoryUsage().rss / 2 ** 20),
      producerRssMb: producerRss(),
      load1: Math.round(os.loadavg()[0]! * 10) / 10,
      ...(event ? { event } : {}),
    };
    timeline.push(entry);
    log(
      `  ${entry.second}s produced ${entry.produced} lag ${entry.lag} rss ${entry.rssMb} MB (producer ${entry.producerRssMb} MB) ` +
        `load ${entry.load1}${event ? ` — ${event}` : ''}`,
    );
  };
  const sampler = setInterval(() => sample(), options.sampleMs ?? 5000);
  try {
    let brokerRestarted = false;
    let databaseKilled = false;
    while (elapsed() < durationMs) {
      await sleep(500);
      if (stopped) throw stopped;
      if (!brokerRestarted && elapsed() > durationMs / 3) {
        brokerRestarted = true;
        const broker = (await readState(config.home)).components.kafka!;
        sample('broker stopping');
        await stopProcess(broker.pid!, broker.marker!);
        await sleep(2000);
        await stackUp(config);
        sample('broker started again');
      }
      if (!databaseKilled && elapsed() > (2 * durationMs) / 3) {
        databaseKilled = true;
        const single = (await readState(config.home)).components.single!;
        sample('database SIGKILL');
        process.kill(single.pid!, 'SIGKILL');
        await sleep(2000);
        await stackUp(config);
        sample('database started again');
      }
    }
    producer.send('stop');
    await Promise.race([
      lastReported,
      producerExit.then(() => {
        throw new Error('the producer exited without its last report');
      }),
    ]);
    while (lag() > 0) {
      if (stopped) throw stopped;
      await sleep(200);
    }
    sample('caught up');
  } finally {
    clearInterval(sampler);
    if (producer.exitCode === null) producer.kill();
    await runner.stop();
  }
  const total = sent!;
  const status = await pipelineStatus(db, name);
  const storedLag = status.partitions.reduce((sum, partition) => sum + (partition.lag ?? Number.NaN), 0);
  const [row] = await withSession(db, (session) =>
    session.query<{ n: string; checksum: string }>(eventsChecksumSql(name)),
  );
  const expected = eventsChecksum(1, idsFrom(1, total));
  const exact = Number(row!.n) === expected.count && BigInt(row!.checksum) === expected.checksum;
  const latencies = sends
    .map((send) => {
      const commit = commitAfter(commits[send.partition]!, send.offset);
      return commit ? commit.at - send.at : Number.NaN;
    })
    .filter((value) => Number.isFinite(value))
    .sort((a, b) => a - b);
  await dropPipeline(db, name);
  await withSession(db, (session) => session.query(`DROP TABLE ${quoteIdentifier(name)}`));
  await deleteTopic(kafka, name);
  return {
    events: total,
    rows: Number(row!.n),
    exact,
    storedLag,
    producingSeconds: (durationMs / 1000) * (1 - SOAK_PAUSES.reduce((sum, [from, to]) => sum + to - from, 0)),
    latencyMs: { p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), max: latencies.at(-1) },
    timeline,
  };
}
