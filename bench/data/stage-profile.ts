/**
 * CPU time of a pipeline by stage, from V8 CPU profiles (`node --cpu-prof`, one file per thread).
 *
 * Each sample is charged to the stage of its innermost frame that belongs to a known module
 * (native frames such as JSON.parse and node: internals take the stage of the JS code that called
 * them), so JSON.parse called from the decoder counts as decoding, and mysql2's packet writing as
 * the load. Stacks that continue after an `await` start afresh in the microtask queue, so a
 * mysql2 reply to an offset UPDATE counts as load, not as offset commit: the offset commit's
 * share is the code that builds and sends its statements, and the server's work is in the
 * database's CPU (measured apart, from /proc).
 */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

let clockTicks: number | undefined;

/** User + system CPU seconds from a /proc stat file; `user` is the field index after the command name. */
function statSeconds(file: string, user: number): number {
  clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  const fields = readFileSync(file, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[user]) + Number(fields[user + 1])) / clockTicks;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
  /** µs on the monotonic clock (process.hrtime's). */
  readonly startTime: number;
}

export const STAGES = [
  'fetch (kafkajs: protocol, record batches)',
  'decompress',
  'decode/parse (JSON, CSV, Avro; paths)',
  'transform',
  'row building (LOAD DATA text)',
  'hand-off to decode threads',
  'LOAD DATA / INSERT (client: mysql2)',
  'offset commit + batch stats (client)',
  'runner / writer bookkeeping',
  'garbage collection',
  'other (socket I/O, node internals, V8)',
] as const;
export type Stage = (typeof STAGES)[number];

