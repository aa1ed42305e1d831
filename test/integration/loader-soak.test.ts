/**
 * Two minutes of the soak (bench/soak.ts): a steady produce rate with two pauses, the broker
 * stopped and started again at 1/3, the database server SIGKILLed and started again at 2/3, and a
 * pipeline left running through all of it. At the end every produced event is in the table once
 * and the lag is back to 0.
 *
 * It restarts its servers, so it runs on a stack of its own (a single MariaDB server and a broker
 * on free ports), in the `integration-soak` project beside the other tests rather than after them.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSoak, type SoakResult } from '../../bench/soak.ts';
import { resolveStackConfig } from '../../src/config/stack.ts';
import { stackDown, stackUp } from '../../src/stack/stack.ts';
import { urlOf } from './loader-support.ts';

const root = path.resolve(import.meta.dirname, '..', '..');
const RATE = 2000;
const MINUTES = 2;
const PARTITIONS = 4;

// Services named by the environment are someone else's: this test restarts what it runs on.
for (const variable of ['SLUICE_DB_URL', 'SLUICE_CLUSTER_URLS', 'SLUICE_KAFKA_BROKERS'])
  delete process.env[variable];

const config = resolveStackConfig({
  home: path.join(root, '.sluice', `soak-stack-${process.pid}`),
  cacheDir: process.env.SLUICE_CACHE ?? path.join(root, '.sluice', 'cache'),
  topology: 'single',
  kafka: true,
  portBase: 'auto',
  kafkaPort: 'auto',
  bufferPoolMb: 128,
});
const progress = (line: string) => process.stderr.write(`[soak] ${line}\n`);
let result: SoakResult;

beforeAll(async () => {
  let report: Awaited<ReturnType<typeof stackUp>>;
  try {
    report = await stackUp(config, progress);
  } catch (error) {
    await stackDown(config, { purge: true });
    throw error;
  }
  const { single, kafka } = report.endpoints;
  result = await runSoak({
    config,
    db: single!,
    url: urlOf(single!),
    brokers: [...kafka!.brokers],
    durationMs: MINUTES * 60_000,
    rate: RATE,
    partitions: PARTITIONS,
    sampleMs: 2000,
    log: progress,
  });
}, 420_000);

afterAll(async () => {
  await stackDown(config, { purge: true });
});

describe(`a ${MINUTES}-minute soak at ${RATE} events/s through a broker restart and a database SIGKILL`, () => {
  it('loads every produced event exactly once', () => {
    // The producer keeps its wall-clock schedule through the restarts: all that was due was sent.
    expect(result.events).toBeGreaterThanOrEqual(Math.floor(RATE * result.producingSeconds * 0.9));
    expect(result.rows).toBe(result.events);
    expect(result.exact).toBe(true);
  });

  it('brings the lag back to 0, in the stored offsets too', () => {
    expect(result.timeline.at(-1)).toMatchObject({ event: 'caught up', lag: 0 });
    expect(result.storedLag).toBe(0);
  });

  it('kept loading after each restart without being started again', () => {
    const at = (event: string) => result.timeline.findIndex((sample) => sample.event === event);
    const brokerBack = at('broker started again');
    const databaseBack = at('database started again');
    expect(brokerBack).toBeGreaterThan(0);
    expect(databaseBack).toBeGreaterThan(brokerBack);
    // Events were produced after each restart, and the final count above includes them.
    expect(result.timeline[databaseBack]!.produced).toBeGreaterThan(result.timeline[brokerBack]!.produced);
    expect(result.events).toBeGreaterThan(result.timeline[databaseBack]!.produced);
  });
});
