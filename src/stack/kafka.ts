import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { StackError } from '../base/errors.ts';
import { ensureTools, TOOLS } from './prerequisites.ts';
import { elapsed, logTail, spawnDaemon } from './processes.ts';
import type { Progress } from './progress.ts';
import { waitUntilReady } from './readiness.ts';
import type { ComponentRecord } from './types.ts';

const run = promisify(execFile);

/**
 * Pinned broker version. 3.9 is the last line that still serves the older protocol versions
 * kafkajs 2.x speaks (Kafka 4.0 removed several, KIP-896), and it runs KRaft without ZooKeeper.
 */
export const KAFKA_VERSION = '3.9.1';
export const KAFKA_SCALA_VERSION = '2.13';
const SLF4J_BINDING = { groupId: 'org.slf4j', artifactId: 'slf4j-reload4j', version: '1.7.36' };

/** The pom that Maven resolves into the broker's classpath: the broker and a log binding. */
export function kafkaPom(): string {
  const dependency = (groupId: string, artifactId: string, version: string) =>
    `    <dependency><groupId>${groupId}</groupId><artifactId>${artifactId}</artifactId><version>${version}</version></dependency>`;
  return [
    '<project xmlns="http://maven.apache.org/POM/4.0.0">',
    '  <modelVersion>4.0.0</modelVersion>',
    `  <groupId>sluice.stack</groupId><artifactId>kafka-broker</artifactId><version>${KAFKA_VERSION}</version>`,
    '  <packaging>pom</packaging>',
    '  <dependencies>',
    dependency('org.apache.kafka', `kafka_${KAFKA_SCALA_VERSION}`, KAFKA_VERSION),
    dependency(SLF4J_BINDING.groupId, SLF4J_BINDING.artifactId, SLF4J_BINDING.version),
    '  </dependencies>',
    '</project>',
    '',
  ].join('\n');
}

export interface KafkaRuntime {
  readonly java: string;
  /** Folder of jars that make up the broker's classpath. */
  readonly libs: string;
}

/** Finds java and mvn (installing them if allowed) and resolves the pinned broker jars once. */
export async function ensureKafka(options: {
  allowInstall: boolean;
  progress: Progress;
  cacheDir: string;
}): Promise<KafkaRuntime> {
  const tools = await ensureTools('kafka', [TOOLS.java, TOOLS.mvn], options);
  const root = path.join(options.cacheDir, `kafka-${KAFKA_VERSION}`);
  const libs = path.join(root, 'libs');
  if (!existsSync(path.join(root, '.complete'))) {
    const started = Date.now();
    options.progress(`kafka: resolving Apache Kafka ${KAFKA_VERSION} from Maven Central (one time)`);
    await rm(root, { recursive: true, force: true });
    await mkdir(root, { recursive: true });
    await writeFile(path.join(root, 'pom.xml'), kafkaPom());
    try {
      await run(
        tools.mvn!,
        ['-B', '-q', 'dependency:copy-dependencies', `-DoutputDirectory=${libs}`, '-DincludeScope=runtime'],
        { cwd: root, maxBuffer: 64 * 1024 * 1024 },
      );
    } catch (cause) {
      const output = `${(cause as { stdout?: string }).stdout ?? ''}${(cause as { stderr?: string }).stderr ?? ''}`;
      throw new StackError(
        'PREREQUISITE_MISSING',
        'kafka',
        `Maven could not resolve Apache Kafka ${KAFKA_VERSION}`,
        {
          cause,
          details: output.split('\n').slice(-20).join('\n'),
        },
      );
    }
    const jars = (await readdir(libs)).filter((name) => name.endsWith('.jar'));
    await writeFile(path.join(root, '.complete'), `${jars.length} jars\n`);
    options.progress(`kafka: ${jars.length} jars in ${libs} (${elapsed(started)})`);
  }
  return { java: tools.java!, libs };
}

export interface KafkaBrokerSpec {
  readonly name: string;
  readonly port: number;
  readonly controllerPort: number;
  readonly dir: string;
}

/** A single-node KRaft broker that is its own controller, on loopback, with single-replica internals. */
export function kafkaServerProperties(spec: KafkaBrokerSpec): string {
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${spec.controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${spec.port},CONTROLLER://127.0.0.1:${spec.controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${spec.port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    `log.dirs=${path.join(spec.dir, 'data')}`,
    'num.partitions=1',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=10',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    // One broker: waiting for more group members to arrive only slows every consumer start.
    'group.initial.rebalance.delay.ms=0',
    // Lets a pipeline ask for a short session, so a restarted process is not kept waiting long
    // for the partitions a killed one held (the default floor is 6 s).
    'group.min.session.timeout.ms=1000',
    '',
  ].join('\n');
}

