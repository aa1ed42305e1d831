/** `sluice pipeline …` as a person runs it: spec file in, tables and status out. */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, describe, expect, inject, it } from 'vitest';
import {
  createTopic,
  eventsChecksum,
  eventsTableSql,
  kafkaFor,
  produceEvents,
  range,
} from '../../bench/data/events.ts';
import { withSession } from '../../src/db/driver.ts';
import { quoteIdentifier } from '../../src/sql/identifiers.ts';
import { eventSpec, tableChecksum, uniqueName, urlOf, waitUntil } from './loader-support.ts';

const stack = inject('stack');
const root = path.resolve(import.meta.dirname, '..', '..');
const run = promisify(execFile);
const kafka = kafkaFor(stack.brokers);
const name = uniqueName('cli');
const db = urlOf(stack.single);
let dir = '';

async function sluice(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['bin/sluice.mjs', ...args], { cwd: root });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

afterAll(async () => {
  await withSession(stack.single, (session) =>
    session.query(`DROP TABLE IF EXISTS ${quoteIdentifier(name)}`),
  );
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [name] }).catch(() => undefined);
  await admin.disconnect();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('sluice pipeline', () => {
  it('creates, tests, runs, pauses, resumes, reports, stops and drops a pipeline', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-cli-'));
    await createTopic(kafka, name, 2);
    await produceEvents(kafka, { topic: name, partitions: 2, seed: 3, ids: range(1, 1000) });
    await produceEvents(kafka, {
      topic: name,
      partitions: 2,
      seed: 3,
      ids: [1001],
      payload: () => '{broken',
    });
    await withSession(stack.single, (session) => session.query(eventsTableSql(name)));
    const specFile = path.join(dir, 'spec.json');
    await writeFile(specFile, JSON.stringify(eventSpec(name, stack.brokers, name, { url: db })));

    const invalid = path.join(dir, 'invalid.json');
    await writeFile(invalid, JSON.stringify({ name, source: {} }));
    const rejected = await sluice('pipeline', 'create', invalid);
    expect(rejected.code).toBe(1);
    expect(rejected.stderr).toMatch(/invalid pipeline spec:\n.*required property 'brokers'/s);

    expect(await sluice('pipeline', 'create', specFile)).toMatchObject({
      code: 0,
      stdout: `created pipeline '${name}' (stopped)\n`,
    });
    expect((await sluice('pipeline', 'create', specFile)).stderr).toMatch(/exists; drop it first/);
    expect((await sluice('pipeline', 'list', '--db', db)).stdout).toContain(name);

    const test = await sluice('pipeline', 'test', name, '--db', db, '--limit', '3', '--json');
    expect(test.code).toBe(0);
    const preview = JSON.parse(test.stdout) as { columns: string[]; rows: { values: unknown[] }[] };
    expect(preview.columns).toEqual(['id', 'user_name', 'kind', 'amount', 'ts']);
    expect(preview.rows).toHaveLength(3);
    expect(await tableChecksum(stack.single, name)).toEqual({ count: 0, checksum: 0n });

    const running = sluice('pipeline', 'start', name, '--db', db);
    await waitUntil(
      'every event loaded',
      async () => (await tableChecksum(stack.single, name)).count === 1000,
    );
    expect(await tableChecksum(stack.single, name)).toEqual(eventsChecksum(3, range(1, 1000)));

    // Paused, it loads nothing new; resumed, it takes up where it was.
    expect((await sluice('pipeline', 'pause', name, '--db', db)).stdout).toBe(`pipeline '${name}': paused\n`);
    await waitUntil('the paused state reported', async () => {
      const [row] = await withSession(stack.single, (session) =>
        session.query<{ state: string }>('SELECT state FROM sluice_pipelines WHERE name = ?', [name]),
      );
      return row?.state === 'paused';
    });
    await produceEvents(kafka, { topic: name, partitions: 2, seed: 3, ids: range(1002, 500) });
    await sleep(1500);
    expect((await tableChecksum(stack.single, name)).count).toBe(1000);
    await sluice('pipeline', 'resume', name, '--db', db);
    await waitUntil(
      'the new events loaded',
      async () => (await tableChecksum(stack.single, name)).count === 1500,
    );
    expect(await tableChecksum(stack.single, name)).toEqual(
      eventsChecksum(3, [...range(1, 1000), ...range(1002, 500)]),
    );

    const status = await sluice('pipeline', 'status', name, '--db', db);
    expect(status.stdout).toMatch(new RegExp(`pipeline ${name}: running \\(wanted: running\\)`));
    expect(status.stdout).toMatch(/topic\s+part\s+offset\s+latest\s+lag\s+loaded/);
    const report = JSON.parse((await sluice('pipeline', 'status', name, '--db', db, '--json')).stdout);
    expect(report.partitions.map((p: { lag: number }) => p.lag)).toEqual([0, 0]);
    expect(
      report.partitions.reduce(
        (sum: number, p: { rowsLoaded: number; failed: number }) => sum + p.rowsLoaded + p.failed,
        0,
      ),
    ).toBe(1501);

    const errors = JSON.parse((await sluice('pipeline', 'errors', name, '--db', db, '--json')).stdout);
    expect(errors).toEqual([
      expect.objectContaining({ partition: 1, offset: 500, stage: 'parse', payload: '{broken', key: '1001' }),
    ]);

    expect((await sluice('pipeline', 'stop', name, '--db', db)).code).toBe(0);
    const stopped = await running;
    expect(stopped.code).toBe(0);
    expect(stopped.stderr).toMatch(/stopped; stopped: 1500 rows loaded, 1 failed/);

    expect((await sluice('pipeline', 'drop', name, '--db', db)).code).toBe(0);
    expect((await sluice('pipeline', 'status', name, '--db', db)).stderr).toMatch(/no pipeline named/);
    expect((await sluice('pipeline', 'start', name)).stderr).toMatch(/--db URL/);
  });
});
