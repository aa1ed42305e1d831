/**
 * The ML benchmark harness at a tiny scale in every sluice mode and the naive mode, against the
 * real stack: telemetry produced to Kafka and loaded by a pipeline, then W1-W5 in each mode with
 * equal answers (checksums, centroids within 1e-9, label counts, scores). Also cache() and
 * db.fromArrow() against the real database: a small local side's keys filter the table.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Int32, Table, vectorFromArray } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { benchMl } from '../../bench/ml/run.ts';
import { col, connect, type Database, fn } from '../../src/index.ts';
import { fusionStats } from '../../src/local/kernels/fused.ts';
import { drillScale } from '../../src/ml/drills.ts';

const stack = inject('stack');
const url = (e: typeof stack.single) => `mysql://${e.user}@${e.host}:${e.port}/${e.database}`;
const quiet = { line: () => undefined, done: () => undefined };

describe('sluice bench ml at a tiny scale', () => {
  it('runs W1-W5 in the sluice modes and the naive mode with equal answers', async () => {
    const outDir = mkdtempSync(path.join(os.tmpdir(), 'sluice-ml-'));
    const fusedBefore = fusionStats.runs;
    const result = await benchMl(
      {
        scale: 0.004,
        modes: ['sluice', 'sluice-pushdown-each-pass', 'sluice-no-pushdown', 'naive'],
        passes: ['W1', 'W2', 'W3', 'W4', 'W5'],
        runs: 1,
        iterations: 3,
        k: 8,
        seed: 5,
        outDir,
        reload: true,
        command: 'test',
      },
      { single: stack.single, brokers: stack.brokers },
      quiet,
    );
    expect(result.disagreements).toEqual([]);
    // The local k-means iterations (sluice on cached columns, sluice-no-pushdown) ran as fused loops.
    expect(fusionStats.runs - fusedBefore).toBeGreaterThanOrEqual(2 * 3);
    const scale = drillScale(0.004);
    expect(result.readings).toBe(scale.drills * scale.readingsPerDrill);
    const sluice = result.modes.sluice!;
    const naive = result.modes.naive!;
    expect((sluice.answers.W3!.centroids as number[][]).length).toBe(8);
    expect(sluice.answers.W3).toEqual(expect.objectContaining({ centroids: expect.any(Array) }));
    for (const [a, b] of (sluice.answers.W3!.centroids as number[][])
      .flat()
      .map((c, i) => [c, (naive.answers.W3!.centroids as number[][]).flat()[i]!]))
      expect(Math.abs(a! - b!)).toBeLessThan(1e-9);
    expect(sluice.answers.W4).toEqual(naive.answers.W4);
    expect(Number(sluice.answers.W4!.rows)).toBe(result.readings);
    expect(Number(sluice.answers.W5!.rows)).toBeGreaterThan(0);
    expect(Number(sluice.answers.W5!.rows)).toBeLessThanOrEqual(result.readings);
    for (const pass of ['W1', 'W2', 'W3', 'W4', 'W5'])
      expect(sluice.passes[pass]!.wallSeconds).toBeGreaterThan(0);
    // The sluice mode caches: explain of its W3 step says the iterations run on cached columns.
    expect(result.explains['sluice/W3']).toMatch(/cache\d+: cached frame, \d+ rows/);
    expect(result.explains['sluice-pushdown-each-pass/W3']).toContain(
      'none: the database computes the whole result',
    );
    // The report says where each pass ran: the readings read once into a cache in W1 and
    // aggregated locally there, W3 locally on features computed from that cache.
    const where = readFileSync(path.join(outDir, 'ml-single-sf0.004.md'), 'utf8');
    const section = (mode: string, pass: string) =>
      where.split(`#### Where \`${mode}\``)[1]!.split(`**${pass}**`)[1]!.split('**W')[0]!;
    expect(section('sluice', 'W1')).toMatch(/- cache\d+: cached frame, \d+ rows/);
    expect(section('sluice', 'W1')).toMatch(/- database: `` SELECT `drill_id`, `seq`, `ts`, `day`, `rpm`/);
    expect(section('sluice', 'W1')).toMatch(/- local steps \(top down\): Aggregate ← (Project ← )?Cached/);
    expect(section('sluice-pushdown-each-pass', 'W1')).toMatch(
      /- database: `` SELECT `drill_id`, COUNT\(\*\)/,
    );
    expect(section('sluice', 'W3')).toMatch(/- cache\d+: cached frame, \d+ rows[^\n]*computed once in/);
    expect(section('sluice', 'W3')).toMatch(/- local steps \(top down\): Aggregate ← Project ×\d+ ← Cached/);
  }, 240_000);
});

describe('cache() and fromArrow() against the database', () => {
  let db: Database;
  beforeAll(async () => {
    db = await connect(url(stack.single));
  });
  afterAll(async () => {
    await db.close();
  });

  it('a small Arrow table joined with readings sends its keys as an IN filter and gives the same rows', async () => {
    const keys = new Table({ drill_id: vectorFromArray([2, 3], new Int32()) });
    const joined = db.fromArrow(keys).join(db.table('drill_readings'), 'drill_id');
    const plan = joined.explain();
    expect(plan).toMatch(/WHERE \(`drill_id` IN \(\?, \?\)\)/);
    const viaJoin = await joined
      .groupBy('drill_id')
      .agg(fn.count().as('n'), fn.sum('seq').as('s'))
      .orderBy('drill_id')
      .collect();
    const direct = await db
      .table('drill_readings')
      .filter(col('drill_id').isIn([2, 3]))
      .groupBy('drill_id')
      .agg(fn.count().as('n'), fn.sum('seq').as('s'))
      .orderBy('drill_id')
      .collect();
    // SUM of an INT column is a DECIMAL in MariaDB and an integer locally: compare the numbers.
    const numbers = (rows: Record<string, unknown>[]) =>
      rows.map((r) => [Number(r.drill_id), Number(r.n), Number(r.s)]);
    expect(numbers(viaJoin)).toEqual(numbers(direct));
    expect(viaJoin).toHaveLength(2);
  });

  it('a cached frame reads the table once; later frames on it read nothing', async () => {
    const cached = db.table('drill_readings').select('drill_id', 'vibration').cache();
    const before = await db.table('drill_readings').count();
    const first = await cached
      .groupBy('drill_id')
      .agg(fn.avg('vibration').as('m'))
      .orderBy('drill_id')
      .collect();
    const pushed = await db
      .table('drill_readings')
      .groupBy('drill_id')
      .agg(fn.avg('vibration').as('m'))
      .orderBy('drill_id')
      .collect();
    expect(first.map((r) => r.drill_id)).toEqual(pushed.map((r) => r.drill_id));
    for (let i = 0; i < first.length; i++)
      expect(Math.abs(Number(first[i]!.m) - Number(pushed[i]!.m))).toBeLessThan(1e-9);
    const again = cached.filter(col('vibration').gt(1)).agg(fn.count().as('n'));
    expect(again.explain()).toContain('== Pushed SQL (0 statements) ==');
    expect(Number((await again.collect())[0]!.n)).toBeLessThanOrEqual(before);
  });
});
