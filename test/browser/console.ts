/**
 * The web console in a real headless Chromium (Debian's `chromium`, driven by playwright-core):
 * run a query and see its rows; open a running pipeline and see its lag and rows/s; the stack
 * page. Screenshots go to bench/results/http/. Not part of `npm test` (it needs a browser):
 *
 *   npm run test:console
 *
 * Chromium is installed with apt-get when it is missing (SLUICE_NO_INSTALL=1 forbids that), like
 * the stack manager installs MariaDB. The stack is the project's own (or SLUICE_DB_URL /
 * SLUICE_KAFKA_BROKERS services).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import {
  createTopic,
  eventAt,
  eventJson,
  eventsTableSql,
  kafkaFor,
  produceEvents,
  range,
} from '../../bench/data/events.ts';
import { resolveStackConfig } from '../../src/config/stack.ts';
import { withSession } from '../../src/db/driver.ts';
import { endpointUrl } from '../../src/db/endpoint.ts';
import { resolveServeConfig } from '../../src/http/config.ts';
import { buildServer } from '../../src/http/service.ts';
import { quoteIdentifier } from '../../src/sql/identifiers.ts';
import { stackDown, stackUp } from '../../src/stack/stack.ts';

/** The page's document, as far as the functions run in the browser use it. */
declare const document: {
  querySelector(selector: string): { textContent: string | null; children: { length: number } } | null;
};

const CHROMIUM = '/usr/bin/chromium';
const root = path.resolve(import.meta.dirname, '..', '..');
const shots = path.join(root, 'bench', 'results', 'http');

