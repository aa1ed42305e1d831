/**
 * Seeded oil-drill telemetry for the ML benchmark and the demo: drills, one reading per drill per
 * minute (rpm, torque, vibration, temperature, pressure, weight on bit), and failure events.
 * Readings carry sensor outages (runs of NULL in one sensor) and, in the day before a failure,
 * a drift of vibration and temperature upwards, so features and k-means have something to find.
 *
 * Every value is a function of (seed, drill, minute): any reading can be regenerated on its own
 * (the producer streams them without holding the table; tests and checksums recompute them).
 * Sensor values have two decimals, so the JSON a producer sends, the DOUBLE the database stores
 * and the Arrow double read back are the same number.
 *
 * Scale: SF 1 ≈ 1M readings (100 drills × 10,000 minutes, about a week); drills grow with the
 * scale (at least 4) and so do the minutes per drill.
 */
import { deriveSeed, Random } from './random.ts';

export const READING_SECONDS = 60;
/** 2026-01-01T00:00:00Z: the first reading of every drill. */
export const START_EPOCH = 1_767_225_600;
export const SENSORS = ['rpm', 'torque', 'vibration', 'temperature', 'pressure', 'wob'] as const;
export type Sensor = (typeof SENSORS)[number];

const SITES = ['permian', 'bakken', 'eagle-ford', 'marcellus', 'north-sea', 'campos'] as const;
const MODELS = ['HX-200', 'HX-300', 'TR-9', 'TR-12'] as const;
const FAILURE_KINDS = ['bearing', 'motor', 'seal', 'bit'] as const;
/** Readings before a failure during which the drill drifts (one day). */
export const DRIFT_READINGS = 1440;

export interface DrillScale {
  readonly drills: number;
  readonly readingsPerDrill: number;
}

export function drillScale(scale: number): DrillScale {
  if (!(scale > 0)) throw new RangeError(`scale must be positive, got ${scale}`);
  const drills = Math.max(4, Math.round(100 * Math.sqrt(scale)));
  const readingsPerDrill = Math.max(60, Math.round((1_000_000 * scale) / drills));
  return { drills, readingsPerDrill };
}

export interface Drill {
  readonly drill_id: number;
  readonly site: string;
  readonly model: string;
  /** 'YYYY-MM-DD' */
  readonly installed: string;
}

export interface Reading {
  readonly drill_id: number;
  /** Minute number from the drill's first reading. */
  readonly seq: number;
  /** Epoch seconds. */
  readonly ts: number;
  /** The drill's shift day (minute / 1440): the unit of daily features. */
  readonly day: number;
  readonly rpm: number | null;
  readonly torque: number | null;
  readonly vibration: number | null;
  readonly temperature: number | null;
  readonly pressure: number | null;
  readonly wob: number | null;
}

export interface Failure {
  readonly drill_id: number;
  /** Epoch seconds. */
  readonly failed_at: number;
  readonly kind: string;
}

const round2 = (value: number) => Math.round(value * 100) / 100;

export function drillAt(seed: number, drillId: number): Drill {
  const random = new Random(deriveSeed(seed, 1, drillId));
  const days = random.int(0, 5 * 365);
  const installed = new Date((START_EPOCH - (days + 30) * 86_400) * 1000).toISOString().slice(0, 10);
  return { drill_id: drillId, site: random.pick(SITES), model: random.pick(MODELS), installed };
}

/** The drill's failures as reading numbers (0, 1 or 2 of them, at least a day in). */
export function failureSeqs(seed: number, drillId: number, scale: DrillScale): number[] {
  const random = new Random(deriveSeed(seed, 2, drillId));
  const roll = random.next();
  const count = roll < 0.55 ? 0 : roll < 0.9 ? 1 : 2;
  const span = scale.readingsPerDrill;
  const seqs: number[] = [];
  for (let i = 0; i < count; i++) {
    const lo = Math.min(span - 1, DRIFT_READINGS + Math.floor((i * span) / count));
    const hi = Math.max(lo, Math.floor(((i + 1) * span) / count) - 1);
    seqs.push(random.int(lo, hi));
  }
  return [...new Set(seqs)].sort((a, b) => a - b);
}

export function failuresOf(seed: number, drillId: number, scale: DrillScale): Failure[] {
  const random = new Random(deriveSeed(seed, 3, drillId));
  return failureSeqs(seed, drillId, scale).map((seq) => ({
    drill_id: drillId,
    failed_at: START_EPOCH + seq * READING_SECONDS,
    kind: random.pick(FAILURE_KINDS),
  }));
}

/** Per drill: its normal operating point, noise, and where its sensor outages are. */
interface DrillProfile {
  readonly base: Record<Sensor, number>;
  readonly noise: Record<Sensor, number>;
  readonly failures: readonly number[];
  /** Outages: [sensor index, first reading, length]. */
  readonly gaps: readonly (readonly [number, number, number])[];
}

const profiles = new Map<string, DrillProfile>();

