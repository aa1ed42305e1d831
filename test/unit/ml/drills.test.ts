import { describe, expect, it } from 'vitest';
import {
  DRIFT_READINGS,
  drillScale,
  drills,
  failures,
  readingAt,
  readingJson,
  readings,
  readingsChecksum,
  SENSORS,
} from '../../../src/ml/drills.ts';

describe('drill telemetry generator', () => {
  const scale = drillScale(0.01);

  it('SF 1 is about a million readings; small scales keep at least 4 drills', () => {
    const one = drillScale(1);
    expect(one.drills * one.readingsPerDrill).toBe(1_000_000);
    expect(drillScale(10).drills * drillScale(10).readingsPerDrill).toBeGreaterThan(9_900_000);
    expect(scale.drills).toBeGreaterThanOrEqual(4);
  });

  it('is deterministic for a seed and differs between seeds', () => {
    const a = [...readings(7, scale)].slice(0, 500);
    const b = [...readings(7, scale)].slice(0, 500);
    const c = [...readings(8, scale)].slice(0, 500);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(drills(7, scale)).toEqual(drills(7, scale));
    expect(failures(7, scale)).toEqual(failures(7, scale));
    // Any reading regenerates on its own, without the ones before it.
    expect(readingAt(7, a[123]!.drill_id, a[123]!.seq, scale)).toEqual(a[123]);
  });

  it('has NULL gaps, two-decimal sensor values, and every key once', () => {
    const all = [...readings(3, drillScale(0.05))];
    const nulls = all.filter((r) => SENSORS.some((s) => r[s] === null)).length;
    expect(nulls).toBeGreaterThan(0);
    expect(nulls / all.length).toBeLessThan(0.05);
    for (const r of all.slice(0, 1000))
      for (const s of SENSORS) if (r[s] !== null) expect(Math.round(r[s]! * 100) / 100).toBe(r[s]);
    const keys = new Set(all.map((r) => r.drill_id * 1e6 + r.seq));
    expect(keys.size).toBe(all.length);
    const sum = all.reduce((acc, r) => acc + r.drill_id * 1_000_000 + r.seq, 0);
    expect(readingsChecksum(drillScale(0.05))).toEqual({ count: all.length, keySum: sum });
  });

  it('drifts vibration and temperature up in the day before a failure', () => {
    const big = drillScale(0.2);
    const failure = failures(11, big)[0]!;
    const failedSeq = (failure.failed_at - readingAt(11, failure.drill_id, 0, big).ts) / 60;
    const mean = (from: number, to: number, sensor: 'vibration' | 'temperature') => {
      let total = 0;
      let n = 0;
      for (let seq = from; seq < to; seq++) {
        const value = readingAt(11, failure.drill_id, seq, big)[sensor];
        if (value !== null) {
          total += value;
          n++;
        }
      }
      return total / n;
    };
    const normal = mean(
      Math.max(0, failedSeq - 3 * DRIFT_READINGS),
      failedSeq - DRIFT_READINGS,
      'temperature',
    );
    expect(mean(failedSeq - 200, failedSeq, 'temperature')).toBeGreaterThan(normal + 15);
    const normalVibration = mean(
      Math.max(0, failedSeq - 3 * DRIFT_READINGS),
      failedSeq - DRIFT_READINGS,
      'vibration',
    );
    expect(mean(failedSeq - 200, failedSeq, 'vibration')).toBeGreaterThan(normalVibration * 2);
  });

  it('sends NULL gaps as JSON null and round-trips values exactly', () => {
    const gap = [...readings(3, drillScale(0.05))].find((r) => SENSORS.some((s) => r[s] === null))!;
    const parsed = JSON.parse(readingJson(gap));
    expect(parsed.drill).toBe(gap.drill_id);
    for (const s of SENSORS) expect(parsed.s[s]).toBe(gap[s]);
  });
});
