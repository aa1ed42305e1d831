/**
 * The `naive` mode: what people write by hand. One mysql2 query per pass returns row objects,
 * and JavaScript loops compute the features, k-means, labels and scores; scores go back with
 * multi-row INSERT … ON DUPLICATE KEY UPDATE. The answers must equal the DataFrame modes'.
 * (The benchmark is the one place outside src/db that talks to mysql2 itself: that is the point.)
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import mysql from 'mysql2/promise';
import type { Centroids } from '../../src/ml/kmeans.ts';
import {
  FEATURES,
  type FeatureStats,
  initialKeys,
  LAG_WINDOW,
  type PassAnswer,
  type PassContext,
  pickInitial,
  ROLLING,
  Z_FEATURES,
} from './shared.ts';

type Row = Record<string, number | null>;

export interface NaiveRun {
  readonly connection: mysql.Connection;
  stats?: FeatureStats;
  centroids?: Centroids;
}

export async function openNaiveRun(url: string): Promise<NaiveRun> {
  return { connection: await mysql.createConnection({ uri: url }) };
}

async function query(run: NaiveRun, sql: string, params: unknown[] = []): Promise<Row[]> {
  const [rows] = await run.connection.query(sql, params);
  return rows as Row[];
}

/** MariaDB's AVG of an integer expression: 4 digits after the point, half away from zero. */
const round4 = (x: number) => (Math.sign(x) * Math.round(Math.abs(x) * 1e4)) / 1e4;

interface Acc {
  n: number;
  count: number[];
  mean: number[];
  m2: number[];
  min: number[];
  max: number[];
  sum: number[];
  vibOver: number;
  tempOver: number;
}

const newAcc = (): Acc => ({
  n: 0,
  count: FEATURES.map(() => 0),
  mean: FEATURES.map(() => 0),
  m2: FEATURES.map(() => 0),
  min: FEATURES.map(() => Number.POSITIVE_INFINITY),
  max: FEATURES.map(() => Number.NEGATIVE_INFINITY),
  sum: FEATURES.map(() => 0),
  vibOver: 0,
  tempOver: 0,
});

function add(acc: Acc, row: Row): void {
  acc.n++;
  FEATURES.forEach((f, i) => {
    const x = row[f];
    if (x === null || x === undefined) return;
    const c = ++acc.count[i]!;
    const delta = x - acc.mean[i]!;
    acc.mean[i]! += delta / c;
    acc.m2[i]! += delta * (x - acc.mean[i]!);
    acc.sum[i]! += x;
    if (x < acc.min[i]!) acc.min[i] = x;
    if (x > acc.max[i]!) acc.max[i] = x;
  });
  if (row.vibration !== null && row.vibration! > 2) acc.vibOver++;
  if (row.temperature !== null && row.temperature! > 90) acc.tempOver++;
}

function finish(accs: Map<string, Acc>): Record<string, number> {
  const out: Record<string, number> = { rows: accs.size };
  const put = (name: string, value: number | null) => {
    if (value !== null) out[name] = (out[name] ?? 0) + value;
  };
  for (const acc of accs.values()) {
    put('n', acc.n);
    FEATURES.forEach((f, i) => {
      const c = acc.count[i]!;
      put(`${f}_mean`, c === 0 ? null : acc.sum[i]! / c);
      put(`${f}_sd`, c < 2 ? null : Math.sqrt(Math.max(0, acc.m2[i]! / (c - 1))));
      put(`${f}_min`, c === 0 ? null : acc.min[i]!);
      put(`${f}_max`, c === 0 ? null : acc.max[i]!);
    });
    put('vib_over', round4(acc.vibOver / acc.n));
    put('temp_over', round4(acc.tempOver / acc.n));
  }
  return out;
}