function profileOf(seed: number, drillId: number, scale: DrillScale): DrillProfile {
  const key = `${seed}/${drillId}/${scale.drills}/${scale.readingsPerDrill}`;
  let profile = profiles.get(key);
  if (profile) return profile;
  const random = new Random(deriveSeed(seed, 4, drillId));
  const base = {
    rpm: 90 + random.next() * 60,
    torque: 8 + random.next() * 6,
    vibration: 0.8 + random.next() * 0.6,
    temperature: 60 + random.next() * 25,
    pressure: 180 + random.next() * 60,
    wob: 15 + random.next() * 15,
  };
  const noise = {
    rpm: 3,
    torque: 0.4,
    vibration: 0.08,
    temperature: 1.2,
    pressure: 4,
    wob: 0.8,
  };
  const gaps: [number, number, number][] = [];
  const gapCount = random.int(0, 3);
  for (let i = 0; i < gapCount; i++) {
    gaps.push([
      random.int(0, SENSORS.length - 1),
      random.int(0, scale.readingsPerDrill - 1),
      random.int(5, 90),
    ]);
  }
  profile = { base, noise, failures: failureSeqs(seed, drillId, scale), gaps };
  if (profiles.size > 10_000) profiles.clear();
  profiles.set(key, profile);
  return profile;
}

/** How far into the drift before the next failure this reading is: 0 (none) to 1 (failing). */
function driftAt(profile: DrillProfile, seq: number): number {
  for (const failure of profile.failures) {
    if (seq <= failure && seq > failure - DRIFT_READINGS) return 1 - (failure - seq) / DRIFT_READINGS;
  }
  return 0;
}

export function readingAt(seed: number, drillId: number, seq: number, scale: DrillScale): Reading {
  const profile = profileOf(seed, drillId, scale);
  const random = new Random(deriveSeed(seed, 5, drillId, seq));
  const drift = driftAt(profile, seq);
  // A daily cycle in load, and an approximately normal noise (sum of three uniforms).
  const cycle = Math.sin((2 * Math.PI * (seq % 1440)) / 1440);
  const values = SENSORS.map((sensor) => {
    const gaussian = random.next() + random.next() + random.next() - 1.5;
    let value = profile.base[sensor] + 2 * profile.noise[sensor] * gaussian;
    if (sensor === 'rpm' || sensor === 'torque' || sensor === 'wob') value *= 1 + 0.04 * cycle;
    if (sensor === 'vibration') value *= 1 + 2.5 * drift * drift;
    if (sensor === 'temperature') value += 25 * drift;
    if (sensor === 'torque') value *= 1 + 0.3 * drift;
    return round2(value);
  }) as (number | null)[];
  for (const [sensor, first, length] of profile.gaps) {
    if (seq >= first && seq < first + length) values[sensor] = null;
  }
  return {
    drill_id: drillId,
    seq,
    ts: START_EPOCH + seq * READING_SECONDS,
    day: Math.floor(seq / 1440),
    rpm: values[0]!,
    torque: values[1]!,
    vibration: values[2]!,
    temperature: values[3]!,
    pressure: values[4]!,
    wob: values[5]!,
  };
}

/** Every reading in (minute, drill) order: the order a fleet would send them. */
export function* readings(seed: number, scale: DrillScale): Generator<Reading> {
  for (let seq = 0; seq < scale.readingsPerDrill; seq++) {
    for (let drill = 1; drill <= scale.drills; drill++) yield readingAt(seed, drill, seq, scale);
  }
}

export function drills(seed: number, scale: DrillScale): Drill[] {
  return Array.from({ length: scale.drills }, (_, i) => drillAt(seed, i + 1));
}

export function failures(seed: number, scale: DrillScale): Failure[] {
  return Array.from({ length: scale.drills }, (_, i) => failuresOf(seed, i + 1, scale)).flat();
}

/** Tables (MariaDB DDL column lists) and the JSON path of each reading column. */
export const DRILL_COLUMNS = [
  { name: 'drill_id', type: 'INT NOT NULL' },
  { name: 'site', type: 'VARCHAR(16) NOT NULL' },
  { name: 'model', type: 'VARCHAR(16) NOT NULL' },
  { name: 'installed', type: 'DATE NOT NULL' },
] as const;

export const READING_COLUMNS = [
  { name: 'drill_id', type: 'INT NOT NULL', path: '$.drill' },
  { name: 'seq', type: 'INT NOT NULL', path: '$.seq' },
  { name: 'ts', type: 'BIGINT NOT NULL', path: '$.ts' },
  { name: 'day', type: 'INT NOT NULL', path: '$.day' },
  ...SENSORS.map((sensor) => ({ name: sensor, type: 'DOUBLE NULL', path: `$.s.${sensor}` })),
] as const;

export const FAILURE_COLUMNS = [
  { name: 'drill_id', type: 'INT NOT NULL' },
  { name: 'failed_at', type: 'BIGINT NOT NULL' },
  { name: 'kind', type: 'VARCHAR(16) NOT NULL' },
] as const;

/** The JSON a drill sends for one reading (nested sensors; NULL gaps as JSON null). */
export function readingJson(reading: Reading): string {
  return JSON.stringify({
    drill: reading.drill_id,
    seq: reading.seq,
    ts: reading.ts,
    day: reading.day,
    s: {
      rpm: reading.rpm,
      torque: reading.torque,
      vibration: reading.vibration,
      temperature: reading.temperature,
      pressure: reading.pressure,
      wob: reading.wob,
    },
  });
}

/** Count and key checksum of the readings, to compare with the loaded table. */
export function readingsChecksum(scale: DrillScale): { count: number; keySum: number } {
  const n = scale.drills;
  const m = scale.readingsPerDrill;
  // Σ over drills and minutes of (drill_id * 1e6 + seq).
  const keySum = m * ((n * (n + 1)) / 2) * 1_000_000 + n * ((m * (m - 1)) / 2);
  return { count: n * m, keySum };
}

export const READINGS_CHECKSUM_SQL = (table: string) =>
  `SELECT COUNT(*) AS n, COALESCE(SUM(drill_id * 1000000 + seq), 0) AS key_sum FROM \`${table}\``;
