/** What the ML benchmark's passes share: features, the pass contract, answers and their comparison. */
import { type Table, Type } from 'apache-arrow';
import { decimalToString } from '../../src/index.ts';
import type { DrillScale } from '../../src/ml/drills.ts';
import type { Centroids } from '../../src/ml/kmeans.ts';

/** d = 4: the sensors k-means clusters on. */
export const FEATURES = ['rpm', 'torque', 'vibration', 'temperature'] as const;
export type Feature = (typeof FEATURES)[number];
export const Z_FEATURES = FEATURES.map((f) => `z_${f}`);
export const LAG_WINDOW = 1;
/** Rolling frames of 30 readings (half an hour): 29 before and the current one. */
export const ROLLING: readonly [number, number] = [-29, 0];

export type FeatureStats = Record<Feature, { mean: number; sd: number }>;
export type PassAnswer = Record<string, unknown>;

export interface PassContext {
  readonly scale: DrillScale;
  readonly k: number;
  readonly iterations: number;
  readonly outDir: string;
  /** Called after each k-means iteration with its wall time. */
  readonly onIteration: (iteration: number, seconds: number) => void;
  /** Called by a mode that reads the readings (the k-means features among them) once, with that read's wall time. */
  readonly onFeatureRead?: (seconds: number) => void;
}

/** The rows whose features seed the centroids: spread over drills and minutes, the same in every mode. */
export function initialKeys(scale: DrillScale, k: number): { drill: number; seq: number }[] {
  return Array.from({ length: k }, (_, i) => ({
    drill: 1 + ((i * 7919) % scale.drills),
    seq: (123 + i * 1013) % scale.readingsPerDrill,
  }));
}

/**
 * Initial centroids from candidate rows (every drill at the chosen minutes): row (drill, seq)
 * when it has all features, else the first complete row after it in (drill, seq) order.
 */
export function pickInitial(
  rows: readonly Record<string, unknown>[],
  keys: readonly { drill: number; seq: number }[],
  features: readonly string[],
): Centroids {
  const sorted = [...rows].sort(
    (a, b) => Number(a.drill_id) - Number(b.drill_id) || Number(a.seq) - Number(b.seq),
  );
  return keys.map(({ drill, seq }) => {
    const at =
      sorted.find((r) => Number(r.drill_id) === drill && Number(r.seq) === seq) ??
      sorted.find(
        (r) => Number(r.drill_id) > drill || (Number(r.drill_id) === drill && Number(r.seq) > seq),
      ) ??
      sorted[0]!;
    return features.map((f) => Number(at[f]));
  });
}

/** Rows and the sum of every numeric column: the same in any row order, to float tolerance. */
export function tableChecksum(table: Table, keys: readonly string[] = []): Record<string, number> {
  const out: Record<string, number> = { rows: table.numRows };
  for (const field of table.schema.fields) {
    if (keys.includes(field.name)) continue;
    const vector = table.getChild(field.name)!;
    const scale =
      field.type.typeId === Type.Decimal ? (field.type as unknown as { scale: number }).scale : undefined;
    let sum = 0;
    let numeric = true;
    for (let i = 0; i < vector.length && numeric; i++) {
      const value = vector.get(i) as unknown;
      if (value === null || value === undefined) continue;
      const number =
        scale !== undefined
          ? Number(decimalToString(value as Uint32Array, scale))
          : typeof value === 'object'
            ? Number(String(value))
            : Number(value);
      if (Number.isNaN(number)) numeric = false;
      else sum += number;
    }
    if (numeric) out[field.name] = sum;
  }
  return out;
}

/**
 * The first difference between two answers, or undefined when they agree: integers and strings
 * exactly, other numbers within `tolerance` relative (1e-9: DOUBLE sums in another order).
 */
export function answerDifference(a: unknown, b: unknown, where = '', tolerance = 1e-9): string | undefined {
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isInteger(a) && Number.isInteger(b) && Math.abs(a) < 2 ** 31 && Math.abs(b) < 2 ** 31) {
      return a === b ? undefined : `${where}: ${a} ≠ ${b}`;
    }
    const scale = Math.max(1, Math.abs(a), Math.abs(b));
    return Math.abs(a - b) <= tolerance * scale ? undefined : `${where}: ${a} ≠ ${b}`;
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const key of keys) {
      const diff = answerDifference(
        (a as Record<string, unknown>)[key],
        (b as Record<string, unknown>)[key],
        `${where}.${key}`,
        tolerance,
      );
      if (diff) return diff;
    }
    return undefined;
  }
  const norm = (v: unknown) => (typeof v === 'bigint' ? Number(v) : v);
  return norm(a) === norm(b) ? undefined : `${where}: ${String(a)} ≠ ${String(b)}`;
}
