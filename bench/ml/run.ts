/**
 * `sluice bench ml`: the multi-pass ML feature benchmark (issue 14).
 *
 *   sluice bench ml [--scale 1] [--modes sluice,naive,…] [--passes W1,…] [--target single|cluster]
 *     [--runs 1] [--iterations 20] [--k 8] [--seed 1] [--out dir] [--home DIR] [--port-base N|auto]
 *     [--kafka-port N|auto] [--reload]
 *
 * Brings the local stack up (or uses SLUICE_DB_URL / SLUICE_CLUSTER_URLS / SLUICE_KAFKA_BROKERS),
 * loads the drill telemetry through Kafka and a pipeline (kept when already loaded), then runs
 * every pass in every mode, `--runs` times, modes interleaved within a run. Each pass records its
 * wall time, the bytes the database servers sent, their CPU seconds, this process's CPU seconds
 * (all threads) and its peak RSS. Answers (checksums, centroids, label counts, scores) must agree
 * across modes; a mode that disagrees fails the run (exit code 1).
 * Writes <out>/ml-<target>-sf<scale>.{json,md,svg}.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { SluiceError, UsageError } from '../../src/base/errors.ts';
import { resolveStackConfig } from '../../src/config/stack.ts';
import { withSession } from '../../src/db/driver.ts';
import type { DbEndpoint } from '../../src/db/endpoint.ts';
import { drillScale } from '../../src/ml/drills.ts';
import {
  connectionUrl,
  createScoresTable,
  loadTelemetry,
  readEndpoint,
  type TelemetryTarget,
} from '../../src/ml/load-telemetry.ts';
import { closeReaderPool } from '../../src/reader/parallel.ts';
import { stackUp } from '../../src/stack/stack.ts';
import { cpuSeconds, ownCpuSeconds, serverPid, treeCpuSeconds, treeRssBytes } from '../data/cpu.ts';
import { type BaselineMode, findBaseline, type InstalledBaseline, installBaseline } from './baselines.ts';
import { NAIVE_PASSES, type NaiveRun, openNaiveRun } from './naive.ts';
import { openPeerRun, type PeerRun } from './peer.ts';
import { FRAME_PASSES, type FrameMode, type FrameRun, openFrameRun } from './programs.ts';
import { renderMarkdown, renderSvg } from './report.ts';
import { answerDifference, type PassAnswer, type PassContext } from './shared.ts';

export const MODES = [
  'sluice',
  'sluice-pushdown-each-pass',
  'sluice-no-pushdown',
  'naive',
  'spark-jdbc',
  'spark-jdbc-pushdown',
  'connectorx-polars',
] as const;
export type Mode = (typeof MODES)[number];
export const PASSES = ['W1', 'W2', 'W3', 'W4', 'W5'] as const;
/** What each pass needs from earlier ones (run untimed when not selected). */
const NEEDS: Record<string, readonly string[]> = { W1: [], W2: [], W3: ['W1'], W4: ['W2'], W5: ['W1', 'W3'] };
/**
 * The modes run by a Python baseline, and which: `spark-jdbc-pushdown` is Spark at its best
 * setting (the readings also as a DSv2 JDBC catalog table with aggregate pushdown) in the same venv.
 */
const PYTHON_MODES: ReadonlyMap<Mode, BaselineMode> = new Map<Mode, BaselineMode>([
  ['spark-jdbc', 'spark-jdbc'],
  ['spark-jdbc-pushdown', 'spark-jdbc'],
  ['connectorx-polars', 'connectorx-polars'],
]);

export interface PassMeasure {
  wallSeconds: number;
  bytesFromDb: number;
  serverCpuSeconds: number;
  clientCpuSeconds: number;
  peakRssMiB: number;
}

export interface ModeResult {
  /** ClickBench's shape: per pass, the time of every run. */
  times: Record<string, number[]>;
  /** Per pass, the median run's figures. */
  passes: Record<string, PassMeasure>;
  /** Seconds per k-means iteration (W3) in the last run. */
  iterations: number[];
  /** Per run, seconds W3 took to read and cache its features, where the mode reads them once. */
  featureReads?: number[];
  answers: Record<string, PassAnswer>;
  /** A Python baseline's package versions. */
  versions?: Record<string, unknown>;
}

export interface BenchResult {
  system: string;
  date: string;
  machine: Record<string, unknown>;
  command: string;
  target: 'single' | 'cluster';
  scale: number;
  readings: number;
  drills: number;
  runs: number;
  k: number;
  iterations: number;
  load: Record<string, unknown>;
  modes: Partial<Record<Mode, ModeResult>>;
  skipped: Partial<Record<Mode, string>>;
  disagreements: string[];
  explains: Record<string, string>;
}

