/**
 * Lloyd's k-means as DataFrame programs: one iteration is a frame (distances to each centroid,
 * the nearest one by LEAST and CASE, then a GROUP BY of the sums) that runs wherever the frame's
 * plan runs: pushed into the database, or locally on a cached frame with the vectorized kernels.
 * Centroids travel as literals, so in SQL they are parameters.
 */
import { type Column, col, fn, lit } from '../frame/column.ts';
import type { LazyFrame } from '../frame/lazy-frame.ts';

export type Centroids = number[][];

/** Σ (x_i − c_i)² for one centroid. */
export function squaredDistance(features: readonly string[], centroid: readonly number[]): Column {
  let sum: Column | undefined;
  for (let i = 0; i < features.length; i++) {
    const diff = col(features[i]!).minus(lit(centroid[i]!));
    const square = diff.times(diff);
    sum = sum ? sum.plus(square) : square;
  }
  return sum!;
}

/** The frame with `cluster` (index of the nearest centroid; the first on ties) and `d2` (its squared distance). */
export function assign(frame: LazyFrame, features: readonly string[], centroids: Centroids): LazyFrame {
  let withDistances = frame;
  centroids.forEach((centroid, k) => {
    withDistances = withDistances.withColumn(`__d${k}`, squaredDistance(features, centroid));
  });
  const names = centroids.map((_, k) => `__d${k}`);
  const nearest = centroids.length === 1 ? col(names[0]!) : fn.least(...names);
  const withNearest = withDistances.withColumn('d2', nearest);
  let cluster = fn.when(col(names[0]!).eq(col('d2')), 0);
  for (let k = 1; k < names.length; k++) cluster = cluster.when(col(names[k]!).eq(col('d2')), k);
  return withNearest.withColumn('cluster', cluster).drop(...names);
}

/** One Lloyd step as a frame: per cluster, the count and the sum of each feature. */
export function lloydStep(frame: LazyFrame, features: readonly string[], centroids: Centroids): LazyFrame {
  return assign(frame, features, centroids)
    .groupBy('cluster')
    .agg(fn.count().as('n'), ...features.map((f) => fn.sum(f).as(`s_${f}`)));
}

/** New centroids from a step's rows; a cluster that lost every point keeps its centroid. */
export function nextCentroids(
  rows: readonly Record<string, unknown>[],
  features: readonly string[],
  previous: Centroids,
): Centroids {
  const next = previous.map((c) => [...c]);
  for (const row of rows) {
    const k = Number(row.cluster);
    const n = Number(row.n);
    if (n > 0) next[k] = features.map((f) => Number(row[`s_${f}`]) / n);
  }
  return next;
}

/** Runs `iterations` Lloyd steps; `onIteration` sees each step's centroids. */
export async function kmeans(
  frame: LazyFrame,
  features: readonly string[],
  initial: Centroids,
  iterations: number,
  onIteration?: (iteration: number, centroids: Centroids) => void,
): Promise<Centroids> {
  let centroids = initial;
  for (let i = 0; i < iterations; i++) {
    centroids = nextCentroids(await lloydStep(frame, features, centroids).collect(), features, centroids);
    onIteration?.(i + 1, centroids);
  }
  return centroids;
}