async function w1(run: NaiveRun): Promise<PassAnswer> {
  const rows = await query(run, `SELECT drill_id, day, ${FEATURES.join(', ')} FROM drill_readings`);
  const perDrill = new Map<string, Acc>();
  const perDay = new Map<string, Acc>();
  const fleet = newAcc();
  for (const row of rows) {
    const drill = String(row.drill_id);
    const day = `${row.drill_id}/${row.day}`;
    if (!perDrill.has(drill)) perDrill.set(drill, newAcc());
    if (!perDay.has(day)) perDay.set(day, newAcc());
    add(perDrill.get(drill)!, row);
    add(perDay.get(day)!, row);
    add(fleet, row);
  }
  run.stats = Object.fromEntries(
    FEATURES.map((f, i) => [
      f,
      {
        mean: fleet.sum[i]! / fleet.count[i]!,
        sd: Math.sqrt(fleet.m2[i]! / (fleet.count[i]! - 1)),
      },
    ]),
  ) as FeatureStats;
  return { perDrill: finish(perDrill), perDay: finish(perDay) };
}

interface WindowRow {
  drill_id: number;
  seq: number;
  ts: number;
  vib_lag: number | null;
  vib_mean: number | null;
  vib_sd: number | null;
  temp_mean: number | null;
  temp_sd: number | null;
}

function frameStats(values: (number | null)[], end: number): [number | null, number | null] {
  const start = Math.max(0, end + ROLLING[0]);
  let n = 0;
  let mean = 0;
  let m2 = 0;
  for (let i = start; i <= end; i++) {
    const x = values[i];
    if (x === null || x === undefined) continue;
    n++;
    const delta = x - mean;
    mean += delta / n;
    m2 += delta * (x - mean);
  }
  let sum = 0;
  for (let i = start; i <= end; i++) if (values[i] !== null) sum += values[i]!;
  return [n === 0 ? null : sum / n, n < 2 ? null : Math.sqrt(Math.max(0, m2 / (n - 1)))];
}

async function windowRows(run: NaiveRun): Promise<WindowRow[]> {
  const rows = await query(
    run,
    'SELECT drill_id, seq, ts, vibration, temperature FROM drill_readings ORDER BY drill_id, seq',
  );
  const out: WindowRow[] = [];
  let start = 0;
  while (start < rows.length) {
    let end = start;
    while (end < rows.length && rows[end]!.drill_id === rows[start]!.drill_id) end++;
    const drill = rows.slice(start, end);
    const vib = drill.map((r) => r.vibration ?? null);
    const temp = drill.map((r) => r.temperature ?? null);
    drill.forEach((r, i) => {
      const [vm, vs] = frameStats(vib, i);
      const [tm, tsd] = frameStats(temp, i);
      out.push({
        drill_id: r.drill_id!,
        seq: r.seq!,
        ts: r.ts!,
        vib_lag: i >= LAG_WINDOW ? vib[i - LAG_WINDOW]! : null,
        vib_mean: vm,
        vib_sd: vs,
        temp_mean: tm,
        temp_sd: tsd,
      });
    });
    start = end;
  }
  return out;
}

async function w2(run: NaiveRun): Promise<PassAnswer> {
  const rows = await windowRows(run);
  const sum = (key: keyof WindowRow) => rows.reduce((s, r) => s + (r[key] ?? 0), 0);
  return {
    window: {
      n: rows.length,
      vib_lag: sum('vib_lag'),
      vib_mean: sum('vib_mean'),
      vib_sd: sum('vib_sd'),
      temp_mean: sum('temp_mean'),
      temp_sd: sum('temp_sd'),
    },
  };
}

async function standardized(run: NaiveRun, where = ''): Promise<Row[]> {
  const complete = FEATURES.map((f) => `${f} IS NOT NULL`).join(' AND ');
  const rows = await query(
    run,
    `SELECT drill_id, seq, ${FEATURES.join(', ')} FROM drill_readings WHERE ${complete}${where}`,
  );
  const stats = run.stats!;
  return rows.map((r) => {
    const z: Row = { drill_id: r.drill_id!, seq: r.seq! };
    FEATURES.forEach((f, i) => {
      z[Z_FEATURES[i]!] = (r[f]! - stats[f].mean) / stats[f].sd;
    });
    return z;
  });
}

