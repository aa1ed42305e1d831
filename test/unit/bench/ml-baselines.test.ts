/**
 * The Python baselines of `sluice bench ml` without the baselines themselves: the install
 * planner's verdicts (what is missing and how to get it), the answer check the harness applies to
 * every mode, and the peer protocol end to end with the real ml_common.py under the machine's
 * python3 (a tiny peer script; no pyspark, ConnectorX or Polars needed).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type BaselineProbe,
  baselineDir,
  findBaseline,
  parseJavaMajor,
  planBaselineInstall,
} from '../../../bench/ml/baselines.ts';
import { openPeerRun } from '../../../bench/ml/peer.ts';
import { renderMarkdown, renderSvg } from '../../../bench/ml/report.ts';
import type { BenchResult } from '../../../bench/ml/run.ts';
import { answerDifference, initialKeys, pickInitial } from '../../../bench/ml/shared.ts';
import { findExecutable } from '../../../src/stack/prerequisites.ts';

const ready: BaselineProbe = { python: [3, 11], venv: true, java: 17, mvn: true };
const cache = '/cache';

describe('the baseline install planner', () => {
  it('plans a venv with pinned packages, and the JDBC driver for Spark only', () => {
    const spark = planBaselineInstall('spark-jdbc', ready, cache);
    expect(spark.problems).toEqual([]);
    expect(spark.packages).toContain('pyspark==4.3.0');
    expect(spark.jars).toEqual(['org.mariadb.jdbc:mariadb-java-client:3.5.7']);
    expect(spark.dir).toBe(path.join(cache, 'ml-baseline-spark-jdbc-pyspark-4.3.0'));
    const polars = planBaselineInstall('connectorx-polars', { ...ready, java: undefined, mvn: false }, cache);
    expect(polars.problems).toEqual([]);
    expect(polars.jars).toEqual([]);
    expect(polars.dir).toBe(baselineDir(cache, 'connectorx-polars'));
  });

  it('says python3 is missing and how to get it', () => {
    const plan = planBaselineInstall(
      'connectorx-polars',
      { ...ready, python: undefined, venv: false },
      cache,
    );
    expect(plan.problems).toEqual([
      "no 'python3' on PATH: connectorx-polars runs in Python 3.9+ (Debian/Ubuntu: apt-get install python3 python3-venv)",
    ]);
  });

  it('says an old python3, a missing venv module, and a missing or old Java', () => {
    expect(planBaselineInstall('connectorx-polars', { ...ready, python: [3, 7] }, cache).problems).toEqual([
      'python3 is 3.7: connectorx-polars needs Python 3.9+',
    ]);
    expect(planBaselineInstall('connectorx-polars', { ...ready, venv: false }, cache).problems[0]).toMatch(
      /no 'venv' module.*apt-get install python3-venv/,
    );
    const noJava = planBaselineInstall(
      'spark-jdbc',
      { ...ready, java: undefined, mvn: false },
      cache,
    ).problems;
    expect(noJava).toHaveLength(2);
    expect(noJava[0]).toMatch(/^no 'java' on PATH: Spark needs Java 17\+ \(install a Java 17\+ runtime/);
    expect(noJava[1]).toMatch(/^no 'mvn' on PATH: Maven fetches the MariaDB JDBC driver/);
    expect(planBaselineInstall('spark-jdbc', { ...ready, java: 11 }, cache).problems).toEqual([
      'java is version 11: Spark 4 needs Java 17+',
    ]);
  });

  it('reads Java major versions old and new', () => {
    expect(parseJavaMajor('openjdk version "17.0.15" 2025-04-15')).toBe(17);
    expect(parseJavaMajor('java version "1.8.0_412"')).toBe(8);
    expect(parseJavaMajor('openjdk version "21" 2023-09-19')).toBe(21);
    expect(parseJavaMajor('')).toBeUndefined();
  });

  it('a baseline not in the cache is reported as not installed, naming the folder', async () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), 'sluice-baselines-'));
    const found = await findBaseline('connectorx-polars', empty);
    expect(found).toEqual({
      problem: expect.stringContaining(`not installed (no ${baselineDir(empty, 'connectorx-polars')})`),
    });
  });
});

describe('the answer check applied to every mode', () => {
  it('centroids agree within 1e-9 relative, counts exactly, top drills in order', () => {
    const a = { centroids: [[0.5, -1.25]], rows: 1000, top: [3, 1, 2] };
    expect(
      answerDifference(a, { centroids: [[0.5 + 1e-12, -1.25]], rows: 1000, top: [3, 1, 2] }),
    ).toBeUndefined();
    expect(answerDifference(a, { centroids: [[0.5 + 1e-6, -1.25]], rows: 1000, top: [3, 1, 2] }, 'W3')).toBe(
      `W3.centroids.0.0: 0.5 ≠ ${0.5 + 1e-6}`,
    );
    expect(answerDifference(a, { centroids: [[0.5, -1.25]], rows: 1001, top: [3, 1, 2] }, 'W5')).toBe(
      'W5.rows: 1000 ≠ 1001',
    );
    expect(answerDifference(a, { centroids: [[0.5, -1.25]], rows: 1000, top: [3, 2, 1] }, 'W5')).toBe(
      'W5.top.1: 1 ≠ 2',
    );
    // A key one side lacks (a column a peer left out) is a disagreement too.
    expect(answerDifference({ window: { n: 5 } }, { window: { n: 5, vib_sd: 1 } }, 'W2')).toBe(
      'W2.window.vib_sd: undefined ≠ 1',
    );
  });
});

describe('the peer protocol with the real ml_common.py', () => {
  const python = findExecutable('python3');

  it('starts a peer, streams k-means iterations, returns answers and reports a failing pass', async () => {
    expect(python).toBeDefined();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-peer-'));
    const peers = path.resolve('bench/ml/peers');
    const script = path.join(dir, 'peer.py');
    // The seed rows must be the ones shared.ts picks: the Python port is checked against it here.
    writeFileSync(
      script,
      [
        'import sys',
        `sys.path.insert(0, ${JSON.stringify(peers)})`,
        'from ml_common import serve, initial_keys, pick_initial, checksum',
        'class Run:',
        '    def __init__(self, s):',
        '        self.s = s',
        '        self.versions = {"peer": "test"}',
        '    def close(self):',
        '        pass',
        'def w1(run, on_iteration):',
        '    rows = [{"drill_id": 1, "day": 0, "n": 3, "vib_over": 0.33335}, {"drill_id": 2, "day": 0, "n": 2, "vib_over": None}]',
        '    return {"perDrill": checksum(rows, ("drill_id", "day"), ("vib_over",))}',
        'def w3(run, on_iteration):',
        '    keys = initial_keys(run.s["drills"], run.s["readingsPerDrill"], run.s["k"])',
        '    rows = [{"drill_id": d, "seq": q, "z": d * 1000 + q} for d in range(1, 5) for q in range(0, 60, 7)]',
        '    for i in range(run.s["iterations"]):',
        '        on_iteration(i + 1, 0.5)',
        '    return {"keys": keys, "centroids": pick_initial(rows, keys, ["z"])}',
        'def w4(run, on_iteration):',
        '    raise ValueError("no such table")',
        'serve(Run, {"W1": w1, "W3": w3, "W4": w4})',
        '',
      ].join('\n'),
    );
    const settings = { drills: 4, readingsPerDrill: 60, k: 3, iterations: 2, outDir: dir, partitions: 4 };
    const peer = await openPeerRun(
      { mode: 'connectorx-polars', python: python!, jars: [], versions: '' },
      { host: '127.0.0.1', port: 1, user: 'u', password: '', database: 'd' },
      settings,
      path.join(dir, 'peer.log'),
      script,
    );
    try {
      expect(peer.versions).toEqual({ peer: 'test' });
      const seen: [number, number][] = [];
      const ctx = {
        scale: { drills: 4, readingsPerDrill: 60 },
        k: 3,
        iterations: 2,
        outDir: dir,
        onIteration: (i: number, s: number) => seen.push([i, s]),
      };
      const w3 = await peer.pass('W3', ctx);
      expect(seen).toEqual([
        [1, 0.5],
        [2, 0.5],
      ]);
      const keys = initialKeys(ctx.scale, 3);
      expect(w3.keys).toEqual(keys);
      const rows = [];
      for (let d = 1; d <= 4; d++)
        for (let q = 0; q < 60; q += 7) rows.push({ drill_id: d, seq: q, z: d * 1000 + q });
      expect(w3.centroids).toEqual(pickInitial(rows, keys, ['z']));
      // MariaDB's DECIMAL AVG: 4 digits, half away from zero; NULLs left out of the sums.
      expect(await peer.pass('W1', ctx)).toEqual({ perDrill: { rows: 2, n: 5, vib_over: 0.3334 } });
      await expect(peer.pass('W4', ctx)).rejects.toMatchObject({
        code: 'COMPONENT_FAILED',
        details: expect.stringContaining('ValueError: no such table'),
      });
    } finally {
      await peer.close();
    }
  });
});

describe('the report of a run without the sluice modes', () => {
  it('renders the table and chart of baselines alone (a run split by mode)', () => {
    const measure = {
      wallSeconds: 2,
      bytesFromDb: 2 ** 20,
      serverCpuSeconds: 0.5,
      clientCpuSeconds: 1,
      peakRssMiB: 300,
    };
    const result: BenchResult = {
      system: 'sluice',
      date: '2026-12-04T00:00:00Z',
      machine: { cpus: 2, cpuModel: 'x', memoryGiB: 24, loadAverage: [1, 1, 1] },
      command: 'sluice bench ml --modes connectorx-polars',
      target: 'single',
      scale: 1,
      readings: 10,
      drills: 1,
      runs: 1,
      k: 8,
      iterations: 2,
      load: {},
      modes: {
        'connectorx-polars': {
          times: { W3: [2] },
          passes: { W3: measure },
          iterations: [0.5, 0.25],
          featureReads: [1, 3, 2],
          answers: {},
        },
      },
      skipped: { 'spark-jdbc': 'skipped: not installed' },
      disagreements: [],
      explains: {},
    };
    const markdown = renderMarkdown(result, ['W3']);
    expect(markdown).toContain('| W3 wall s | 2.00 |');
    expect(markdown).toContain('| W3 s per k-means iteration (median) | 0.250 |');
    expect(markdown).toContain('| connectorx-polars | 2.00 | 0.75 | 0.38× |');
    expect(markdown).toContain('spark-jdbc: skipped: not installed');
    expect(markdown).not.toContain('total ÷ sluice');
    expect(renderSvg(result, ['W3'])).toContain('<svg');
  });
});
