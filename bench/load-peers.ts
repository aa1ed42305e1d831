/**
 * sluice against what teams run instead, side by side in one run, on the same topic and table:
 *  - Kafka Connect (Apache Kafka's connect-runtime, standalone mode) with the Debezium JDBC sink
 *    connector (io.debezium:debezium-connector-jdbc), both from Maven Central, insert mode;
 *  - a hand-written kafkajs consumer inserting each batch with multi-row INSERTs, autocommit
 *    (bench/peers/kafkajs-insert.ts);
 *  - a sluice pipeline (exactly once, default settings).
 *
 *   node --import tsx bench/load-peers.ts [--events 200000] [--partitions 8] [--kills 3]
 *     [--url mysql://…] [--brokers host:port] [--connect-tasks 2] [--only sluice,kafkajs,connect]
 *
 * The events carry Kafka Connect's JSON envelope (schema beside payload): the Debezium sink needs
 * a schema, and the others read the same bytes. Every contender writes into its own fresh table
 * with the same columns and no unique key, so duplicates stay visible.
 *
 * Throughput: the contender loads the whole topic from the start; rows/s from its first row to
 * the last (the table is polled every 250 ms, so start-up such as the JVM's is left out and
 * reported apart), CPU µs per row of its process(es) and of the database over the same span.
 * Crash test: the events arrive in kills+1 slices; while each slice is produced the contender
 * runs and is SIGKILLed at a random moment once it has loaded rows; it is started again, and
 * after the last slice it runs until it is idle. Then: duplicates = rows - distinct ids, losses
 * = events - distinct ids.
 * Progress on stderr, the JSON summary on stdout.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs, promisify } from 'node:util';
import type { Kafka } from 'kafkajs';
import { UsageError } from '../src/base/errors.ts';
import { withSession } from '../src/db/driver.ts';
import { type DbEndpoint, parseDbUrl } from '../src/db/endpoint.ts';
import { createPipeline, dropPipeline, startPipeline } from '../src/loader/pipeline.ts';
import { quoteIdentifier } from '../src/sql/identifiers.ts';
import { cpuSeconds, ownCpuSeconds, serverPid } from './data/cpu.ts';
import { createTopic, EVENT_COLUMNS, eventAt, kafkaFor, range } from './data/events.ts';
import { Random } from './data/random.ts';
import { brokersFrom, dbUrlFrom, deleteTopic, log, runBenchmark, writeSummary } from './kafka-common.ts';

const root = path.resolve(import.meta.dirname, '..');
const CONTENDERS = ['sluice', 'kafkajs', 'connect'] as const;
type Contender = (typeof CONTENDERS)[number];
const CONNECT_KAFKA_VERSION = '3.9.1';
const DEBEZIUM_VERSION = '3.1.0.Final';

interface Options {
  events: number;
  partitions: number;
  kills: number;
  url: string;
  db: DbEndpoint;
  brokers: string[];
  connectTasks: number;
  only: Contender[];
  work: string;
  connectLibs: string;
  dbPid: number | undefined;
}

const SCHEMA = {
  type: 'struct',
  optional: false,
  fields: [
    { field: 'id', type: 'int64' },
    { field: 'user_name', type: 'string' },
    { field: 'kind', type: 'string' },
    { field: 'amount', type: 'string' },
    { field: 'ts', type: 'int64' },
  ],
};

function envelope(id: number): string {
  const event = eventAt(1, id);
  const amount = `${Math.floor(event.amountCents / 100)}.${String(event.amountCents % 100).padStart(2, '0')}`;
  return JSON.stringify({
    schema: SCHEMA,
    payload: { id, user_name: event.user, kind: event.kind, amount, ts: event.ts },
  });
}

async function produce(kafka: Kafka, topic: string, partitions: number, ids: readonly number[], pauseMs = 0) {
  const producer = kafka.producer();
  await producer.connect();
  for (let start = 0; start < ids.length; start += 2000) {
    const messages = ids
      .slice(start, start + 2000)
      .map((id) => ({ key: String(id), value: envelope(id), partition: id % partitions }));
    await producer.send({ topic, messages, acks: -1 });
    if (pauseMs) await sleep(pauseMs);
  }
  await producer.disconnect();
}

async function freshTable(options: Options, table: string): Promise<void> {
  const columns = EVENT_COLUMNS.map((column) => `\`${column.name}\` ${column.type}`).join(', ');
  await withSession(options.db, async (session) => {
    await session.query(`DROP TABLE IF EXISTS ${quoteIdentifier(table)}`);
    await session.query(`CREATE TABLE ${quoteIdentifier(table)} (${columns}, KEY (id)) ENGINE=InnoDB`);
  });
}

async function counts(options: Options, table: string): Promise<{ rows: number; distinct: number }> {
  const [row] = await withSession(options.db, (session) =>
    session.query<{ n: string; d: string }>(
      `SELECT COUNT(*) AS n, COUNT(DISTINCT id) AS d FROM ${quoteIdentifier(table)}`,
    ),
  );
  return { rows: Number(row!.n), distinct: Number(row!.d) };
}

/** A running contender: its processes (for CPU and SIGKILL) and how to wait for / end it. */
interface Running {
  readonly pids: () => number[];
  readonly kill: () => Promise<void>;
  readonly stop: () => Promise<void>;
}

