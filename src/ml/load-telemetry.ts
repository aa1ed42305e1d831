/**
 * Loads drill telemetry the way a fleet would deliver it: readings are produced to a Kafka topic
 * as JSON and a sluice pipeline loads them, exactly once, into `readings` (the single server, or
 * the Spider cluster sharded by drill id, one writer per leaf). The two small reference tables
 * (`drills`, `failures`) go in with the bulk writer. A dataset already loaded for the same seed
 * and scale (checked by count and key checksum) is kept, so repeated runs skip the load.
 */
import { tableFromArrays } from 'apache-arrow';
import { Kafka, logLevel } from 'kafkajs';
import { SluiceError } from '../base/errors.ts';
import { withSession } from '../db/driver.ts';
import type { DbEndpoint } from '../db/endpoint.ts';
import { type ClusterEndpoints, createShardedTable } from '../db/sharding.ts';
import { createPipeline, dropPipeline, startPipeline } from '../loader/pipeline.ts';
import { quoteIdentifier } from '../sql/identifiers.ts';
import { load } from '../writer/bulk-writer.ts';
import {
  DRILL_COLUMNS,
  type DrillScale,
  drillScale,
  drills,
  FAILURE_COLUMNS,
  failures,
  READING_COLUMNS,
  READINGS_CHECKSUM_SQL,
  readingJson,
  readings,
  readingsChecksum,
} from './drills.ts';

export interface TelemetryTarget {
  /** Where the tables live: one server, or a Spider head with its leaves. */
  readonly single?: DbEndpoint;
  readonly cluster?: ClusterEndpoints;
  readonly brokers: readonly string[];
}

export interface LoadReport {
  readonly readings: number;
  readonly drills: number;
  readonly failures: number;
  /** False when the same dataset was already there. */
  readonly loaded: boolean;
  readonly produceSeconds: number;
  readonly pipelineSeconds: number;
  readonly topic?: string;
}

const PARTITIONS = 4;

/** A connection URL with the password (for `connect()` and pipeline specs; never printed). */
export function connectionUrl(endpoint: DbEndpoint): string {
  const password = endpoint.password ? `:${encodeURIComponent(endpoint.password)}` : '';
  return `mysql://${encodeURIComponent(endpoint.user)}${password}@${endpoint.host}:${endpoint.port}/${encodeURIComponent(endpoint.database)}`;
}

/** The endpoint frames read from: the server, or the cluster's head. */
export const readEndpoint = (target: TelemetryTarget): DbEndpoint => target.single ?? target.cluster!.head;

async function datasetMatches(target: TelemetryTarget, seed: number, scale: DrillScale): Promise<boolean> {
  const expected = readingsChecksum(scale);
  return withSession(readEndpoint(target), async (session) => {
    const marker = await session
      .query<{ seed: number; drills: number; per_drill: number }>(
        'SELECT seed, drills, per_drill FROM ml_dataset',
      )
      .catch(() => []);
    const row = marker[0];
    if (!row || Number(row.seed) !== seed || Number(row.drills) !== scale.drills) return false;
    if (Number(row.per_drill) !== scale.readingsPerDrill) return false;
    const [sum] = await session
      .query<{ n: string; key_sum: string }>(READINGS_CHECKSUM_SQL('drill_readings'))
      .catch(() => [{ n: '-1', key_sum: '-1' }]);
    return Number(sum!.n) === expected.count && Number(sum!.key_sum) === expected.keySum;
  });
}

async function freshTable(
  target: TelemetryTarget,
  name: string,
  columns: readonly { name: string; type: string }[],
  primaryKey: string[],
): Promise<void> {
  if (target.cluster) {
    await createShardedTable(target.cluster, name, columns, 'drill_id', { primaryKey, ifExists: 'replace' });
    return;
  }
  const list = columns.map((c) => `${quoteIdentifier(c.name)} ${c.type}`).join(', ');
  await withSession(target.single!, async (session) => {
    await session.query(`DROP TABLE IF EXISTS ${quoteIdentifier(name)}`);
    // Native partitions: the parallel reader reads one per task.
    await session.query(
      `CREATE TABLE ${quoteIdentifier(name)} (${list}, PRIMARY KEY (${primaryKey.map(quoteIdentifier).join(', ')})) ` +
        `ENGINE=InnoDB PARTITION BY HASH (drill_id) PARTITIONS ${PARTITIONS}`,
    );
  });
}

/** Makes the `scores` table W5 and the demo write back into (upserts by reading). */
export async function createScoresTable(target: TelemetryTarget): Promise<void> {
  await freshTable(
    target,
    'drill_scores',
    [
      { name: 'drill_id', type: 'INT NOT NULL' },
      { name: 'seq', type: 'INT NOT NULL' },
      { name: 'score', type: 'DOUBLE NOT NULL' },
    ],
    ['drill_id', 'seq'],
  );
}

