/**
 * Soak benchmark: a pipeline left running under a steady produce rate, with pauses, a broker
 * restart and a database SIGKILL on the way (bench/soak.ts); lag, produce-to-visible latency and
 * RSS over time, and an exact count at the end.
 *
 *   node --import tsx bench/soak-kafka.ts --home STACK_HOME [--topology all|single] [--minutes 10]
 *     [--rate 5000] [--partitions 8] [--url mysql://…] [--brokers host:port]
 *
 * The stack in STACK_HOME (started by `sluice stack up`) is the one restarted. The 2-minute
 * version runs in the integration tests on a stack of its own.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { resolveStackConfig } from '../src/config/stack.ts';
import { parseDbUrl } from '../src/db/endpoint.ts';
import { brokersFrom, dbUrlFrom, log, runBenchmark, writeSummary } from './kafka-common.ts';
import { runSoak } from './soak.ts';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      home: { type: 'string' },
      minutes: { type: 'string', default: '10' },
      rate: { type: 'string', default: '5000' },
      partitions: { type: 'string', default: '8' },
      url: { type: 'string' },
      brokers: { type: 'string' },
      topology: { type: 'string', default: 'all' },
    },
  });
  if (!values.home) throw new Error('--home STACK_HOME is needed (the stack that is restarted)');
  const url = dbUrlFrom(values.url);
  const rate = Number(values.rate);
  const partitions = Number(values.partitions);
  const result = await runSoak({
    config: resolveStackConfig({
      home: path.resolve(values.home),
      portBase: 'auto',
      kafkaPort: 'auto',
      topology: values.topology,
    }),
    db: parseDbUrl(url, '--url'),
    url,
    brokers: brokersFrom(values.brokers),
    durationMs: Number(values.minutes) * 60_000,
    rate,
    partitions,
    log,
  });
  const { timeline } = result;
  const rss = timeline.map((entry) => entry.rssMb);
  writeSummary('kafka-soak', {
    options: { minutes: Number(values.minutes), rate, partitions },
    events: result.events,
    produceRate: result.events / result.producingSeconds,
    rows: result.rows,
    exact: result.exact,
    latencyMs: result.latencyMs,
    rssMb: { first: rss[0], last: rss.at(-1), max: Math.max(...rss) },
    maxLag: Math.max(...timeline.map((entry) => entry.lag)),
    loadAverage: {
      min: Math.min(...timeline.map((entry) => entry.load1)),
      max: Math.max(...timeline.map((entry) => entry.load1)),
    },
    timeline,
  });
  if (!result.exact)
    throw new Error(`table: ${result.rows} rows; expected ${result.events} with the same checksum`);
}

runBenchmark(main);
