/**
 * Passes W1-W5 as DataFrame programs through sluice's public API. The three sluice modes run the
 * same programs and differ only in where the work runs:
 *
 *  - `sluice`: push the reductions down once (aggregates, filters and column choice), compute
 *    the windows where the planner estimates them cheaper (here: locally, MariaDB's window
 *    functions cost more per row than reading their input), `cache()` what later passes reuse
 *    (window features, the k-means inputs), and run the iterations locally on the cached Arrow
 *    columns with the vectorized kernels;
 *  - `sluice-pushdown-each-pass`: `pushdown: 'always'`, no cache; every pass, every k-means
 *    iteration, is one pushed query;
 *  - `sluice-no-pushdown`: `pushdown: false`; every pass reads the rows and computes locally.
 *
 * Each pass returns its answer (checksums, centroids, label counts) for the cross-mode check.
 */
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { RecordBatchFileWriter, type Vector } from 'apache-arrow';
import { col, connect, type Database, fn, type LazyFrame, lit } from '../../src/index.ts';
import type { DrillScale } from '../../src/ml/drills.ts';
import { assign, type Centroids, lloydStep, nextCentroids } from '../../src/ml/kmeans.ts';
import {
  FEATURES,
  type FeatureStats,
  initialKeys,
  LAG_WINDOW,
  type PassAnswer,
  type PassContext,
  pickInitial,
  ROLLING,
  tableChecksum,
  Z_FEATURES,
} from './shared.ts';

export type FrameMode = 'sluice' | 'sluice-pushdown-each-pass' | 'sluice-no-pushdown';

interface State {
  readings?: LazyFrame;
  stats?: FeatureStats;
  windowed?: LazyFrame;
  standardized?: LazyFrame;
  centroids?: Centroids;
}

export interface FrameRun {
  readonly db: Database;
  readonly mode: FrameMode;
  readonly state: State;
  /** Each pass's explain, taken after it ran (caches then say how they were computed, and in how long). */
  readonly explains: Record<string, string>;
}

export async function openFrameRun(url: string, mode: FrameMode): Promise<FrameRun> {
  const pushdown =
    mode === 'sluice-no-pushdown' ? false : mode === 'sluice-pushdown-each-pass' ? 'always' : true;
  const db = await connect({ url, pushdown });
  return { db, mode, state: {}, explains: {} };
}

const cached = (run: FrameRun, frame: LazyFrame) => (run.mode === 'sluice' ? frame.cache() : frame);

/**
 * The readings every pass starts from. In the `sluice` mode the columns the passes use are read
 * once and cached (the first pass pays for the read, as a Spark or Polars user's program would);
 * the other modes start every pass from the table.
 */
function readingsOf(run: FrameRun): LazyFrame {
  const table = run.db.table('drill_readings');
  if (run.mode !== 'sluice') return table;
  run.state.readings ??= table.select('drill_id', 'seq', 'ts', 'day', ...FEATURES).cache();
  return run.state.readings;
}

function statsProgram(readings: LazyFrame, keys: string[]): LazyFrame {
  return readings
    .groupBy(...keys)
    .agg(
      fn.count().as('n'),
      ...FEATURES.flatMap((s) => [
        fn.avg(s).as(`${s}_mean`),
        fn.stddev(s).as(`${s}_sd`),
        fn.min(s).as(`${s}_min`),
        fn.max(s).as(`${s}_max`),
      ]),
      fn.avg(fn.when(col('vibration').gt(lit(2)), 1).otherwise(0)).as('vib_over'),
      fn.avg(fn.when(col('temperature').gt(lit(90)), 1).otherwise(0)).as('temp_over'),
    );
}

/** W1: per-drill and per-drill-day statistics, and the fleet's means and deviations (for W3). */
async function w1(run: FrameRun, ctx: PassContext): Promise<PassAnswer> {
  const readings = readingsOf(run);
  if (run.mode === 'sluice') {
    // The first action reads and caches the readings (every later pass's input), timed alone.
    const read = performance.now();
    await readings.agg(fn.count().as('n')).collect();
    ctx.onFeatureRead?.((performance.now() - read) / 1000);
  }
  const perDrill = statsProgram(readings, ['drill_id']);
  const perDay = statsProgram(readings, ['drill_id', 'day']);
  const fleet = readings.agg(
    ...FEATURES.flatMap((s) => [fn.avg(s).as(`${s}_mean`), fn.stddev(s).as(`${s}_sd`)]),
  );
  const [a, b, [g]] = await Promise.all([perDrill.toArrow(), perDay.toArrow(), fleet.collect()]);
  run.explains.W1 = perDrill.explain();
  run.state.stats = Object.fromEntries(
    FEATURES.map((s) => [s, { mean: Number(g![`${s}_mean`]), sd: Number(g![`${s}_sd`]) }]),
  ) as FeatureStats;
  return { perDrill: tableChecksum(a, ['drill_id']), perDay: tableChecksum(b, ['drill_id', 'day']) };
}

function windowProgram(readings: LazyFrame): LazyFrame {
  // One select: every window in one step (one window pass in SQL, one local window step).
  const rolling = { partitionBy: 'drill_id', orderBy: 'seq', rows: ROLLING };
  return readings.select(
    'drill_id',
    'seq',
    'ts',
    'vibration',
    'temperature',
    fn.lag('vibration', LAG_WINDOW).over({ partitionBy: 'drill_id', orderBy: 'seq' }).as('vib_lag'),
    fn.avg('vibration').over(rolling).as('vib_mean'),
    fn.stddev('vibration').over(rolling).as('vib_sd'),
    fn.avg('temperature').over(rolling).as('temp_mean'),
    fn.stddev('temperature').over(rolling).as('temp_sd'),
  );
}