function nearest(row: Row, centroids: Centroids): [number, number] {
  let best = 0;
  let bestD = Number.POSITIVE_INFINITY;
  centroids.forEach((c, k) => {
    let d = 0;
    Z_FEATURES.forEach((f, i) => {
      const diff = row[f]! - c[i]!;
      d += diff * diff;
    });
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  });
  return [best, bestD];
}

async function w3(run: NaiveRun, ctx: PassContext): Promise<PassAnswer> {
  const rows = await standardized(run);
  const keys = initialKeys(ctx.scale, ctx.k);
  const seqs = new Set(keys.map((key) => key.seq));
  let centroids = pickInitial(
    rows.filter((r) => seqs.has(r.seq!)),
    keys,
    Z_FEATURES,
  );
  for (let iteration = 0; iteration < ctx.iterations; iteration++) {
    const started = performance.now();
    const sums = centroids.map(() => Z_FEATURES.map(() => 0));
    const counts = centroids.map(() => 0);
    for (const row of rows) {
      const [k] = nearest(row, centroids);
      counts[k]!++;
      Z_FEATURES.forEach((f, i) => {
        sums[k]![i]! += row[f]!;
      });
    }
    centroids = centroids.map((c, k) => (counts[k]! > 0 ? sums[k]!.map((s) => s / counts[k]!) : c));
    ctx.onIteration(iteration + 1, (performance.now() - started) / 1000);
  }
  run.centroids = centroids;
  return { centroids };
}

async function w4(run: NaiveRun, ctx: PassContext): Promise<PassAnswer> {
  const rows = await windowRows(run);
  const failures = await query(run, 'SELECT drill_id, failed_at FROM drill_failures');
  const byDrill = new Map<number, number[]>();
  for (const f of failures) byDrill.set(f.drill_id!, [...(byDrill.get(f.drill_id!) ?? []), f.failed_at!]);
  const labels = rows.map((r) =>
    (byDrill.get(r.drill_id) ?? []).some((t) => t > r.ts && t <= r.ts + 86_400) ? 1 : 0,
  );
  const table = tableFromArrays({
    drill_id: Int32Array.from(rows.map((r) => r.drill_id)),
    seq: Int32Array.from(rows.map((r) => r.seq)),
    ts: Float64Array.from(rows.map((r) => r.ts)),
    vib_lag: rows.map((r) => r.vib_lag),
    vib_mean: rows.map((r) => r.vib_mean),
    vib_sd: rows.map((r) => r.vib_sd),
    temp_mean: rows.map((r) => r.temp_mean),
    temp_sd: rows.map((r) => r.temp_sd),
    label: Int32Array.from(labels),
  });
  await writeFile(path.join(ctx.outDir, 'training-naive.arrow'), tableToIPC(table, 'file'));
  return { rows: rows.length, positives: labels.reduce((a: number, b) => a + b, 0) };
}

async function w5(run: NaiveRun, ctx: PassContext): Promise<PassAnswer> {
  const lastDay = ctx.scale.readingsPerDrill - 1440;
  const rows = await standardized(run, ` AND seq >= ${Number(lastDay)}`);
  const scores = rows.map((r) => [r.drill_id!, r.seq!, Math.sqrt(nearest(r, run.centroids!)[1])] as const);
  for (let i = 0; i < scores.length; i += 2000) {
    await run.connection.query(
      'INSERT INTO drill_scores (drill_id, seq, score) VALUES ? ON DUPLICATE KEY UPDATE score = VALUES(score)',
      [scores.slice(i, i + 2000)],
    );
  }
  const best = new Map<number, number>();
  for (const [drill, , score] of scores) best.set(drill, Math.max(best.get(drill) ?? 0, score));
  const top = [...best.entries()]
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .slice(0, 5)
    .map(([drill]) => drill);
  return {
    rows: scores.length,
    total: scores.reduce((s, r) => s + r[2], 0),
    top,
  };
}

export const NAIVE_PASSES: Record<string, (run: NaiveRun, ctx: PassContext) => Promise<PassAnswer>> = {
  W1: w1,
  W2: w2,
  W3: w3,
  W4: w4,
  W5: w5,
};
