import { type Admin, Kafka, logLevel } from 'kafkajs';
import { ConfigError } from '../base/errors.ts';
import { withSession } from '../db/driver.ts';
import { type DbEndpoint, parseDbUrl } from '../db/endpoint.ts';
import { BatchDecoder, defaultDecodeThreads } from './batch-decoder.ts';
import { registerCodecs } from './codecs.ts';
import { DeadLetters } from './dead-letters.ts';
import { createDecoder } from './formats.ts';
import { kafkaSecurity } from './kafka-security.ts';
import { brokerSocketFactory } from './kafka-socket.ts';
import type { WriterContext } from './partition-writer.ts';
import { discoverRouter } from './routing.ts';
import { SchemaRegistry } from './schema-registry.ts';
import { formatColumns, type PipelineSpec } from './spec.ts';
import { ensureOffsetsTable, ensureStateTables } from './state.ts';
import { createTransformer } from './transforms.ts';
import { Slots } from './write-slots.ts';

export interface TargetEndpoints {
  readonly state: DbEndpoint;
  readonly writers: readonly DbEndpoint[];
  readonly direct: boolean;
}

/** The state server and the servers that take rows, from a spec's target. */
export function targetEndpoints(spec: PipelineSpec): TargetEndpoints {
  const { target } = spec;
  if (target.url) {
    const endpoint = parseDbUrl(target.url, 'target.url');
    return { state: endpoint, writers: [endpoint], direct: false };
  }
  if (!target.cluster) throw new ConfigError('target needs url or cluster');
  const head = parseDbUrl(target.cluster.head, 'target.cluster.head');
  if (target.via === 'head') return { state: head, writers: [head], direct: false };
  const leaves = target.cluster.leaves.map((url, index) =>
    parseDbUrl(url, `target.cluster.leaves[${index}]`),
  );
  return { state: head, writers: leaves, direct: true };
}

export function kafkaClient(spec: PipelineSpec, clientId = `sluice-${spec.name}`): Kafka {
  registerCodecs();
  return new Kafka({
    clientId,
    brokers: [...spec.source.brokers],
    logLevel: logLevel.NOTHING,
    ...kafkaSecurity(spec.source),
    // A broker restart takes seconds; the client keeps trying well past that before it gives up.
    retry: { initialRetryTime: 200, maxRetryTime: 5000, retries: 12 },
    connectionTimeout: 5000,
    socketFactory: brokerSocketFactory,
  });
}

/** Creates the state tables (state server) and the offsets table (every server taking rows). */
export async function prepareTables(endpoints: TargetEndpoints): Promise<void> {
  await withSession(endpoints.state, ensureStateTables);
  for (const endpoint of endpoints.writers) await withSession(endpoint, ensureOffsetsTable);
}

/** Where a partition without a stored offset starts: the spec's explicit offset, earliest or latest. */
export function startOffsetResolver(spec: PipelineSpec, admin: () => Promise<Admin>) {
  const watermarks = new Map<string, Map<number, { low: number; high: number }>>();
  return async (topic: string, partition: number): Promise<number> => {
    const { startFrom } = spec.source;
    if (typeof startFrom === 'object') {
      const explicit = startFrom[topic]?.[String(partition)];
      if (explicit !== undefined) return explicit;
    }
    let known = watermarks.get(topic);
    if (!known?.has(partition)) {
      const offsets = await (await admin()).fetchTopicOffsets(topic);
      known = new Map(
        offsets.map((entry) => [entry.partition, { low: Number(entry.low), high: Number(entry.high) }]),
      );
      watermarks.set(topic, known);
    }
    const marks = known.get(partition) ?? { low: 0, high: 0 };
    return startFrom === 'latest' ? marks.high : marks.low;
  };
}

export async function writerContext(
  spec: PipelineSpec,
  startOffset: WriterContext['startOffset'],
  baseDir = process.cwd(),
): Promise<WriterContext> {
  const endpoints = targetEndpoints(spec);
  const columns = formatColumns(spec.format);
  const router = endpoints.direct
    ? await withSession(endpoints.state, (head) =>
        discoverRouter(head, spec.target.table, columns, endpoints.writers.length),
      )
    : undefined;
  if (router && spec.target.set && router.shardKey in spec.target.set) {
    throw new ConfigError(
      `target.set computes the shard key '${router.shardKey}'; rows are routed to leaves by the decoded value, ` +
        'so the shard key must come from the record as it is',
    );
  }
  const decoder = createDecoder(spec.format);
  const transformer = spec.transform ? createTransformer(spec.transform, baseDir) : undefined;
  return {
    writeSlots: new Slots(spec.batch.parallelWrites),
    spec,
    columns,
    decoder,
    transformer,
    batches: new BatchDecoder({
      format: spec.format,
      decoder,
      transformer,
      router,
      servers: endpoints.writers.length,
      threads: spec.batch.decodeThreads ?? defaultDecodeThreads(),
      registry:
        spec.format.kind === 'avro' && spec.format.registry
          ? new SchemaRegistry(spec.format.registry)
          : undefined,
    }),
    stateEndpoint: endpoints.state,
    writeEndpoints: endpoints.writers,
    router,
    startOffset,
    deadLetters: spec.errors.deadLetter
      ? new DeadLetters(
          kafkaClient(spec, `sluice-${spec.name}-dead-letters`),
          spec.errors.deadLetter,
          spec.name,
        )
      : undefined,
  };
}