const windowChecksum = (frame: LazyFrame) =>
  frame.agg(
    fn.count().as('n'),
    ...['vib_lag', 'vib_mean', 'vib_sd', 'temp_mean', 'temp_sd'].map((c) => fn.sum(c).as(c)),
  );

/** W2: lag and rolling means / deviations over ROWS frames per drill. */
async function w2(run: FrameRun): Promise<PassAnswer> {
  const windowed = cached(run, windowProgram(readingsOf(run)));
  run.state.windowed = windowed;
  const check = windowChecksum(windowed);
  const [row] = await check.collect();
  run.explains.W2 = check.explain();
  return { window: row };
}

function standardizedProgram(run: FrameRun, stats: FeatureStats): LazyFrame {
  let notNull = col(FEATURES[0]).isNotNull();
  for (const s of FEATURES.slice(1)) notNull = notNull.and(col(s).isNotNull());
  return cached(
    run,
    readingsOf(run)
      .filter(notNull)
      .select(
        'drill_id',
        'seq',
        ...FEATURES.map((s, i) => col(s).minus(lit(stats[s].mean)).div(lit(stats[s].sd)).as(Z_FEATURES[i]!)),
      ),
  );
}

/** W3: k-means (Lloyd) on the standardized features, each iteration's centroids feeding the next. */
async function w3(run: FrameRun, ctx: PassContext): Promise<PassAnswer> {
  const z = standardizedProgram(run, run.state.stats!);
  run.state.standardized = z;
  const keys = initialKeys(ctx.scale, ctx.k);
  // In the sluice mode the first action standardizes and caches the features (the iterations' input).
  const candidates = await z.filter(col('seq').isIn([...new Set(keys.map((key) => key.seq))])).collect();
  let centroids = pickInitial(candidates, keys, Z_FEATURES);
  const first = lloydStep(z, Z_FEATURES, centroids);
  for (let i = 0; i < ctx.iterations; i++) {
    const started = performance.now();
    const rows = await lloydStep(z, Z_FEATURES, centroids).collect();
    centroids = nextCentroids(rows, Z_FEATURES, centroids);
    ctx.onIteration(i + 1, (performance.now() - started) / 1000);
  }
  run.state.centroids = centroids;
  run.explains.W3 = first.explain();
  return { centroids };
}

/**
 * The sum of a 0/1 label column from its buffers (Polars' `training["label"].sum()`): a BIGINT
 * label as 32-bit words, not one `get` and bigint per row (45 ms per million rows).
 */
function labelSum(labels: Vector): number {
  let total = 0;
  for (const data of labels.data) {
    const values = data.values as BigInt64Array | Int32Array;
    const valid = data.nullCount > 0 ? data.nullBitmap : undefined;
    const words = values instanceof BigInt64Array;
    const view = words ? new Int32Array(values.buffer, values.byteOffset, data.length * 2) : values;
    for (let i = 0; i < data.length; i++) {
      const bit = data.offset + i;
      if (valid !== undefined && (valid[bit >> 3]! & (1 << (bit & 7))) === 0) continue;
      total += words ? view[2 * i + 1]! * 4294967296 + (view[2 * i]! >>> 0) : view[i]!;
    }
  }
  return total;
}

/** W4: "fails within the next 24 h" joined onto the W2 features, extracted to an Arrow IPC file. */
async function w4(run: FrameRun, ctx: PassContext): Promise<PassAnswer> {
  const features = run.state.windowed ?? windowProgram(readingsOf(run));
  const failures = run.db
    .table('drill_failures')
    .groupBy('drill_id')
    .agg(fn.min('failed_at').as('f1'), fn.max('failed_at').as('f2'));
  const within = (f: string) =>
    col(f)
      .gt(col('ts'))
      .and(col(f).le(col('ts').plus(lit(86_400))));
  const training = features
    .join(failures, 'drill_id', 'left')
    .withColumn('label', fn.when(within('f1').or(within('f2')), 1).otherwise(0))
    .drop('f1', 'f2');
  const table = await training.toArrow();
  run.explains.W4 = training.explain();
  const file = path.join(ctx.outDir, `training-${run.mode}.arrow`);
  // The IPC file written as the writer produces it (no second copy of the whole file in memory).
  await pipeline(RecordBatchFileWriter.writeAll(table).toNodeStream(), createWriteStream(file));
  return { rows: table.numRows, positives: labelSum(table.getChild('label')!) };
}

/** W5: distance to the nearest centroid per reading of the last day, upserted into `scores`. */
async function w5(run: FrameRun, ctx: PassContext): Promise<PassAnswer> {
  const z = run.state.standardized ?? standardizedProgram(run, run.state.stats!);
  const lastDay = ctx.scale.readingsPerDrill - 1440;
  const scored = cached(
    run,
    assign(z.filter(col('seq').ge(lit(lastDay))), Z_FEATURES, run.state.centroids!).select(
      'drill_id',
      'seq',
      fn.sqrt(col('d2')).as('score'),
    ),
  );
  await scored.writeTo('drill_scores', { mode: 'upsert' });
  run.explains.W5 = scored.explain();
  const [sum] = await scored.agg(fn.count().as('n'), fn.sum('score').as('total')).collect();
  const top = await scored
    .groupBy('drill_id')
    .agg(fn.max('score').as('max_score'))
    .orderBy(col('max_score').desc(), col('drill_id'))
    .limit(5)
    .collect();
  return {
    rows: Number(sum!.n),
    total: Number(sum!.total),
    top: top.map((r) => Number(r.drill_id)),
  };
}

export const FRAME_PASSES: Record<string, (run: FrameRun, ctx: PassContext) => Promise<PassAnswer>> = {
  W1: w1,
  W2: w2,
  W3: w3,
  W4: w4,
  W5: w5,
};

export type { DrillScale };
