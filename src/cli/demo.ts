/**
 * `sluice demo`: the predictive-maintenance job end to end, at a small scale. It brings the stack
 * up, produces drill telemetry to Kafka, loads it with a pipeline into the Spider cluster exactly
 * once, computes per-drill features with pushdown, runs k-means on standardized readings cached
 * as Arrow, writes an anomaly score per reading of the last day back with an upsert, and prints
 * what each step did, ending with the most anomalous drills. (That the stack's parts answer is
 * `sluice stack status`'s job.)
 */
import type { StackConfig } from '../config/stack.ts';
import { col, fn, lit } from '../frame/column.ts';
import { connect } from '../frame/connect.ts';
import type { LazyFrame } from '../frame/lazy-frame.ts';
import { drillScale } from '../ml/drills.ts';
import { assign, kmeans } from '../ml/kmeans.ts';
import { connectionUrl, createScoresTable, loadTelemetry } from '../ml/load-telemetry.ts';
import { closeReaderPool } from '../reader/parallel.ts';
import type { Progress } from '../stack/progress.ts';
import { stackUp } from '../stack/stack.ts';
import { stackTable } from './format.ts';

export const DEMO_SCALE = 0.05;
const FEATURES = ['rpm', 'torque', 'vibration', 'temperature'] as const;
const K = 8;
const ITERATIONS = 10;