export async function loadTelemetry(
  target: TelemetryTarget,
  options: { seed: number; scale: number; force?: boolean; progress?: (line: string) => void },
): Promise<LoadReport> {
  const { seed } = options;
  const scale = drillScale(options.scale);
  const progress = options.progress ?? (() => undefined);
  const fleet = drills(seed, scale);
  const events = failures(seed, scale);
  const count = scale.drills * scale.readingsPerDrill;
  if (!options.force && (await datasetMatches(target, seed, scale))) {
    progress(`telemetry: ${count} readings of ${scale.drills} drills already loaded (seed ${seed}); kept`);
    return {
      readings: count,
      drills: fleet.length,
      failures: events.length,
      loaded: false,
      produceSeconds: 0,
      pipelineSeconds: 0,
    };
  }
  const head = readEndpoint(target);
  await freshTable(target, 'drills', DRILL_COLUMNS, ['drill_id']);
  await freshTable(target, 'drill_failures', FAILURE_COLUMNS, ['drill_id', 'failed_at']);
  await freshTable(target, 'drill_readings', READING_COLUMNS, ['drill_id', 'seq']);
  await withSession(head, (session) => session.query('DROP TABLE IF EXISTS ml_dataset'));
  await load(
    head,
    tableFromArrays({
      drill_id: Int32Array.from(fleet.map((d) => d.drill_id)),
      site: fleet.map((d) => d.site),
      model: fleet.map((d) => d.model),
      installed: fleet.map((d) => d.installed),
    }),
    'drills',
  );
  await load(
    head,
    tableFromArrays({
      drill_id: Int32Array.from(events.map((f) => f.drill_id)),
      failed_at: Float64Array.from(events.map((f) => f.failed_at)),
      kind: events.map((f) => f.kind),
    }),
    'drill_failures',
  );

  const topic = `drill-readings-${seed}-${count}-${Date.now()}`;
  const kafka = new Kafka({
    clientId: 'sluice-ml',
    brokers: [...target.brokers],
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
  const produceStarted = performance.now();
  progress(`telemetry: producing ${count} readings of ${scale.drills} drills to Kafka topic ${topic}`);
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    let messages: { key: string; value: string; partition: number }[] = [];
    for (const reading of readings(seed, scale)) {
      messages.push({
        key: String(reading.drill_id),
        value: readingJson(reading),
        partition: reading.drill_id % PARTITIONS,
      });
      if (messages.length === 5000) {
        await producer.send({ topic, messages, acks: -1 });
        messages = [];
      }
    }
    if (messages.length > 0) await producer.send({ topic, messages, acks: -1 });
  } finally {
    await producer.disconnect();
  }
  const produceSeconds = (performance.now() - produceStarted) / 1000;

  const name = `ml_readings_${Date.now()}`;
  const url = connectionUrl;
  const spec = {
    name,
    source: { brokers: [...target.brokers], topics: [topic], sessionTimeoutMs: 6000 },
    format: { kind: 'json', columns: READING_COLUMNS.map((c) => ({ column: c.name, path: c.path })) },
    target: target.cluster
      ? {
          cluster: { head: url(target.cluster.head), leaves: target.cluster.leaves.map(url) },
          via: 'leaves',
          table: 'drill_readings',
        }
      : { url: url(target.single!), table: 'drill_readings' },
  };
  await createPipeline(spec);
  progress(
    `telemetry: pipeline ${name} loading ${topic} into drill_readings (${target.cluster ? `Spider, one writer per leaf` : 'single server'}, exactly once)`,
  );
  const pipelineStarted = performance.now();
  let committed = 0;
  const next = new Map<number, number>();
  const runner = await startPipeline(head, name, {
    onBatch: (_topic, partition, report) => {
      next.set(partition, report.nextOffset);
      committed = [...next.values()].reduce((a, b) => a + b, 0);
    },
  });
  try {
    const deadline = Date.now() + 30 * 60_000;
    while (committed < count) {
      if (Date.now() > deadline) {
        throw new SluiceError('CHECK_FAILED', `telemetry: ${committed} of ${count} readings after 30 min`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    await runner.stop();
  }
  const pipelineSeconds = (performance.now() - pipelineStarted) / 1000;
  await dropPipeline(head, name);
  const expected = readingsChecksum(scale);
  const [sum] = await withSession(head, (session) =>
    session.query<{ n: string; key_sum: string }>(READINGS_CHECKSUM_SQL('drill_readings')),
  );
  if (Number(sum!.n) !== expected.count || Number(sum!.key_sum) !== expected.keySum) {
    throw new SluiceError(
      'CHECK_FAILED',
      `telemetry: readings holds ${sum!.n} rows (key sum ${sum!.key_sum}); expected ${expected.count} (${expected.keySum})`,
    );
  }
  await withSession(head, async (session) => {
    await session.query('CREATE TABLE ml_dataset (seed INT, drills INT, per_drill INT)');
    await session.query('INSERT INTO ml_dataset VALUES (?, ?, ?)', [
      seed,
      scale.drills,
      scale.readingsPerDrill,
    ]);
  });
  progress(
    `telemetry: ${count} readings loaded in ${pipelineSeconds.toFixed(1)} s (${Math.round(count / pipelineSeconds)} rows/s), checksum verified`,
  );
  return {
    readings: count,
    drills: fleet.length,
    failures: events.length,
    loaded: true,
    produceSeconds,
    pipelineSeconds,
    topic,
  };
}