function log4jProperties(logFile: string): string {
  return [
    'log4j.rootLogger=INFO, file',
    'log4j.appender.file=org.apache.log4j.FileAppender',
    `log4j.appender.file.File=${logFile}`,
    'log4j.appender.file.layout=org.apache.log4j.PatternLayout',
    'log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n',
    'log4j.logger.kafka.controller=WARN',
    'log4j.logger.state.change.logger=WARN',
    '',
  ].join('\n');
}

/**
 * Starts the broker, formatting its storage on first start, and waits until a metadata request
 * succeeds. Fails naming the broker, with the tail of its log.
 */
export async function startKafka(
  spec: KafkaBrokerSpec,
  runtime: KafkaRuntime,
  timeoutSeconds: number,
  progress: Progress,
): Promise<ComponentRecord> {
  await mkdir(path.join(spec.dir, 'data'), { recursive: true });
  const configFile = path.join(spec.dir, 'server.properties');
  const logFile = path.join(spec.dir, 'server.log');
  const log4jFile = path.join(spec.dir, 'log4j.properties');
  await writeFile(configFile, kafkaServerProperties(spec));
  await writeFile(log4jFile, log4jProperties(logFile));
  const classpath = `${runtime.libs}${path.sep}*`;
  const jvm = [`-Dlog4j.configuration=file:${log4jFile}`, '-Djava.awt.headless=true', '-cp', classpath];
  if (!existsSync(path.join(spec.dir, 'data', 'meta.properties'))) {
    const clusterId = await clusterIdFor(spec.dir);
    try {
      await run(runtime.java, [
        ...jvm,
        'kafka.tools.StorageTool',
        'format',
        '-t',
        clusterId,
        '-c',
        configFile,
      ]);
    } catch (cause) {
      throw new StackError('COMPONENT_FAILED', spec.name, 'formatting Kafka storage failed', {
        cause,
        details: String((cause as { stderr?: string }).stderr ?? '').slice(-2000),
      });
    }
  }
  const started = Date.now();
  const pid = spawnDaemon({
    command: runtime.java,
    args: ['-Xms256m', '-Xmx768m', '-XX:+UseG1GC', ...jvm, 'kafka.Kafka', configFile],
    logFile: path.join(spec.dir, 'stdout.log'),
  });
  const record: ComponentRecord = {
    name: spec.name,
    kind: 'kafka',
    role: 'broker',
    source: 'local',
    host: '127.0.0.1',
    port: spec.port,
    controllerPort: spec.controllerPort,
    pid,
    marker: configFile,
    dir: spec.dir,
    logFile,
  };
  await waitUntilReady(record, {
    label: `${spec.name} (Kafka)`,
    waitingFor: `a metadata request on port ${spec.port}`,
    timeoutSeconds,
    intervalMs: 500,
    probe: () => describeKafka([`127.0.0.1:${spec.port}`], { withGroupCoordinator: true }),
    // The JVM's own stdout holds what it printed before log4j was set up (bad options, no memory).
    logs: () => `${logTail(record)}\n${logTail({ logFile: path.join(spec.dir, 'stdout.log') })}`,
  });
  progress(
    `${spec.name}: Kafka ${KAFKA_VERSION} broker ready on 127.0.0.1:${spec.port} (${elapsed(started)})`,
  );
  return record;
}

/** A KRaft cluster id, kept so the storage is formatted once. */
async function clusterIdFor(dir: string): Promise<string> {
  const file = path.join(dir, 'cluster-id');
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  const id = newClusterId();
  await writeFile(file, `${id}\n`);
  return id;
}

/**
 * 16 random bytes in base64url, like Kafka's Uuid.randomUuid(), which also never returns an id
 * starting with '-': command-line parsers would take such an id for an option.
 */
export function newClusterId(random: (size: number) => Buffer = randomBytes): string {
  for (;;) {
    const id = random(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** Asks the broker for cluster metadata; resolves with a one-line description when it answers. */
export async function describeKafka(
  brokers: readonly string[],
  options: { withGroupCoordinator?: boolean } = {},
): Promise<string> {
  const kafka = new Kafka({
    clientId: 'sluice-stack',
    brokers: [...brokers],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 2000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    if (options.withGroupCoordinator) {
      // The first group lookup creates __consumer_offsets; doing it here means every consumer
      // afterwards finds its coordinator at once instead of logging retriable errors.
      await admin.describeGroups(['sluice-stack-ready']);
    }
    return `Kafka cluster ${cluster.clusterId}, ${cluster.brokers.length} broker(s)`;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