const USAGE = `usage: sluice bench ml [--scale 1] [--modes ${MODES.join(',')}] [--passes W1,W2,W3,W4,W5]
  [--target single|cluster] [--runs 1] [--iterations 20] [--k 8] [--seed 1] [--out dir] [--reload]
  [--home DIR] [--port-base N|auto] [--kafka-port N|auto] [--install-baselines]`;

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
};

function machine(): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    loadAverage: os.loadavg().map((x) => Number(x.toFixed(2))),
    node: process.version,
    platform: `${os.type()} ${os.release()}`,
  };
}

async function bytesSent(servers: readonly DbEndpoint[]): Promise<number> {
  let total = 0;
  for (const server of servers) {
    const [row] = await withSession(server, (s) =>
      s.query<{ Value: string }>("SHOW GLOBAL STATUS LIKE 'Bytes_sent'"),
    );
    total += Number(row?.Value ?? 0);
  }
  return total;
}

class Progress {
  private readonly tty = process.stderr.isTTY === true;
  line(text: string): void {
    if (this.tty) process.stderr.write(`\r\u001b[2K${text}`);
  }
  done(text: string): void {
    process.stderr.write(this.tty ? `\r\u001b[2K${text}\n` : `${text}\n`);
  }
}

export async function runBenchMl(argv: readonly string[]): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        scale: { type: 'string', default: '1' },
        modes: { type: 'string', default: MODES.join(',') },
        passes: { type: 'string', default: PASSES.join(',') },
        target: { type: 'string', default: 'single' },
        runs: { type: 'string', default: '1' },
        iterations: { type: 'string', default: '20' },
        k: { type: 'string', default: '8' },
        seed: { type: 'string', default: '1' },
        out: { type: 'string', default: 'ml-bench' },
        reload: { type: 'boolean', default: false },
        home: { type: 'string' },
        'port-base': { type: 'string' },
        'kafka-port': { type: 'string' },
        'install-baselines': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${USAGE}`);
  }
  const v = parsed.values as Record<string, string | boolean | undefined>;
  if (v.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const scaleFactor = Number(v.scale);
  const runs = Number(v.runs);
  const iterations = Number(v.iterations);
  const k = Number(v.k);
  const seed = Number(v.seed);
  const target = v.target as 'single' | 'cluster';
  const modes = String(v.modes).split(',') as Mode[];
  const selected = String(v.passes).split(',');
  for (const mode of modes)
    if (!MODES.includes(mode)) throw new UsageError(`unknown mode '${mode}'; modes: ${MODES.join(', ')}`);
  for (const pass of selected)
    if (!(PASSES as readonly string[]).includes(pass))
      throw new UsageError(`unknown pass '${pass}'; passes: ${PASSES.join(', ')}`);
  if (target !== 'single' && target !== 'cluster')
    throw new UsageError(`--target is single or cluster, got '${target}'`);
  for (const [name, value] of [
    ['scale', scaleFactor],
    ['runs', runs],
    ['iterations', iterations],
    ['k', k],
  ] as const) {
    if (!(value > 0)) throw new UsageError(`--${name} must be positive, got '${v[name]}'`);
  }
  const progress = new Progress();
  const say = (line: string) => progress.done(line);
  const config = resolveStackConfig({
    home: v.home as string | undefined,
    topology: target,
    portBase: v['port-base'] as string | undefined,
    kafkaPort: v['kafka-port'] as string | undefined,
  });
  if (v['install-baselines']) {
    for (const mode of new Set(modes.flatMap((m) => PYTHON_MODES.get(m) ?? []))) {
      try {
        await installBaseline(mode, {
          cacheDir: config.cacheDir,
          allowInstall: config.allowInstall,
          progress: say,
        });
      } catch (error) {
        // The mode is then skipped with the reason; the other modes still run.
        const details = (error as SluiceError).details;
        say(`${mode}: ${(error as Error).message}${details ? `\n${details}` : ''}`);
      }
    }
  }
  const report = await stackUp(config, say);
  const { single, cluster, kafka } = report.endpoints;
  if (!kafka) throw new SluiceError('CHECK_FAILED', 'bench ml: the stack has no Kafka broker');
  const telemetry: TelemetryTarget =
    target === 'cluster'
      ? { cluster: cluster!, brokers: kafka.brokers }
      : { single: single!, brokers: kafka.brokers };
  const result = await benchMl(
    {
      scale: scaleFactor,
      modes,
      passes: selected,
      runs,
      iterations,
      k,
      seed,
      outDir: String(v.out),
      reload: Boolean(v.reload),
      cacheDir: config.cacheDir,
      command: `sluice bench ml ${argv.join(' ')}`.trim(),
    },
    telemetry,
    progress,
  );
  return result.disagreements.length > 0 ? 1 : 0;
}

export interface BenchSettings {
  readonly scale: number;
  readonly modes: readonly Mode[];
  readonly passes: readonly string[];
  readonly runs: number;
  readonly iterations: number;
  readonly k: number;
  readonly seed: number;
  readonly outDir: string;
  readonly reload?: boolean;
  /** Where the Python baselines are installed (SLUICE_CACHE by default). */
  readonly cacheDir?: string;
  readonly command: string;
}

/** Runs the benchmark against running servers and a broker; writes and returns the result. */
export async function benchMl(
  settings: BenchSettings,
  telemetry: TelemetryTarget,
  progress: { line(text: string): void; done(text: string): void } = new Progress(),
): Promise<BenchResult> {
  const { scale: scaleFactor, modes, runs, iterations, k, seed } = settings;
  const selected = settings.passes;
  const target = telemetry.cluster ? 'cluster' : 'single';
  const say = (line: string) => progress.done(line);
  const needed = new Set<string>();
  const need = (pass: string) => {
    for (const dep of NEEDS[pass]!) need(dep);
    needed.add(pass);
  };
  for (const pass of selected) need(pass);
  const order = PASSES.filter((pass) => needed.has(pass));
  const head = readEndpoint(telemetry);
  const servers = telemetry.cluster
    ? [telemetry.cluster.head, ...telemetry.cluster.leaves]
    : [telemetry.single!];
  const pids = await Promise.all(servers.map(serverPid));
  const url = connectionUrl(head);

  const load = await loadTelemetry(telemetry, {
    seed,
    scale: scaleFactor,
    force: settings.reload,
    progress: say,
  });
  await createScoresTable(telemetry);
  const scale = drillScale(scaleFactor);
  const outDir = path.resolve(settings.outDir);
  await mkdir(outDir, { recursive: true });

  const result: BenchResult = {
    system: 'sluice',
    date: new Date().toISOString(),
    machine: machine(),
    command: settings.command,
    target,
    scale: scaleFactor,
    readings: load.readings,
    drills: load.drills,
    runs,
    k,
    iterations,
    load: { ...load },
    modes: {},
    skipped: {},
    disagreements: [],
    explains: {},
  };
  const baselines = new Map<Mode, InstalledBaseline>();
  const cacheDir = settings.cacheDir ?? resolveStackConfig().cacheDir;
  for (const mode of modes.filter((m) => PYTHON_MODES.has(m))) {
    const found = await findBaseline(PYTHON_MODES.get(mode)!, cacheDir);
    if ('problem' in found) {
      result.skipped[mode] = `skipped: ${found.problem}`;
      say(`${mode}: ${result.skipped[mode]}`);
    } else baselines.set(mode, found);
  }
  const runnable = modes.filter((mode) => !PYTHON_MODES.has(mode) || baselines.has(mode));
  // Warm-up (untimed): the reader's worker threads start and the servers' caches fill.
  const warm = await openFrameRun(url, 'sluice');
  await warm.db.table('drill_readings').toArrow();
  await warm.db.close();
  const measures = new Map<string, PassMeasure[]>();
  // A baseline that fails (its program, its JVM) is reported and left out; the others go on.
  const failPeer = (mode: Mode, during: string, error: unknown) => {
    const details = (error as SluiceError).details;
    result.skipped[mode] =
      `failed during ${during}: ${(error as Error).message}${details ? `\n${details.split('\n').slice(-6).join('\n')}` : ''}`;
    say(`${mode}: ${result.skipped[mode]}`);
    failed.add(mode);
    delete result.modes[mode];
  };
  const reference = new Map<string, { mode: Mode; answer: PassAnswer }>();

  const failed = new Set<Mode>();
  for (let r = 1; r <= runs; r++) {
    for (const mode of runnable) {
      if (failed.has(mode)) continue;
      result.modes[mode] ??= { times: {}, passes: {}, iterations: [], answers: {} };
      const modeResult = result.modes[mode]!;
      modeResult.iterations = [];
      const baseline = baselines.get(mode);
      let peerRun: PeerRun | undefined;
      if (baseline) {
        progress.line(`[run ${r}/${runs}] ${mode}: starting the peer (untimed)`);
        try {
          peerRun = await openPeerRun(
            baseline,
            head,
            {
              ...scale,
              k,
              iterations,
              outDir,
              partitions: 4,
              aggregatePushdown: mode === 'spark-jdbc-pushdown',
            },
            path.join(outDir, `${mode}.log`),
          );
        } catch (error) {
          failPeer(mode, 'start-up', error);
          continue;
        }
        modeResult.versions = peerRun.versions;
      }
      const frameRun = mode === 'naive' || peerRun ? undefined : await openFrameRun(url, mode as FrameMode);
      const naiveRun = mode === 'naive' ? await openNaiveRun(url) : undefined;
      try {
        for (const pass of order) {
          const context: PassContext = {
            scale,
            k,
            iterations,
            outDir,
            onIteration: (i, seconds) => {
              if (r === runs) modeResult.iterations.push(seconds);
              progress.line(
                `[run ${r}/${runs}] ${mode} ${pass}: k-means iteration ${i}/${iterations} (${seconds.toFixed(3)} s)`,
              );
            },
            onFeatureRead: (seconds) => {
              modeResult.featureReads = [...(modeResult.featureReads ?? []), seconds];
            },
          };
          progress.line(`[run ${r}/${runs}] ${mode} ${pass} …`);
          // Every mode writes its training file in W4. Overwriting the last run's file waits while
          // the kernel still writes it back (truncation waits for writeback: 50-600 ms for 80 MB
          // here); removed untimed, so each run's write measures the write.
          if (pass === 'W4') await rm(path.join(outDir, `training-${mode}.arrow`), { force: true });
          if (typeof global.gc === 'function') global.gc();
          const bytesBefore = await bytesSent(servers);
          const serverBefore = pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
          // A peer's client is its process tree (Python, and Spark's JVM); sluice's is this process.
          const clientCpu = peerRun ? () => treeCpuSeconds(peerRun.pid) : ownCpuSeconds;
          const rss = peerRun ? () => treeRssBytes(peerRun.pid) : () => process.memoryUsage().rss;
          const clientBefore = clientCpu();
          let peak = rss();
          const sampler = setInterval(
            () => {
              peak = Math.max(peak, rss());
            },
            peerRun ? 200 : 25,
          );
          const started = performance.now();
          let answer: PassAnswer;
          try {
            answer = peerRun
              ? await peerRun.pass(pass, context)
              : naiveRun
                ? await NAIVE_PASSES[pass]!(naiveRun as NaiveRun, context)
                : await FRAME_PASSES[pass]!(frameRun as FrameRun, context);
          } finally {
            clearInterval(sampler);
          }
          const wall = (performance.now() - started) / 1000;
          const measure: PassMeasure = {
            wallSeconds: wall,
            bytesFromDb: (await bytesSent(servers)) - bytesBefore,
            serverCpuSeconds: pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0) - serverBefore,
            clientCpuSeconds: clientCpu() - clientBefore,
            peakRssMiB: Math.max(peak, rss()) / 2 ** 20,
          };
          if (!selected.includes(pass)) continue;
          modeResult.times[pass] = [...(modeResult.times[pass] ?? []), Number(wall.toFixed(3))];
          const key = `${mode}/${pass}`;
          measures.set(key, [...(measures.get(key) ?? []), measure]);
          modeResult.answers[pass] = answer;
          const first = reference.get(pass);
          if (!first) reference.set(pass, { mode, answer });
          else {
            const diff = answerDifference(first.answer, answer, pass);
            if (diff) {
              const line = `${mode} disagrees with ${first.mode} on ${diff}`;
              result.disagreements.push(line);
              say(`  ✗ ${line}`);
            }
          }
          say(
            `[run ${r}/${runs}] ${mode.padEnd(26)} ${pass}: ${wall.toFixed(2)} s, ${(measure.bytesFromDb / 2 ** 20).toFixed(1)} MiB from the database, ` +
              `CPU ${measure.serverCpuSeconds.toFixed(2)} s server / ${measure.clientCpuSeconds.toFixed(2)} s client, peak RSS ${measure.peakRssMiB.toFixed(0)} MiB`,
          );
        }
        if (frameRun)
          for (const [pass, text] of Object.entries(frameRun.explains))
            result.explains[`${mode}/${pass}`] = text;
      } catch (error) {
        if (!peerRun) throw error;
        failPeer(mode, 'a pass', error);
      } finally {
        await frameRun?.db.close();
        await naiveRun?.connection.end();
        await peerRun?.close();
      }
    }
  }
  await closeReaderPool();
  for (const mode of runnable) {
    const modeResult = result.modes[mode];
    if (!modeResult) continue;
    for (const pass of selected) {
      const list = measures.get(`${mode}/${pass}`) ?? [];
      if (list.length === 0) continue;
      const mid = median(list.map((m) => m.wallSeconds));
      modeResult.passes[pass] = list.find((m) => m.wallSeconds === mid)!;
    }
  }
  const base = path.join(outDir, `ml-${target}-sf${scaleFactor}`);
  await writeFile(`${base}.json`, `${JSON.stringify(result, null, 2)}\n`);
  await writeFile(`${base}.md`, renderMarkdown(result, selected));
  await writeFile(`${base}.svg`, renderSvg(result, selected));
  say(`\n${renderMarkdown(result, selected)}`);
  say(`results: ${base}.json, ${base}.md, ${base}.svg`);
  if (result.disagreements.length > 0)
    say(`FAILED: ${result.disagreements.length} disagreement(s) between modes`);
  return result;
}
