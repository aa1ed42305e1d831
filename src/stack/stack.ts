/**
 * The local stack: a single MariaDB server, a Spider cluster (head + leaves) and a Kafka broker,
 * all real servers on loopback, started as detached processes whose pids are kept in a state file.
 */
import { rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { StackError } from '../base/errors.ts';
import type { StackConfig } from '../config/stack.ts';
import { withSession } from '../db/driver.ts';
import { type DbEndpoint, endpointUrl } from '../db/endpoint.ts';
import { registerLeafServers } from '../db/sharding.ts';
import { type ExternalServices, externalServices } from './external.ts';
import { describeKafka, ensureKafka, startKafka } from './kafka.ts';
import {
  ensureMariaDb,
  type MariaDbServerSpec,
  mariaDbEndpoint,
  startMariaDb,
  templateDatadir,
} from './mariadb.ts';
import { findFreePorts, isPortFree } from './ports.ts';
import { isOurProcess, stopProcess } from './processes.ts';
import { type Progress, silent } from './progress.ts';
import { readState, type StackState, stateFile, writeState } from './state.ts';
import type { ComponentRecord, ComponentStatus, StackEndpoints } from './types.ts';

export interface StackReport {
  readonly home: string;
  readonly components: readonly ComponentStatus[];
  readonly endpoints: StackEndpoints;
}

/** A component the configuration asks for, before it has a pid. */
interface PlannedServer {
  readonly name: string;
  readonly kind: 'mariadb' | 'kafka';
  readonly role: ComponentRecord['role'];
}

function plannedComponents(config: StackConfig, external: ExternalServices): PlannedServer[] {
  const planned: PlannedServer[] = [];
  if ((config.topology === 'all' || config.topology === 'single') && !external.single) {
    planned.push({ name: 'single', kind: 'mariadb', role: 'single' });
  }
  if ((config.topology === 'all' || config.topology === 'cluster') && !external.cluster) {
    planned.push({ name: 'head', kind: 'mariadb', role: 'head' });
    for (let i = 1; i <= config.leaves; i++)
      planned.push({ name: `leaf${i}`, kind: 'mariadb', role: 'leaf' });
  }
  if (config.kafka && !external.kafkaBrokers) planned.push({ name: 'kafka', kind: 'kafka', role: 'broker' });
  return planned;
}

/** Ports for servers not started before: fixed from the configured bases, or free ones. */
async function assignPorts(
  config: StackConfig,
  toStart: readonly PlannedServer[],
  state: StackState,
): Promise<Map<string, { port: number; controllerPort?: number }>> {
  const ports = new Map<string, { port: number; controllerPort?: number }>();
  const fresh: PlannedServer[] = [];
  for (const server of toStart) {
    const known = state.components[server.name];
    if (known) ports.set(server.name, { port: known.port, controllerPort: known.controllerPort });
    else fresh.push(server);
  }
  const needed = fresh.length + (fresh.some((server) => server.kind === 'kafka') ? 1 : 0);
  const free = config.portBase === 'auto' || config.kafkaPort === 'auto' ? await findFreePorts(needed) : [];
  const dbOrder = ['single', 'head', ...Array.from({ length: 16 }, (_, i) => `leaf${i + 1}`)];
  for (const server of fresh) {
    if (server.kind === 'kafka') {
      const port = config.kafkaPort === 'auto' ? free.pop()! : config.kafkaPort;
      const controllerPort = config.kafkaPort === 'auto' ? free.pop()! : config.kafkaPort + 1;
      ports.set(server.name, { port, controllerPort });
    } else {
      const port = config.portBase === 'auto' ? free.pop()! : config.portBase + dbOrder.indexOf(server.name);
      ports.set(server.name, { port });
    }
  }
  return ports;
}

/** Fails before starting anything if a port we are about to bind is taken by someone else. */
async function checkPortsFree(ports: Map<string, { port: number; controllerPort?: number }>): Promise<void> {
  const taken: string[] = [];
  for (const [name, { port, controllerPort }] of ports) {
    for (const candidate of [port, controllerPort]) {
      if (candidate !== undefined && !(await isPortFree(candidate))) taken.push(`${candidate} (${name})`);
    }
  }
  if (taken.length > 0) {
    throw new StackError(
      'PORT_IN_USE',
      'stack',
      `port${taken.length > 1 ? 's' : ''} ${taken.join(', ')} already in use by another process; ` +
        'choose other ports with --port-base / --kafka-port (or SLUICE_PORT_BASE / SLUICE_KAFKA_PORT, or "auto"), or stop what listens there',
    );
  }
}

/**
 * Brings the stack up. Idempotent: servers of ours that are running are kept, stopped ones are
 * started again on their old ports with their old data, missing ones are created.
 */
export async function stackUp(config: StackConfig, progress: Progress = silent): Promise<StackReport> {
  const external = externalServices();
  let state = await readState(config.home);
  const planned = plannedComponents(config, external);
  const toStart = planned.filter((server) => {
    const known = state.components[server.name];
    return !(known?.pid && known.marker && isOurProcess(known.pid, known.marker));
  });
  for (const server of planned.filter((s) => !toStart.includes(s))) {
    progress(`${server.name}: already running (pid ${state.components[server.name]!.pid})`);
  }

  if (toStart.length > 0) {
    const ports = await assignPorts(config, toStart, state);
    await checkPortsFree(ports);
    const databases = toStart.filter((server) => server.kind === 'mariadb');
    const kafka = toStart.find((server) => server.kind === 'kafka');
    const options = { allowInstall: config.allowInstall, progress };
    const [mariadb, kafkaRuntime] = await Promise.all([
      databases.length > 0
        ? ensureMariaDb({ ...options, needSpider: databases.some((server) => server.role === 'head') })
        : undefined,
      kafka ? ensureKafka({ ...options, cacheDir: config.cacheDir }) : undefined,
    ]);
    const template = mariadb ? await templateDatadir(mariadb, config.cacheDir, progress) : undefined;

    const starts = toStart.map((server) => {
      const { port, controllerPort } = ports.get(server.name)!;
      const dir = path.join(config.home, server.name);
      if (server.kind === 'kafka') {
        return startKafka(
          { name: server.name, port, controllerPort: controllerPort!, dir },
          kafkaRuntime!,
          config.startTimeoutSeconds,
          progress,
        );
      }
      const spec: MariaDbServerSpec = {
        name: server.name,
        role: server.role as MariaDbServerSpec['role'],
        port,
        dir,
        bufferPoolMb: server.role === 'head' ? 128 : config.bufferPoolMb,
      };
      return startMariaDb(spec, mariadb!, template!, config.startTimeoutSeconds, progress);
    });
    const results = await Promise.allSettled(starts);
    const started = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    state = {
      version: 1,
      components: { ...state.components, ...Object.fromEntries(started.map((r) => [r.name, r])) },
    };
    // Saved before reporting failures, so `down` can stop whatever did start.
    await writeState(config.home, state);
    const failures = results.flatMap((result) =>
      result.status === 'rejected' ? [result.reason as unknown] : [],
    );
    if (failures.length > 0) throw failures[0];
  }

  const endpoints = endpointsOf(state, external);
  // `up --topology single` leaves a stopped cluster of an earlier `up` alone.
  if (endpoints.cluster && config.topology !== 'single') {
    await registerLeafServers(endpoints.cluster);
  }
  return stackStatus(config, state);
}

/** Stops every process this stack started (by pid, checked against its command line); never by name. */
export async function stackDown(
  config: StackConfig,
  options: { purge?: boolean } = {},
  progress: Progress = silent,
): Promise<string[]> {
  const state = await readState(config.home);
  const stopped: string[] = [];
  await Promise.all(
    Object.values(state.components).map(async (record) => {
      if (record.source !== 'local' || !record.pid || !record.marker) return;
      const outcome = await stopProcess(record.pid, record.marker);
      if (outcome === 'stopped') {
        stopped.push(record.name);
        progress(`${record.name}: stopped (pid ${record.pid})`);
      }
    }),
  );
  if (options.purge) {
    for (const record of Object.values(state.components)) {
      if (record.source === 'local' && record.dir) await rm(record.dir, { recursive: true, force: true });
    }
    await rm(stateFile(config.home), { force: true });
    // The folder goes too when nothing else is left in it (the cache or a user's files may be).
    await rmdir(config.home).catch(() => undefined);
    progress(`removed data and state under ${config.home}`);
  }
  return stopped.sort();
}

/** What runs and what answers, with the endpoints to use. */
export async function stackStatus(config: StackConfig, knownState?: StackState): Promise<StackReport> {
  const external = externalServices();
  const state = knownState ?? (await readState(config.home));
  const { records: externals, endpoints } = externalRecords(external);
  const records: ComponentRecord[] = [...Object.values(state.components), ...externals];
  const endpointOf = (record: ComponentRecord) => endpoints.get(record.name) ?? mariaDbEndpoint(record.port);
  const components = await Promise.all(records.map((record) => probe(record, endpointOf(record))));
  components.sort((a, b) => order(a) - order(b) || a.name.localeCompare(b.name, 'en', { numeric: true }));
  return { home: config.home, components, endpoints: endpointsOf(state, external) };
}

function order(component: ComponentRecord): number {
  return ['single', 'head', 'leaf', 'broker'].indexOf(component.role);
}

async function probe(record: ComponentRecord, database: DbEndpoint): Promise<ComponentStatus> {
  const running =
    record.source !== 'local' || (!!record.pid && !!record.marker && isOurProcess(record.pid, record.marker));
  const endpoint = record.kind === 'kafka' ? `${record.host}:${record.port}` : endpointUrl(database);
  if (!running) return { ...record, running, answering: false, endpoint, problem: 'not running' };
  try {
    const version =
      record.kind === 'kafka'
        ? await describeKafka([`${record.host}:${record.port}`])
        : await withSession(
            database,
            async (session) => {
              const [row] = await session.query<{ version: string }>('SELECT VERSION() AS version');
              return row!.version;
            },
            { withoutDatabase: true, connectTimeoutMs: 3000 },
          );
    return { ...record, running, answering: true, version, endpoint };
  } catch (error) {
    return { ...record, running, answering: false, endpoint, problem: (error as Error).message };
  }
}

/** Records for external servers, and their endpoints (which carry credentials; local ones are root). */
function externalRecords(external: ExternalServices): {
  records: ComponentRecord[];
  endpoints: Map<string, DbEndpoint>;
} {
  const records: ComponentRecord[] = [];
  const endpoints = new Map<string, DbEndpoint>();
  const add = (name: string, role: ComponentRecord['role'], endpoint: DbEndpoint) => {
    endpoints.set(name, endpoint);
    records.push({
      name,
      kind: 'mariadb',
      role,
      source: 'external',
      host: endpoint.host,
      port: endpoint.port,
    });
  };
  if (external.single) add('single', 'single', external.single);
  if (external.cluster) {
    add('head', 'head', external.cluster.head);
    for (const [index, leaf] of external.cluster.leaves.entries()) add(`leaf${index + 1}`, 'leaf', leaf);
  }
  for (const [index, broker] of (external.kafkaBrokers ?? []).entries()) {
    const [host, port] = broker.split(':') as [string, string];
    const name = index === 0 ? 'kafka' : `kafka${index + 1}`;
    records.push({ name, kind: 'kafka', role: 'broker', source: 'external', host, port: Number(port) });
  }
  return { records, endpoints };
}

function endpointsOf(state: StackState, external: ExternalServices): StackEndpoints {
  const local = state.components;
  const single = external.single ?? (local.single ? mariaDbEndpoint(local.single.port) : undefined);
  let cluster = external.cluster;
  if (!cluster && local.head) {
    const leaves = Object.values(local)
      .filter((record) => record.role === 'leaf')
      .sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }))
      .map((record) => mariaDbEndpoint(record.port));
    cluster = { head: mariaDbEndpoint(local.head.port), leaves };
  }
  const brokers = external.kafkaBrokers ?? (local.kafka ? [`127.0.0.1:${local.kafka.port}`] : undefined);
  return {
    ...(single ? { single } : {}),
    ...(cluster ? { cluster } : {}),
    ...(brokers ? { kafka: { brokers } } : {}),
  };
}
