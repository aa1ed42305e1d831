/**
 * What the Kafka benchmarks (load-kafka, load-codecs, load-peers, soak-kafka) share: where the
 * database and the broker are by default, the machine line and medians of the JSON summary,
 * kafkajs consuming a topic alone (the per-record cost no pipeline on kafkajs can go below), and
 * how a benchmark program ends. One copy, so the four report the same way and their flags mean
 * the same thing.
 */
import os from 'node:os';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { Kafka } from 'kafkajs';
import { describeError } from '../src/base/errors.ts';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/**
 * A full collection before each measured phase: what an earlier phase left on this process's heap
 * (a million produced messages, the floor's rows) would otherwise be collected during the next
 * one and charged to it, which a pipeline in a process of its own does not pay.
 */
export function collectGarbage(): void {
  gc();
}

export const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

/** The database URL: the flag, else SLUICE_DB_URL, else the stack's default single server. */
export function dbUrlFrom(flag: string | undefined): string {
  return flag ?? process.env.SLUICE_DB_URL ?? 'mysql://root@127.0.0.1:13306/sluice';
}

/** The brokers: the flag, else SLUICE_KAFKA_BROKERS, else the stack's default broker. */
export function brokersFrom(flag: string | undefined): string[] {
  return (flag ?? process.env.SLUICE_KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Per key, the median over the runs (every run has the same keys). */
export function mediansOf(runs: readonly Record<string, number>[]): Record<string, number> {
  return Object.fromEntries(Object.keys(runs[0]!).map((key) => [key, median(runs.map((run) => run[key]!))]));
}

/** The JSON summary on stdout, with the machine it ran on beside the figures. */
export function writeSummary(benchmark: string, body: Record<string, unknown>): void {
  const machine = {
    cores: os.cpus().length,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
  };
  process.stdout.write(`${JSON.stringify({ benchmark, machine, ...body }, null, 2)}\n`);
}

export async function deleteTopic(kafka: Kafka, topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
}

/**
 * kafkajs alone (no decoding, no writes) reads `events` records of a topic from a fresh group,
 * measured like a pipeline: from the group handing over the partitions to the last record.
 * `sample` is taken at both ends (CPU counters of whichever processes the caller watches).
 */
export async function consumeAlone<T>(
  kafka: Kafka,
  topic: string,
  events: number,
  sample: () => T,
): Promise<{ seconds: number; before: T; after: T }> {
  const consumer = kafka.consumer({
    groupId: `${topic}-consume-only`,
    maxBytesPerPartition: 2 * 1024 * 1024,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let assignedAt = 0;
  let before: T | undefined;
  consumer.on(consumer.events.GROUP_JOIN, () => {
    assignedAt = performance.now();
    before = sample();
  });
  let seen = 0;
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
  const after = sample();
  await consumer.disconnect();
  return { seconds, before: before!, after };
}

/** Runs a benchmark's main: exit 0 when it resolves, the error described on stderr and 1 when not. */
export function runBenchmark(main: () => Promise<void>): void {
  main()
    .then(() => process.exit(0))
    .catch((error: unknown) => {
      log(describeError(error));
      process.exit(1);
    });
}