function child(command: string, args: string[], logFile: string): ChildProcess {
  const proc = spawn(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const chunks: Buffer[] = [];
  proc.stdout!.on('data', (chunk: Buffer) => chunks.push(chunk));
  proc.stderr!.on('data', (chunk: Buffer) => chunks.push(chunk));
  proc.on('close', () => writeFileSync(logFile, Buffer.concat(chunks)));
  return proc;
}

async function killChild(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const closed = once(proc, 'close');
  proc.kill('SIGKILL');
  await closed;
}

async function stopChild(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const closed = once(proc, 'close');
  proc.kill('SIGTERM');
  await Promise.race([closed, sleep(20_000).then(() => proc.kill('SIGKILL'))]);
  await closed;
}

/** Starts a contender on `topic` into `table`; `name` keys its consumer group / pipeline. */
async function start(
  options: Options,
  contender: Contender,
  topic: string,
  table: string,
  name: string,
  inProcess: boolean,
): Promise<Running> {
  if (contender === 'sluice' && inProcess) {
    const runner = await startPipeline(options.db, name);
    return { pids: () => [process.pid], kill: () => runner.stop(), stop: () => runner.stop() };
  }
  if (contender === 'sluice') {
    const proc = child(
      process.execPath,
      ['bin/sluice.mjs', 'pipeline', 'start', name, '--db', options.url],
      path.join(options.work, `${name}.log`),
    );
    return { pids: () => [proc.pid!], kill: () => killChild(proc), stop: () => stopChild(proc) };
  }
  if (contender === 'kafkajs') {
    const proc = child(
      process.execPath,
      [
        '--import',
        'tsx',
        'bench/peers/kafkajs-insert.ts',
        options.brokers.join(','),
        topic,
        name,
        options.url,
        table,
      ],
      path.join(options.work, `${name}.log`),
    );
    return { pids: () => [proc.pid!], kill: () => killChild(proc), stop: () => stopChild(proc) };
  }
  const worker = path.join(options.work, `${name}-worker.properties`);
  const sink = path.join(options.work, `${name}-sink.properties`);
  writeFileSync(
    worker,
    [
      `bootstrap.servers=${options.brokers.join(',')}`,
      'key.converter=org.apache.kafka.connect.storage.StringConverter',
      'value.converter=org.apache.kafka.connect.json.JsonConverter',
      'value.converter.schemas.enable=true',
      `offset.storage.file.filename=${path.join(options.work, `${name}.offsets`)}`,
      'listeners=http://127.0.0.1:0',
      '',
    ].join('\n'),
  );
  const { host, port, database, user, password } = options.db;
  writeFileSync(
    sink,
    [
      `name=${name}`,
      'connector.class=io.debezium.connector.jdbc.JdbcSinkConnector',
      `tasks.max=${options.connectTasks}`,
      `topics=${topic}`,
      `connection.url=jdbc:mysql://${host}:${port}/${database}`,
      `connection.username=${user}`,
      `connection.password=${password ?? ''}`,
      'insert.mode=insert',
      'primary.key.mode=none',
      'schema.evolution=none',
      `collection.name.format=${table}`,
      '',
    ].join('\n'),
  );
  const proc = child(
    'java',
    [
      '-Xmx1g',
      '-cp',
      `${options.connectLibs}/*`,
      'org.apache.kafka.connect.cli.ConnectStandalone',
      worker,
      sink,
    ],
    path.join(options.work, `${name}.log`),
  );
  return { pids: () => [proc.pid!], kill: () => killChild(proc), stop: () => stopChild(proc) };
}

async function prepare(options: Options, contender: Contender, topic: string, table: string, name: string) {
  await freshTable(options, table);
  if (contender !== 'sluice') return;
  await createPipeline({
    name,
    source: { brokers: options.brokers, topics: [topic], sessionTimeoutMs: 6000 },
    format: {
      kind: 'json',
      columns: EVENT_COLUMNS.map((column) => ({ column: column.name, path: `$.payload.${column.name}` })),
    },
    target: { url: options.url, table },
  });
}

async function cleanup(options: Options, contender: Contender, table: string, name: string) {
  if (contender === 'sluice') await dropPipeline(options.db, name).catch(() => undefined);
  await withSession(options.db, (session) => session.query(`DROP TABLE IF EXISTS ${quoteIdentifier(table)}`));
}

async function throughput(options: Options, contender: Contender, topic: string) {
  const name = `peer_${contender}_${Date.now().toString(36)}`;
  await prepare(options, contender, topic, name, name);
  const started = performance.now();
  const running = await start(options, contender, topic, name, name, true);
  let firstAt = 0;
  let cpuAtFirst = 0;
  let dbAtFirst = 0;
  const cpu = () =>
    running.pids().reduce((sum, pid) => sum + (pid === process.pid ? ownCpuSeconds() : cpuSeconds(pid)), 0);
  const db = () => (options.dbPid === undefined ? Number.NaN : cpuSeconds(options.dbPid));
  const deadline = Date.now() + 30 * 60_000;
  let loaded = 0;
  while (loaded < options.events) {
    if (Date.now() > deadline)
      throw new Error(`${contender}: ${loaded} of ${options.events} rows after 30 min`);
    await sleep(250);
    loaded = (await counts(options, name)).rows;
    if (loaded > 0 && firstAt === 0) {
      firstAt = performance.now();
      cpuAtFirst = cpu();
      dbAtFirst = db();
    }
  }
  const seconds = (performance.now() - firstAt) / 1000;
  const result = {
    rowsPerSecond: loaded / seconds,
    startupSeconds: (firstAt - started) / 1000,
    cpuUsPerRow: ((cpu() - cpuAtFirst) / loaded) * 1e6,
    dbCpuUsPerRow: ((db() - dbAtFirst) / loaded) * 1e6,
  };
  await running.stop();
  await cleanup(options, contender, name, name);
  log(
    `  ${contender}: ${Math.round(result.rowsPerSecond)} rows/s from first row to last, ${result.startupSeconds.toFixed(1)} s to the first row; ` +
      `CPU µs/row ${result.cpuUsPerRow.toFixed(2)} (database ${result.dbCpuUsPerRow.toFixed(2)})`,
  );
  return result;
}

async function crash(options: Options, kafka: Kafka, contender: Contender, random: Random) {
  const name = `peer_crash_${contender}_${Date.now().toString(36)}`;
  const topic = `${name}_topic`;
  await createTopic(kafka, topic, options.partitions);
  await prepare(options, contender, topic, name, name);
  const ids = range(1, options.events);
  const slice = Math.ceil(options.events / (options.kills + 1));
  const rowsAtKill: number[] = [];
  for (let kill = 0; kill < options.kills; kill++) {
    const before = (await counts(options, name)).rows;
    const producing = produce(
      kafka,
      topic,
      options.partitions,
      ids.slice(kill * slice, (kill + 1) * slice),
      100,
    );
    const running = await start(options, contender, topic, name, name, false);
    const deadline = Date.now() + 5 * 60_000;
    while ((await counts(options, name)).rows <= before) {
      if (Date.now() > deadline) throw new Error(`${contender}: no progress after a restart`);
      await sleep(100);
    }
    await sleep(random.int(0, 1000));
    await running.kill();
    rowsAtKill.push((await counts(options, name)).rows);
    await producing;
  }
  await produce(kafka, topic, options.partitions, ids.slice(options.kills * slice));
  const last = await start(options, contender, topic, name, name, false);
  // Idle: no new row for 20 s (Kafka Connect commits offsets every 10 s by default).
  let previous = -1;
  let stableSince = Date.now();
  for (;;) {
    await sleep(1000);
    const now = (await counts(options, name)).rows;
    if (now !== previous) {
      previous = now;
      stableSince = Date.now();
    } else if (now >= options.events && Date.now() - stableSince > 20_000) break;
    if (Date.now() - stableSince > 5 * 60_000) break;
  }
  await last.stop();
  const final = await counts(options, name);
  await cleanup(options, contender, name, name);
  await deleteTopic(kafka, topic);
  const result = {
    kills: options.kills,
    rowsAtKill,
    duplicates: final.rows - final.distinct,
    losses: options.events - final.distinct,
  };
  log(
    `  ${contender} crash test: ${options.kills} SIGKILLs (rows at each: ${rowsAtKill.join(', ')}); ` +
      `${result.duplicates} duplicates, ${result.losses} losses`,
  );
  return result;
}

/** Kafka Connect and the Debezium JDBC sink from Maven Central, once, into the cache. */
async function connectLibs(cache: string): Promise<string> {
  const dir = path.join(cache, `kafka-connect-${CONNECT_KAFKA_VERSION}-debezium-${DEBEZIUM_VERSION}`);
  const libs = path.join(dir, 'libs');
  if (existsSync(path.join(dir, '.complete'))) return libs;
  mkdirSync(dir, { recursive: true });
  const dependency = (group: string, artifact: string, version: string) =>
    `<dependency><groupId>${group}</groupId><artifactId>${artifact}</artifactId><version>${version}</version></dependency>`;
  writeFileSync(
    path.join(dir, 'pom.xml'),
    [
      '<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>',
      '<groupId>sluice.bench</groupId><artifactId>connect-peer</artifactId><version>1</version><packaging>pom</packaging>',
      '<dependencies>',
      dependency('org.apache.kafka', 'connect-runtime', CONNECT_KAFKA_VERSION),
      dependency('org.apache.kafka', 'connect-json', CONNECT_KAFKA_VERSION),
      dependency('io.debezium', 'debezium-connector-jdbc', DEBEZIUM_VERSION),
      dependency('com.mysql', 'mysql-connector-j', '8.4.0'),
      dependency('org.slf4j', 'slf4j-reload4j', '1.7.36'),
      '</dependencies></project>',
    ].join('\n'),
  );
  log(
    `resolving Kafka Connect ${CONNECT_KAFKA_VERSION} and Debezium JDBC ${DEBEZIUM_VERSION} with Maven (one time)`,
  );
  await promisify(execFile)(
    'mvn',
    ['-B', '-q', 'dependency:copy-dependencies', `-DoutputDirectory=${libs}`, '-DincludeScope=runtime'],
    { cwd: dir, maxBuffer: 64 * 1024 * 1024 },
  );
  writeFileSync(path.join(dir, '.complete'), 'ok\n');
  return libs;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      events: { type: 'string', default: '200000' },
      partitions: { type: 'string', default: '8' },
      kills: { type: 'string', default: '3' },
      url: { type: 'string' },
      brokers: { type: 'string' },
      'connect-tasks': { type: 'string', default: '2' },
      only: { type: 'string', default: CONTENDERS.join(',') },
    },
  });
  const only = values.only.split(',') as Contender[];
  for (const contender of only)
    if (!CONTENDERS.includes(contender))
      throw new UsageError(`--only: ${contender} is not one of ${CONTENDERS}`);
  const url = dbUrlFrom(values.url);
  const db = parseDbUrl(url, '--url');
  const cache = process.env.SLUICE_CACHE ?? path.join(root, '.sluice', 'cache');
  const work = path.join(os.tmpdir(), `sluice-peers-${process.pid}`);
  mkdirSync(work, { recursive: true });
  const options: Options = {
    events: Number(values.events),
    partitions: Number(values.partitions),
    kills: Number(values.kills),
    url,
    db,
    brokers: brokersFrom(values.brokers),
    connectTasks: Number(values['connect-tasks']),
    only,
    work,
    connectLibs: only.includes('connect') ? await connectLibs(cache) : '',
    dbPid: await serverPid(db).catch(() => undefined),
  };
  const kafka = kafkaFor(options.brokers);
  const topic = `peers_${Date.now().toString(36)}`;
  await createTopic(kafka, topic, options.partitions);
  log(`producing ${options.events} events (Kafka Connect JSON with schema) to ${topic}; logs in ${work}`);
  await produce(kafka, topic, options.partitions, range(1, options.events));
  const results: Record<string, unknown> = {};
  const random = new Random(7);
  for (const contender of options.only) {
    log(`${contender}`);
    results[contender] = {
      throughput: await throughput(options, contender, topic),
      crash: await crash(options, kafka, contender, random),
    };
  }
  await deleteTopic(kafka, topic);
  writeSummary('kafka-peers', { options: { ...options, db: undefined }, results });
}

runBenchmark(main);
