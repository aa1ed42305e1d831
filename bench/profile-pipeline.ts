/**
 * Scratch: loads a pre-produced topic with a pipeline and prints a timeline, for profiling.
 *   node --import tsx bench/profile-pipeline.ts produce <topic> <events>
 *   node --import tsx bench/profile-pipeline.ts load <topic> <events>
 */
import { quoteIdentifier, withSession } from '../src/db/driver.ts';
import { parseDbUrl } from '../src/db/endpoint.ts';
import { createPipeline, dropPipeline, startPipeline } from '../src/loader/pipeline.ts';
import { createTopic, eventFormat, eventsTableSql, kafkaFor, produceEvents, range } from './data/events.ts';

const url = 'mysql://root@127.0.0.1:23306/sluice';
const brokers = ['127.0.0.1:29092'];
const [mode, topic, eventsText] = process.argv.slice(2);
const events = Number(eventsText);
const kafka = kafkaFor(brokers);
if (mode === 'produce') {
  await createTopic(kafka, topic!, 8);
  await produceEvents(kafka, { topic: topic!, partitions: 8, seed: 1, ids: range(1, events) });
  process.exit(0);
}
const name = `prof_${Date.now().toString(36)}`;
const db = parseDbUrl(url);
await withSession(db, (s) => s.query(eventsTableSql(name)));
await createPipeline({
  name,
  source: { brokers, topics: [topic], sessionTimeoutMs: 6000 },
  format: eventFormat(),
  target: { url, table: name },
  batch: JSON.parse(process.env.BATCH ?? '{}'),
});

import { execSync } from 'node:child_process';
import fs from 'node:fs';

const pids = {
  mariadbd: fs.readFileSync('/tmp/loader-stack/single/mariadbd.pid', 'utf8').trim(),
  kafka: execSync('pgrep -f kafka.Kafka').toString().trim().split('\n')[0]!,
};
const procCpu = (pid: string) => {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
};
const cpu0 = { db: procCpu(pids.mariadbd), kafka: procCpu(pids.kafka), self: process.cpuUsage() };
const t0 = performance.now();
let assigned = 0;
let loaded = 0;
let first = 0;
let last = 0;
const runner = await startPipeline(db, name, {
  log: (line) => console.log(`${(performance.now() - t0).toFixed(0)} ${line}`),
  onAssigned: () => {
    assigned = performance.now();
    console.log(`assigned at ${(assigned - t0).toFixed(0)}`);
  },
  onBatch: (_t, p, r) => {
    const now = performance.now();
    if (!first) first = now - r.durationMs;
    last = now;
    loaded += r.rowsLoaded;
    if (process.env.VERBOSE)
      console.log(`${(now - t0).toFixed(0)} p${p} ${r.records} rows ${r.durationMs.toFixed(0)} ms`);
  },
});
while (loaded < events) await new Promise((r) => setTimeout(r, 10));
console.log(
  `assign→last ${(events / ((last - assigned) / 1000)).toFixed(0)} rows/s; first→last ${(events / ((last - first) / 1000)).toFixed(0)}; first batch began ${(first - assigned).toFixed(0)} ms after assignment; total ${(last - assigned).toFixed(0)} ms`,
);
const self = process.cpuUsage(cpu0.self);
const us = (seconds: number) => ((seconds / events) * 1e6).toFixed(2);
const selfSeconds = (self.user + self.system) / 1e6;
const dbSeconds = procCpu(pids.mariadbd) - cpu0.db;
const kafkaSeconds = procCpu(pids.kafka) - cpu0.kafka;
console.log(
  `cpu µs/row: sluice ${us(selfSeconds)}, mariadbd ${us(dbSeconds)}, kafka ${us(kafkaSeconds)}, total ${us(selfSeconds + dbSeconds + kafkaSeconds)}`,
);
await runner.stop();
await dropPipeline(db, name);
await withSession(db, (s) => s.query(`DROP TABLE ${quoteIdentifier(name)}`));
process.exit(0);
