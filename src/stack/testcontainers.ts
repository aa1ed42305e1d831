/**
 * The same services in Docker containers, for machines that have a Docker engine
 * (SLUICE_STACK=testcontainers). Not the default, and never needed where the local stack runs:
 * the machines this project is developed on have no Docker engine, so this path is untested there.
 */
import path from 'node:path';
import { GenericContainer, Network, type StartedTestContainer, Wait } from 'testcontainers';
import { withSession } from '../db/driver.ts';
import { type DbEndpoint, DEFAULT_DATABASE } from '../db/endpoint.ts';
import { createServerSql, leafServerName } from '../db/sharding.ts';
import { KAFKA_VERSION } from './kafka.ts';
import { findFreePorts } from './ports.ts';
import type { Progress } from './progress.ts';
import type { StackEndpoints } from './types.ts';

const MARIADB_ARGS = [
  '--character-set-server=utf8mb4',
  '--collation-server=utf8mb4_general_ci',
  '--local-infile=1',
  '--max-allowed-packet=256M',
];

export interface ContainerStack {
  readonly endpoints: Required<Pick<StackEndpoints, 'single' | 'cluster'>> & { brokers: readonly string[] };
  stop(): Promise<void>;
}

export async function startTestcontainersStack(options: {
  leaves: number;
  progress: Progress;
}): Promise<ContainerStack> {
  const network = await new Network().start();
  const started: StartedTestContainer[] = [];
  try {
    options.progress('testcontainers: building MariaDB + Spider image');
    const image = await GenericContainer.fromDockerfile(
      path.join(import.meta.dirname, 'docker'),
      'Dockerfile.mariadb-spider',
    ).build('sluice-mariadb-spider:10.11', { deleteOnExit: false });
    const mariadb = (alias: string, extra: string[] = []) =>
      image
        .withNetwork(network)
        .withNetworkAliases(alias)
        .withEnvironment({ MARIADB_ALLOW_EMPTY_ROOT_PASSWORD: '1', MARIADB_DATABASE: DEFAULT_DATABASE })
        .withCommand(['mariadbd', ...MARIADB_ARGS, ...extra])
        .withExposedPorts(3306)
        .withWaitStrategy(Wait.forLogMessage(/ready for connections/, 2))
        .start();
    const leafAliases = Array.from({ length: options.leaves }, (_, i) => `leaf${i + 1}`);
    const [kafkaPort] = await findFreePorts(1);
    const containers = await Promise.all([
      mariadb('single'),
      mariadb('head', ['--plugin-load-add=ha_spider']),
      ...leafAliases.map((alias) => mariadb(alias)),
      new GenericContainer(`apache/kafka:${KAFKA_VERSION}`)
        .withEnvironment({
          KAFKA_NODE_ID: '1',
          KAFKA_PROCESS_ROLES: 'broker,controller',
          KAFKA_LISTENERS: 'PLAINTEXT://:9092,CONTROLLER://:9093',
          KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://127.0.0.1:${kafkaPort}`,
          KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
          KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
          KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
          KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
          KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
          KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
          KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
        })
        // Clients must reach the broker at the port it advertises, so the host port is fixed.
        .withExposedPorts({ container: 9092, host: kafkaPort! })
        .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
        .start(),
    ]);
    started.push(...containers);
    const endpointOf = (container: StartedTestContainer): DbEndpoint => ({
      host: container.getHost(),
      port: container.getMappedPort(3306),
      user: 'root',
      password: '',
      database: DEFAULT_DATABASE,
    });
    const [single, head, ...rest] = containers;
    const leaves = rest.slice(0, options.leaves);
    // The head reaches its leaves over the container network, by alias, on the container port.
    await withSession(endpointOf(head!), async (session) => {
      for (const [index, alias] of leafAliases.entries()) {
        const leaf = { host: alias, port: 3306, user: 'root', password: '', database: DEFAULT_DATABASE };
        await session.query(createServerSql(leafServerName(index), leaf));
      }
    });
    return {
      endpoints: {
        single: endpointOf(single!),
        cluster: { head: endpointOf(head!), leaves: leaves.map(endpointOf) },
        brokers: [`127.0.0.1:${kafkaPort}`],
      },
      stop: async () => {
        await Promise.all(started.map((container) => container.stop()));
        await network.stop();
      },
    };
  } catch (error) {
    await Promise.all(started.map((container) => container.stop().catch(() => undefined)));
    await network.stop().catch(() => undefined);
    throw error;
  }
}
