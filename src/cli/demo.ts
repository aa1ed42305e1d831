import { Kafka, logLevel, Partitioners } from 'kafkajs';
import type { StackConfig } from '../config.ts';
import { withSession } from '../db/driver.ts';
import type { DbEndpoint } from '../db/endpoint.ts';
import { type ClusterEndpoints, createShardedTable } from '../db/sharding.ts';
import { SluiceError } from '../errors.ts';
import { elapsed } from '../stack/processes.ts';
import type { Progress } from '../stack/progress.ts';
import { stackUp } from '../stack/stack.ts';
import { stackTable } from './format.ts';

const ROWS = 10_000;
const MESSAGES = 10_000;

/**
 * The smoke job: brings the stack up, then writes and reads back through every part of it and
 * prints what it did. Later issues grow this into the full demo (pushdown, parallel reads, loads).
 */
export async function runDemo(config: StackConfig, progress: Progress): Promise<number> {
  const report = await stackUp(config, progress);
  process.stdout.write(`${stackTable(report)}\n\n`);
  const { single, cluster, kafka } = report.endpoints;
  if (single) await demoSingle(single, progress);
  if (cluster) await demoCluster(cluster, progress);
  if (kafka) await demoKafka(kafka.brokers, progress);
  process.stdout.write('\nall checks passed. Stop the stack with: node bin/sluice.mjs stack down\n');
  return 0;
}

function readingRows(count: number): unknown[][] {
  return Array.from({ length: count }, (_, i) => [i + 1, `sensor-${i % 7}`, (i % 1000) / 10]);
}

async function demoSingle(endpoint: DbEndpoint, progress: Progress): Promise<void> {
  const started = Date.now();
  progress(`single: writing ${ROWS} rows into sluice.demo_readings`);
  const summary = await withSession(endpoint, async (session) => {
    await session.query('DROP TABLE IF EXISTS demo_readings');
    await session.query(
      'CREATE TABLE demo_readings (id BIGINT PRIMARY KEY, sensor VARCHAR(16) NOT NULL, value DOUBLE NOT NULL)',
    );
    const rows = readingRows(ROWS);
    for (let i = 0; i < rows.length; i += 1000) {
      await session.query('INSERT INTO demo_readings (id, sensor, value) VALUES ?', [
        rows.slice(i, i + 1000),
      ]);
    }
    return session.query<{ sensor: string; n: number; avg_value: number }>(
      'SELECT sensor, COUNT(*) AS n, ROUND(AVG(value), 3) AS avg_value FROM demo_readings GROUP BY sensor ORDER BY sensor',
    );
  });
  const total = summary.reduce((sum, row) => sum + Number(row.n), 0);
  check(total === ROWS, `single: expected ${ROWS} rows, counted ${total}`);
  process.stdout.write(
    `single server: ${total} rows in ${summary.length} sensor groups, e.g. ${summary[0]?.sensor} n=${summary[0]?.n} avg=${summary[0]?.avg_value} (${elapsed(started)})\n`,
  );
}

async function demoCluster(cluster: ClusterEndpoints, progress: Progress): Promise<void> {
  const started = Date.now();
  progress(
    `cluster: creating sluice.demo_sharded across ${cluster.leaves.length} leaves, writing ${ROWS} rows through the head`,
  );
  await createShardedTable(
    cluster,
    'demo_sharded',
    [
      { name: 'id', type: 'BIGINT NOT NULL' },
      { name: 'sensor', type: 'VARCHAR(16) NOT NULL' },
      { name: 'value', type: 'DOUBLE NOT NULL' },
    ],
    'id',
    { primaryKey: ['id'], ifExists: 'replace' },
  );
  const throughHead = await withSession(cluster.head, async (session) => {
    const rows = readingRows(ROWS);
    for (let i = 0; i < rows.length; i += 1000) {
      await session.query('INSERT INTO demo_sharded (id, sensor, value) VALUES ?', [rows.slice(i, i + 1000)]);
    }
    const [row] = await session.query<{ n: number }>('SELECT COUNT(*) AS n FROM demo_sharded');
    return Number(row!.n);
  });
  const perLeaf = await Promise.all(
    cluster.leaves.map((leaf) =>
      withSession(leaf, async (session) => {
        const [row] = await session.query<{ n: number }>('SELECT COUNT(*) AS n FROM demo_sharded');
        return Number(row!.n);
      }),
    ),
  );
  const sum = perLeaf.reduce((a, b) => a + b, 0);
  check(
    throughHead === ROWS && sum === ROWS,
    `cluster: head counts ${throughHead}, leaves hold ${sum}, expected ${ROWS}`,
  );
  check(
    perLeaf.every((n) => n > 0),
    `cluster: a leaf holds no rows (${perLeaf.join(', ')})`,
  );
  process.stdout.write(
    `spider cluster: ${throughHead} rows through the head, on the leaves ${perLeaf.join(' + ')} = ${sum} (${elapsed(started)})\n`,
  );
}

async function demoKafka(brokers: readonly string[], progress: Progress): Promise<void> {
  const started = Date.now();
  const topic = `sluice-demo-${Date.now()}`;
  const kafka = new Kafka({ clientId: 'sluice-demo', brokers: [...brokers], logLevel: logLevel.ERROR });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 4 }], waitForLeaders: true });
    progress(`kafka: producing ${MESSAGES} messages to ${topic} (4 partitions) and consuming them back`);
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    for (let i = 0; i < MESSAGES; i += 1000) {
      const messages = Array.from({ length: 1000 }, (_, j) => ({
        key: `k${i + j}`,
        value: `event-${i + j}`,
      }));
      await producer.send({ topic, messages });
    }
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: `${topic}-reader` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen = new Set<string>();
    const partitions = new Set<number>();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new SluiceError('CHECK_FAILED', `kafka: consumed ${seen.size} of ${MESSAGES} in 60s`)),
        60_000,
      );
      consumer
        .run({
          eachBatch: async ({ batch }) => {
            partitions.add(batch.partition);
            for (const message of batch.messages) seen.add(message.value?.toString() ?? '');
            if (seen.size >= MESSAGES) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();
    check(seen.size === MESSAGES, `kafka: consumed ${seen.size} distinct messages, expected ${MESSAGES}`);
    process.stdout.write(
      `kafka: ${MESSAGES} messages produced and consumed back over ${partitions.size} partitions (${elapsed(started)})\n`,
    );
  } finally {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }
}

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new SluiceError('CHECK_FAILED', message);
}