function ensureChromium(): void {
  if (existsSync(CHROMIUM)) return;
  if (process.env.SLUICE_NO_INSTALL === '1')
    throw new Error(`${CHROMIUM} is missing and SLUICE_NO_INSTALL=1 forbids installing it`);
  process.stderr.write('installing chromium with apt-get\n');
  execFileSync('apt-get', ['update', '-q'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '-q', 'chromium'], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

async function main(): Promise<void> {
  ensureChromium();
  mkdirSync(shots, { recursive: true });
  const config = resolveStackConfig({
    home: path.join(root, '.sluice', `console-test-${process.pid}`),
    cacheDir: process.env.SLUICE_CACHE ?? path.join(root, '.sluice', 'cache'),
    topology: 'single',
    portBase: 'auto',
    kafkaPort: 'auto',
  });
  const report = await stackUp(config, (line) => process.stderr.write(`[stack] ${line}\n`));
  const single = report.endpoints.single!;
  const brokers = report.endpoints.kafka!.brokers;
  const pipeline = `console_${Date.now().toString(36)}`;
  const app = await buildServer(
    resolveServeConfig({ sources: { app: { url: endpointUrl(single) } }, logger: false }),
  );
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
  try {
    await withSession(single, async (s) => {
      await s.query('DROP TABLE IF EXISTS console_orders');
      await s.query(
        'CREATE TABLE console_orders (id INT PRIMARY KEY, customer VARCHAR(20), amount DECIMAL(12,2))',
      );
      await s.query(
        "INSERT INTO console_orders SELECT seq, CONCAT('c', seq % 7), seq * 1.25 FROM seq_1_to_120",
      );
      await s.query(eventsTableSql(pipeline));
    });
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });

    // Query page: run, see rows, page through them, explain.
    await page.goto(`${base}/#query`);
    await page.waitForSelector('#source option', { state: 'attached' });
    await page.fill('#sql', 'SELECT id, customer, amount FROM console_orders WHERE amount > 10 ORDER BY id');
    await page.click('#run');
    await page.waitForFunction(() =>
      document.querySelector('#query-status')?.textContent?.includes('rows in'),
    );
    const status = await page.textContent('#query-status');
    assert.match(status ?? '', /^112 rows in/);
    const firstRow = await page.$$eval('#result tbody tr:first-child td', (tds) =>
      tds.map((td) => td.textContent),
    );
    assert.deepEqual(firstRow, ['9', 'c2', '11.25']);
    assert.equal(await page.$$eval('#result tbody tr', (rows) => rows.length), 50);
    await page.click('#next');
    assert.equal(await page.textContent('#page-info'), 'page 2 of 3');
    await page.click('#explain');
    await page.waitForSelector('#explain-out:not([hidden])');
    assert.match((await page.textContent('#explain-out')) ?? '', /Pushed SQL/);
    await page.screenshot({ path: path.join(shots, 'console-query.png'), fullPage: true });

    // Pipelines page: a running pipeline's lag per partition and its rows/s chart.
    const kafka = kafkaFor(brokers);
    await createTopic(kafka, pipeline, 2);
    const created = await app.inject({
      method: 'POST',
      url: '/v1/pipelines',
      payload: {
        name: pipeline,
        source: { brokers: [...brokers], topics: [pipeline], sessionTimeoutMs: 2000 },
        format: { kind: 'json', columns: (await import('../../bench/data/events.ts')).eventFormat().columns },
        target: { url: endpointUrl(single), table: pipeline },
      },
    });
    assert.equal(created.statusCode, 201, created.body);
    assert.equal(
      (await app.inject({ method: 'POST', url: `/v1/pipelines/${pipeline}/start` })).statusCode,
      202,
    );
    const producing = produceEvents(kafka, {
      topic: pipeline,
      partitions: 2,
      seed: 3,
      ids: range(1, 20_000),
      payload: (id) => (id % 5000 === 0 ? '{broken' : eventJson(eventAt(3, id))),
      batchSize: 500,
      pauseMs: 100,
    });
    await page.goto(`${base}/#pipelines`);
    await page.waitForSelector('#pipelines tbody tr', { state: 'attached' });
    await page.click(`#pipelines tbody tr:has-text("${pipeline}")`);
    await page.waitForFunction(
      () => (document.querySelector('#partitions tbody')?.children.length ?? 0) === 2,
      undefined,
      { timeout: 30_000 },
    );
    await page.waitForFunction(
      () =>
        /rows loaded, [1-9]\d* rows\/s/.test(document.querySelector('#pipeline-state')?.textContent ?? ''),
      undefined,
      { timeout: 30_000 },
    );
    await page.waitForTimeout(3000);
    await page.screenshot({ path: path.join(shots, 'console-pipelines-running.png'), fullPage: true });
    await producing;
    await page.waitForFunction(
      () => /total lag 0,/.test(document.querySelector('#pipeline-state')?.textContent ?? ''),
      undefined,
      { timeout: 60_000 },
    );
    const lagCells = await page.$$eval('#partitions tbody tr td:nth-child(5)', (tds) =>
      tds.map((td) => td.textContent),
    );
    assert.deepEqual(lagCells, ['0', '0']);
    await page.waitForFunction(
      () => (document.querySelector('#pipeline-errors tbody')?.children.length ?? 0) >= 4,
      undefined,
      { timeout: 10_000 },
    );
    await page.screenshot({ path: path.join(shots, 'console-pipelines-caught-up.png'), fullPage: true });

    // Stack page: the sources and their health.
    await page.goto(`${base}/#stack`);
    await page.waitForSelector('#sources tbody tr');
    assert.equal(await page.textContent('#sources tbody tr td:nth-child(4)'), 'true');
    assert.doesNotMatch((await page.textContent('#sources')) ?? '', /:[^@/]+@/);
    await page.screenshot({ path: path.join(shots, 'console-stack.png'), fullPage: true });
    process.stdout.write('console test passed; screenshots in bench/results/http/\n');
  } finally {
    await browser.close();
    await app.inject({ method: 'DELETE', url: `/v1/pipelines/${pipeline}` }).catch(() => undefined);
    await app.close();
    await withSession(single, (s) => s.query(`DROP TABLE IF EXISTS ${quoteIdentifier(pipeline)}`)).catch(
      () => undefined,
    );
    await stackDown(config, { purge: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