/** Module → stage; the first rule that matches a frame's URL wins. */
const RULES: readonly [RegExp, Stage][] = [
  [/\/loader\/state\.|\/loader\/dead-letters\./, 'offset commit + batch stats (client)'],
  [/\/loader\/codecs\.|snappyjs|lz4|zstd|node:zlib/, 'decompress'],
  [
    /\/loader\/(formats|avro|processor|direct-rows)\.|lossless-json|avsc/,
    'decode/parse (JSON, CSV, Avro; paths)',
  ],
  [/\/loader\/transforms\.|workers\/transform/, 'transform'],
  [
    /\/db\/tsv(-output)?\.|\/writer\/rows\.|\/loader\/encode-batch\.|decode-batch/,
    'row building (LOAD DATA text)',
  ],
  [/\/loader\/batch-decoder\.|piscina/, 'hand-off to decode threads'],
  [
    /\/writer\/|\/db\/|mysql2|iconv-lite|denque|sqlstring|named-placeholders|lru-cache|long\/|seq-queue/,
    'LOAD DATA / INSERT (client: mysql2)',
  ],
  [/kafkajs|\/loader\/kafka-records\./, 'fetch (kafkajs: protocol, record batches)'],
  [/\/loader\/|\/runtime\//, 'runner / writer bookkeeping'],
];

/**
 * Worker entry points run from the sources are bundled into one file (src/runtime/worker-bundle.ts),
 * so their frames are told apart by function name.
 */
const BUNDLED: Readonly<Record<string, Stage>> = {
  parseJson: 'decode/parse (JSON, CSV, Avro; paths)',
  follow: 'decode/parse (JSON, CSV, Avro; paths)',
  columnValue: 'decode/parse (JSON, CSV, Avro; paths)',
  decode: 'decode/parse (JSON, CSV, Avro; paths)',
  text: 'decode/parse (JSON, CSV, Avro; paths)',
  processRecords: 'decode/parse (JSON, CSV, Avro; paths)',
  decodeInto: 'decode/parse (JSON, CSV, Avro; paths)',
  exactNumber: 'decode/parse (JSON, CSV, Avro; paths)',
  tsvLine: 'row building (LOAD DATA text)',
  tsvField: 'row building (LOAD DATA text)',
  escapeTsv: 'row building (LOAD DATA text)',
  decodeBatch: 'row building (LOAD DATA text)',
  splitRows: 'row building (LOAD DATA text)',
  // The direct reader (loader/direct-rows.ts): finding a record's fields is its parse, copying
  // them into the text its row building.
  read: 'decode/parse (JSON, CSV, Avro; paths)',
  object: 'decode/parse (JSON, CSV, Avro; paths)',
  element: 'decode/parse (JSON, CSV, Avro; paths)',
  string: 'decode/parse (JSON, CSV, Avro; paths)',
  number: 'decode/parse (JSON, CSV, Avro; paths)',
  child: 'decode/parse (JSON, CSV, Avro; paths)',
  space: 'decode/parse (JSON, CSV, Avro; paths)',
  store: 'decode/parse (JSON, CSV, Avro; paths)',
  printsAsWritten: 'decode/parse (JSON, CSV, Avro; paths)',
  value: 'decode/parse (JSON, CSV, Avro; paths)',
  write: 'row building (LOAD DATA text)',
  reserve: 'row building (LOAD DATA text)',
  appendString: 'row building (LOAD DATA text)',
  encodeBatch: 'row building (LOAD DATA text)',
};

function stageOfFrame(url: string, functionName: string): Stage | undefined {
  if (url === '' || url.startsWith('node:')) return undefined;
  if (url.includes('/.cache/sluice/')) return BUNDLED[functionName];
  for (const [pattern, stage] of RULES) if (pattern.test(url)) return stage;
  return undefined;
}

/** Microseconds by stage in one profile (idle time left out). */
export function stageTimes(profile: CpuProfile, fromUs = 0): Map<Stage, number> {
  const parent = new Map<number, number>();
  const byId = new Map<number, ProfileNode>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const memo = new Map<number, Stage | null>();
  const stageOf = (id: number): Stage | null => {
    const known = memo.get(id);
    if (known !== undefined) return known;
    const node = byId.get(id)!;
    const { functionName, url } = node.callFrame;
    let stage: Stage | null;
    // piscina's workers wait for tasks in a JS loop around Atomics.wait: idle too.
    if (functionName === '(idle)' || functionName === 'atomicsWaitLoop') stage = null;
    else if (functionName === '(garbage collector)') stage = 'garbage collection';
    else {
      const own = stageOfFrame(url, functionName);
      const up = parent.get(id);
      stage = own ?? (up === undefined ? 'other (socket I/O, node internals, V8)' : stageOf(up));
      if (stage === null) stage = 'other (socket I/O, node internals, V8)';
    }
    memo.set(id, stage);
    return stage;
  };
  const times = new Map<Stage, number>();
  let at = profile.startTime;
  for (let index = 0; index < profile.samples.length; index++) {
    at += profile.timeDeltas[index]!;
    if (at < fromUs) continue;
    const stage = stageOf(profile.samples[index]!);
    if (stage === null) continue;
    // The delta before the next sample is the time this sample stands for.
    const delta = profile.timeDeltas[index + 1] ?? 0;
    times.set(stage, (times.get(stage) ?? 0) + delta);
  }
  return times;
}

export interface ThreadStages {
  readonly file: string;
  /** The thread that ran kafkajs (the process's main thread) or a worker. */
  readonly main: boolean;
  readonly totalUs: number;
  readonly stages: Partial<Record<Stage, number>>;
}

/** Every `.cpuprofile` in `dir` (node names a worker's profile with its thread id, main = 0). */
export function profileDir(dir: string, fromUs = 0): ThreadStages[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.cpuprofile'))
    .map((file) => {
      const profile = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as CpuProfile;
      const times = stageTimes(profile, fromUs);
      // CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile
      const thread = Number(file.split('.').at(-3));
      return {
        file,
        main: thread === 0,
        totalUs: [...times.values()].reduce((sum, value) => sum + value, 0),
        stages: Object.fromEntries(times),
      };
    });
}

/** µs per row by stage, main thread and worker threads apart. */
export function perRow(threads: readonly ThreadStages[], rows: number) {
  const sum = (main: boolean) => {
    const out: Partial<Record<Stage, number>> = {};
    for (const thread of threads.filter((entry) => entry.main === main))
      for (const [stage, us] of Object.entries(thread.stages) as [Stage, number][])
        out[stage] = (out[stage] ?? 0) + us / rows;
    return out;
  };
  return { main: sum(true), workers: sum(false) };
}

/** CPU seconds of this process's children that have been waited for (/proc/self/stat, cutime + cstime). */
function childrenCpuSeconds(): number {
  return statSeconds('/proc/self/stat', 13);
}

export interface StageProfile {
  /** CPU µs per row of the process by stage: the main thread (kafkajs, the writers) and the rest. */
  readonly main: Partial<Record<Stage, number>>;
  /** Decode worker threads, with V8's GC helper threads and libuv's pool (their CPU is not told apart). */
  readonly workers: Partial<Record<Stage, number>>;
  readonly mainCpuUsPerRow: number;
  readonly processCpuUsPerRow: number;
  /** From the group's hand-over to the pipeline's exit. */
  readonly wallSeconds: number;
}

/**
 * Runs `args` (a pipeline that stops by itself) in a child node with the CPU profiler on, and
 * splits the child's CPU time by stage. The profiler samples wall time while a thread is not
 * idle, which on a busy machine includes time the thread waited for a core; so each thread's
 * samples only give the shares, and the CPU time itself comes from /proc: the main thread's
 * own (polled while it runs), and the rest of the process (every other thread) for the workers.
 */
export async function profileStages(
  args: readonly string[],
  rows: number,
  cwd: string,
): Promise<StageProfile> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-stage-profile-'));
  try {
    const before = childrenCpuSeconds();
    const child = spawn(process.execPath, ['--cpu-prof', '--cpu-prof-dir', dir, ...args], {
      cwd,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const pid = child.pid!;
    const mainCpu = () => statSeconds(`/proc/${pid}/task/${pid}/stat`, 11);
    // From the group's hand-over on, like the sustained figure: start-up (module loading, the
    // group join) is left out. The pipeline logs the assignment on stderr.
    let assigned: { at: number; main: number; process: number; started: number } | undefined;
    let lastMain = 0;
    let text = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (!assigned && /assigned \d+ partition/.test(text)) {
        assigned = {
          at: Number(process.hrtime.bigint() / 1000n),
          main: mainCpu(),
          process: statSeconds(`/proc/${pid}/stat`, 11),
          started: performance.now(),
        };
      }
    });
    const poll = setInterval(() => {
      try {
        lastMain = mainCpu();
      } catch {
        // Exited between two polls: the last value stands (at most 100 ms of shutdown is missed).
      }
    }, 100);
    const [code] = (await once(child, 'exit')) as [number | null];
    clearInterval(poll);
    if (code !== 0 || !assigned)
      throw new Error(`profiled pipeline exited with ${code}: ${text.slice(-2000)}`);
    const mainSeconds = lastMain - assigned.main;
    const processSeconds = childrenCpuSeconds() - before - assigned.process;
    const wallSeconds = (performance.now() - assigned.started) / 1000;
    const threads = profileDir(dir, assigned.at);
    const scale = (main: boolean, cpuSeconds: number) => {
      const sampled = threads.filter((thread) => thread.main === main).reduce((sum, t) => sum + t.totalUs, 0);
      const out: Partial<Record<Stage, number>> = {};
      if (sampled === 0) return out;
      for (const thread of threads.filter((entry) => entry.main === main))
        for (const [stage, us] of Object.entries(thread.stages) as [Stage, number][])
          out[stage] = (out[stage] ?? 0) + ((us / sampled) * cpuSeconds * 1e6) / rows;
      return out;
    };
    return {
      main: scale(true, mainSeconds),
      workers: scale(false, Math.max(0, processSeconds - mainSeconds)),
      mainCpuUsPerRow: (mainSeconds / rows) * 1e6,
      processCpuUsPerRow: (processSeconds / rows) * 1e6,
      wallSeconds,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
