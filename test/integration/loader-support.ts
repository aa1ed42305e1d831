/** Shared pieces of the loader's integration tests (not a test file itself). */
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kafka } from 'kafkajs';
import { afterAll, inject } from 'vitest';
import { eventFormat, eventsChecksumSql, kafkaFor } from '../../bench/data/events.ts';
import { withSession } from '../../src/db/driver.ts';
import type { DbEndpoint } from '../../src/db/endpoint.ts';
import { quoteIdentifier } from '../../src/sql/identifiers.ts';

export function urlOf(endpoint: DbEndpoint): string {
  const password = endpoint.password ? `:${encodeURIComponent(endpoint.password)}` : '';
  return `mysql://${encodeURIComponent(endpoint.user)}${password}@${endpoint.host}:${endpoint.port}/${endpoint.database}`;
}

/**
 * A test file's Kafka client and what it leaves behind: tables (on the single server) and topics
 * pushed onto these lists are dropped and deleted after the file's tests.
 */
export function useScratch(): { kafka: Kafka; tables: string[]; topics: string[] } {
  const stack = inject('stack');
  const scratch = { kafka: kafkaFor(stack.brokers), tables: [] as string[], topics: [] as string[] };
  afterAll(async () => {
    await withSession(stack.single, async (session) => {
      for (const table of scratch.tables)
        await session.query(`DROP TABLE IF EXISTS ${quoteIdentifier(table)}`);
    });
    const admin = scratch.kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: scratch.topics }).catch(() => undefined);
    await admin.disconnect();
  });
  return scratch;
}

/** A unique name usable as topic, table and pipeline name. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6).toString(36)}`;
}

export interface Target {
  readonly url?: string;
  readonly cluster?: { readonly head: string; readonly leaves: readonly string[] };
}

export function eventSpec(
  name: string,
  brokers: readonly string[],
  topic: string,
  target: Target,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    name,
    source: { brokers: [...brokers], topics: [topic], sessionTimeoutMs: 2000 },
    format: eventFormat(),
    target: { ...target, table: name },
    ...extra,
  };
}

export async function tableChecksum(
  endpoint: DbEndpoint,
  table: string,
): Promise<{ count: number; checksum: bigint }> {
  const [row] = await withSession(endpoint, (session) =>
    session.query<{ n: string; checksum: string }>(eventsChecksumSql(table)),
  );
  return { count: Number(row!.n), checksum: BigInt(row!.checksum) };
}

/** Polls `probe` until it returns true; fails after `timeoutMs` with `what`. */
export async function waitUntil(
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs = 60_000,
  explain?: () => Promise<string>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${explain ? `; ${await explain()}` : ''}`);
    }
    await sleep(100);
  }
}

/** Starts again whatever the test stack in `home` has lost (a killed server, a stopped broker). */
export async function restartStack(home: string, leaves: number): Promise<void> {
  const { resolveStackConfig } = await import('../../src/config/stack.ts');
  const { stackUp } = await import('../../src/stack/stack.ts');
  const root = path.resolve(import.meta.dirname, '..', '..');
  await stackUp(
    resolveStackConfig({
      home,
      cacheDir: process.env.SLUICE_CACHE ?? path.join(root, '.sluice', 'cache'),
      topology: 'all',
      leaves,
      portBase: 'auto',
      kafkaPort: 'auto',
      bufferPoolMb: 256,
    }),
  );
}
