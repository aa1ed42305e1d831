import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { withSession } from '../src/db/driver.ts';
import { parseDbUrl } from '../src/db/endpoint.ts';
import { createPipeline } from '../src/loader/pipeline.ts';
import { cpuSeconds, listeningPid, serverPid } from './data/cpu.ts';
import { createTopic, eventFormat, eventsTableSql, kafkaFor, produceEvents, range } from './data/events.ts';
import { profileStages } from './data/stage-profile.ts';

const [url, brokers, eventsText, existing] = process.argv.slice(2) as [string, string, string, string?];
const events = Number(eventsText);
const db = parseDbUrl(url);
const kafka = kafkaFor([brokers]);
const topic = existing ?? `prof_${Date.now().toString(36)}`;
if (!existing) {
  await createTopic(kafka, topic, 8);
  await produceEvents(kafka, { topic, partitions: 8, seed: 1, ids: range(1, events) });
  console.error('topic', topic);
}
const name = `profp_${Date.now().toString(36)}`;
await withSession(db, (s) => s.query(eventsTableSql(name)));
await createPipeline({ name, source: { brokers: [brokers], topics: [topic], sessionTimeoutMs: 6000 }, format: eventFormat(), target: { url, table: name }, batch: JSON.parse(process.env.BATCH ?? '{}') });
const dbPid = await serverPid(db);
const brokerPid = listeningPid(Number(brokers.split(':')[1]));
const db0 = cpuSeconds(dbPid); const b0 = cpuSeconds(brokerPid!);
const r = await profileStages(['bin/sluice.mjs', 'pipeline', 'start', name, '--db', url, '--until-caught-up'], events, process.cwd());
const dbUs = ((cpuSeconds(dbPid) - db0) / events) * 1e6; const bUs = ((cpuSeconds(brokerPid!) - b0) / events) * 1e6;
console.log(JSON.stringify({ ...r, dbUs, bUs }, null, 1));