const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(2)} s`;

/** The pushed statements and local steps of a frame, in two lines for a person. */
function where(frame: LazyFrame): string {
  const text = frame.explain();
  const pushed = [...text.matchAll(/^q\d+ on \S+ \([^)]*\):\n {2}(.*)$/gm)].map((m) => m[1]!);
  const local = text.split('== Local steps ==\n')[1]?.split('\n')[0] ?? '';
  const cached = /== Local data ==\n(\S+): cached frame/.exec(text)?.[1];
  return [
    pushed.length > 0
      ? `pushed: ${pushed.map((sql) => (sql.length > 150 ? `${sql.slice(0, 147)}...` : sql)).join(' | ')}`
      : 'pushed: nothing',
    cached ? `local: on the cached Arrow columns (${cached})` : `local: ${local}`,
  ]
    .map((line) => `    ${line}`)
    .join('\n');
}

export async function runDemo(
  config: StackConfig,
  progress: Progress,
  options: { scale?: number; seed?: number } = {},
): Promise<number> {
  const scaleFactor = options.scale ?? DEMO_SCALE;
  const seed = options.seed ?? 1;
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const report = await stackUp({ ...config, topology: 'all' }, progress);
  out(`${stackTable(report)}\n`);
  const { cluster, kafka } = report.endpoints;
  if (!cluster || !kafka) {
    out('the demo needs the Spider cluster and the Kafka broker (topology all)');
    return 1;
  }
  const scale = drillScale(scaleFactor);
  out(
    `1. telemetry: ${scale.drills} drills × ${scale.readingsPerDrill} readings (one a minute), produced to Kafka and loaded by a pipeline into the Spider cluster, sharded by drill id`,
  );
  let started = performance.now();
  const load = await loadTelemetry(
    { cluster, brokers: kafka.brokers },
    { seed, scale: scaleFactor, force: true, progress: (line) => progress(line) },
  );
  out(
    `    ${load.readings} readings in ${seconds(started)} (produce ${load.produceSeconds.toFixed(1)} s, pipeline ${load.pipelineSeconds.toFixed(1)} s), exactly once: count and key checksum verified; ${load.failures} failure events`,
  );

  const db = await connect(connectionUrl(cluster.head));
  try {
    const readings = db.table('drill_readings');
    out('\n2. per-drill features, pushed down (the database reduces the readings to one row per drill)');
    started = performance.now();
    const perDrill = readings
      .groupBy('drill_id')
      .agg(
        fn.count().as('readings'),
        fn.avg('vibration').as('vibration_mean'),
        fn.stddev('vibration').as('vibration_sd'),
        fn.max('temperature').as('temperature_max'),
        fn.avg(fn.when(col('vibration').gt(lit(2)), 1).otherwise(0)).as('vibration_over_2'),
      );
    const features = await perDrill.toArrow();
    const fleet = (
      await readings
        .agg(...FEATURES.flatMap((s) => [fn.avg(s).as(`${s}_mean`), fn.stddev(s).as(`${s}_sd`)]))
        .collect()
    )[0]!;
    out(`    ${features.numRows} drills in ${seconds(started)}\n${where(perDrill)}`);

    out(`\n3. k-means (k = ${K}, ${ITERATIONS} iterations) on standardized readings cached as Arrow`);
    started = performance.now();
    let complete = col(FEATURES[0]).isNotNull();
    for (const s of FEATURES.slice(1)) complete = complete.and(col(s).isNotNull());
    const z = readings
      .filter(complete)
      .select(
        'drill_id',
        'seq',
        ...FEATURES.map((s) =>
          col(s)
            .minus(lit(Number(fleet[`${s}_mean`])))
            .div(lit(Number(fleet[`${s}_sd`])))
            .as(`z_${s}`),
        ),
      )
      .cache();
    const zf = FEATURES.map((s) => `z_${s}`);
    const seedRows = await z
      .filter(col('seq').isIn(Array.from({ length: K }, (_, k) => 97 + k * 211)))
      .collect();
    const initial = Array.from({ length: K }, (_, k) => {
      const row = seedRows[(k * 7) % seedRows.length]!;
      return zf.map((f) => Number(row[f]));
    });
    const centroids = await kmeans(z, zf, initial, ITERATIONS, (i) =>
      progress(`k-means iteration ${i}/${ITERATIONS}`),
    );
    out(
      `    ${ITERATIONS} iterations in ${seconds(started)}; the first read the readings once, the rest ran locally`,
    );
    out(where(assign(z, zf, centroids).groupBy('cluster').count()));
    for (const [k, c] of centroids.entries()) {
      out(
        `    centroid ${k}: ${FEATURES.map((s, i) => `${s} ${c[i]! >= 0 ? '+' : ''}${c[i]!.toFixed(2)}σ`).join(', ')}`,
      );
    }

    out(
      '\n4. anomaly scores (distance to the nearest centroid) for the last day, upserted into drill_scores',
    );
    started = performance.now();
    await createScoresTable({ cluster, brokers: kafka.brokers });
    const lastDay = Math.max(0, scale.readingsPerDrill - 1440);
    const scores = assign(z.filter(col('seq').ge(lit(lastDay))), zf, centroids)
      .select('drill_id', 'seq', fn.sqrt(col('d2')).as('score'))
      .cache();
    await scores.writeTo('drill_scores', { mode: 'upsert' });
    const written = await db.table('drill_scores').count();
    out(`    ${written} scores written in ${seconds(started)} (upsert: running it again replaces them)`);

    out('\n5. the most anomalous drills (from drill_scores, pushed down)');
    const top = await db
      .table('drill_scores')
      .groupBy('drill_id')
      .agg(fn.max('score').as('max_score'), fn.avg('score').as('mean_score'))
      .join(db.table('drills'), 'drill_id')
      .orderBy(col('max_score').desc(), col('drill_id'))
      .limit(5)
      .collect();
    const failing = new Set(
      (await db.table('drill_failures').select('drill_id').collect()).map((row) => Number(row.drill_id)),
    );
    for (const row of top) {
      out(
        `    drill ${String(row.drill_id).padStart(3)} (${row.site}, ${row.model}): max score ${Number(row.max_score).toFixed(2)}, mean ${Number(row.mean_score).toFixed(2)}${failing.has(Number(row.drill_id)) ? '  ← has a recorded failure' : ''}`,
      );
    }
    out('\ndone. Stop the stack with: node bin/sluice.mjs stack down');
    return 0;
  } finally {
    await db.close();
    await closeReaderPool();
  }
}
