import path from 'node:path';
import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import { resolveStackConfig } from '../../src/config/stack.ts';
import type { DbEndpoint } from '../../src/db/endpoint.ts';
import { stackDown, stackUp } from '../../src/stack/stack.ts';

export interface TestStack {
  readonly home: string;
  readonly single: DbEndpoint;
  readonly cluster: { readonly head: DbEndpoint; readonly leaves: readonly DbEndpoint[] };
  readonly brokers: readonly string[];
}

declare module 'vitest' {
  export interface ProvidedContext {
    stack: TestStack;
  }
}

/**
 * Starts the real stack once for all integration tests: its own folder and free ports, so a
 * developer's stack (or another run) is never touched. SLUICE_DB_URL / SLUICE_CLUSTER_URLS /
 * SLUICE_KAFKA_BROKERS use running services instead; SLUICE_STACK=testcontainers uses Docker.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const progress = (message: string) => process.stderr.write(`[stack] ${message}\n`);
  if (process.env.SLUICE_STACK === 'testcontainers') {
    const { startTestcontainersStack } = await import('../../src/stack/testcontainers.ts');
    const stack = await startTestcontainersStack({ leaves: 2, progress });
    project.provide('stack', { home: '', ...stack.endpoints });
    return stack.stop;
  }
  const root = path.resolve(import.meta.dirname, '..', '..');
  const config = resolveStackConfig({
    home: path.join(root, '.sluice', `test-stack-${process.pid}`),
    cacheDir: process.env.SLUICE_CACHE ?? path.join(root, '.sluice', 'cache'),
    topology: 'all',
    leaves: 2,
    portBase: 'auto',
    kafkaPort: 'auto',
    bufferPoolMb: 256,
  });
  const started = Date.now();
  let report: Awaited<ReturnType<typeof stackUp>>;
  try {
    report = await stackUp(config, progress);
  } catch (error) {
    // Whatever did start is in the state file; stop it rather than leave it running.
    await stackDown(config, { purge: true }, progress);
    throw error;
  }
  progress(`stack up in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  const { single, cluster, kafka } = report.endpoints;
  if (!single || !cluster || !kafka) {
    await stackDown(config, { purge: true });
    throw new Error('the test stack needs a single server, a cluster and a Kafka broker');
  }
  project.provide('stack', { home: config.home, single, cluster, brokers: kafka.brokers });
  return async () => {
    await stackDown(config, { purge: true }, progress);
  };
}
