/**
 * Morsels: a generated loop over a large batch runs on two threads. The rows are cut into morsels
 * (a few milliseconds of work each); this thread and one helper thread take the next morsel from
 * a shared counter until none is left, each morsel into its own partial result, and the caller
 * merges the partials in morsel order. Which thread ran a morsel changes nothing in the answer
 * (each partial is the same, and the merge order is fixed), and a helper that gets no core (a busy
 * machine) takes few morsels or none: this thread then runs them, at the cost of one message and
 * the wait for the helper's morsel in flight. Used only where it pays: enough rows times work per
 * row to outweigh that, and, the first time a column is met, its copy into shared memory (a cached
 * frame's columns are copied once and reused by every later action).
 *
 * The helper is one worker thread started on first use from a few lines of plain JavaScript: it
 * compiles each loop source once (as this thread does) and runs it on the shared columns. Inputs
 * cross by sharing (columns, the counter) or structured clone (literals, the empty partial each
 * morsel starts from); it answers with its morsels' partials. It holds the process open only
 * while it works. A helper that fails or dies leaves its morsels to this thread.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/** Rows × nodes per row below which one thread runs the loop (~ a few milliseconds of work). */
const MIN_WORK = 1 << 24;
/** Rows below which one thread runs the loop, whatever its work per row. */
const MIN_ROWS = 1 << 16;
/** Morsels per batch: enough that the two threads end close together. */
const MORSELS = 16;

let minRows = MIN_ROWS;
let minWork = MIN_WORK;

/** Runs `work` with morsels used from `rows` rows and any work per row (tests of the split path). */
export async function withMorselsFrom<T>(rows: number, work: () => Promise<T>): Promise<T> {
  const before = [minRows, minWork];
  [minRows, minWork] = [rows, 0];
  try {
    return await work();
  } finally {
    [minRows, minWork] = before as [number, number];
  }
}

/** The first row of each morsel and the end, or undefined when one thread runs the whole loop. */
export function morselBounds(length: number, nodesPerRow: number): number[] | undefined {
  if (length < minRows || length * nodesPerRow < minWork || availableParallelism() < 2) return undefined;
  const count = Math.min(MORSELS, Math.max(2, Math.floor(length / Math.max(1, minRows >> 2))));
  return Array.from({ length: count + 1 }, (_, k) => Math.round((length * k) / count));
}

type Shareable = Float64Array | Uint8Array;
const shared = new WeakMap<Shareable, Shareable>();

/** `array` in shared memory: itself when it is there, else a copy made once per array. */
export function sharedArray<A extends Shareable>(array: A): A {
  if (array.buffer instanceof SharedArrayBuffer) return array;
  let copy = shared.get(array) as A | undefined;
  if (!copy) {
    const Kind = array.constructor as new (buffer: SharedArrayBuffer) => A;
    copy = new Kind(new SharedArrayBuffer(array.byteLength));
    copy.set(array as never);
    shared.set(array, copy);
  }
  return copy;
}

/** The sources of a generated loop (kernels/fused.ts): the fast one, and the full one where it can stop. */
export interface LoopSources {
  readonly fast: string;
  readonly full?: string;
}

/** Rows the full loop takes from a row the fast one stopped at (so rows with NULLs in runs cost one stop per block). */
const FULL_BLOCK = 64;

/**
 * The two functions both threads run, as source text so the helper runs the very same code:
 * `driveLoop` runs a fast loop from `start`, and at each row it stops at, the full loop takes that
 * row and the rest of its block; `takeMorsels` takes morsels from the shared counter and runs
 * each into a fresh copy of the empty partial, returning [morsel, result, partial] per morsel.
 */
const SHARED_SOURCE = `
function driveLoop(fast, full, start, end, args) {
  const stop = new Int32Array(1);
  let count = 0;
  for (let at = start; ; ) {
    const result = fast(at, end, count, stop, ...args);
    if (result >= -1) return result;
    const row = stop[0];
    const until = Math.min(end, row + ${FULL_BLOCK});
    count = full(row, until, -2 - result, stop, ...args);
    if (count < 0 || until === end) return count;
    at = until;
  }
}
function takeMorsels(fast, full, bounds, counter, inputs, empty) {
  const done = [];
  for (let m = Atomics.add(counter, 0, 1); m < bounds.length - 1; m = Atomics.add(counter, 0, 1)) {
    const partial = structuredClone(empty);
    done.push([m, driveLoop(fast, full, bounds[m], bounds[m + 1], [...inputs, ...partial]), partial]);
  }
  return done;
}
return { driveLoop, takeMorsels };`;

type Drive = <Loop>(
  fast: Loop,
  full: Loop | undefined,
  start: number,
  end: number,
  args: readonly unknown[],
) => number;
/** One morsel's run: its index, the loop's result, and its partial (the arrays the loop filled). */
export type MorselRun = [morsel: number, result: number, partial: unknown[]];
type Take = <Loop>(
  fast: Loop,
  full: Loop | undefined,
  bounds: readonly number[],
  counter: Int32Array,
  inputs: readonly unknown[],
  empty: readonly unknown[],
) => MorselRun[];

const { driveLoop, takeMorsels } = new Function(SHARED_SOURCE)() as { driveLoop: Drive; takeMorsels: Take };

/** Runs `fast` (and `full` where it stops) over rows [start, end); the count, or -1 when a loop gave up. */
export { driveLoop };

const HELPER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { takeMorsels } = new Function(${JSON.stringify(SHARED_SOURCE)})();
const loops = new Map();
const compile = (params, source) => source === undefined ? undefined : new Function(...params, source);
parentPort.on('message', ({ id, params, sources, bounds, counter, inputs, empty }) => {
  try {
    const key = sources.fast + '\\n' + (sources.full ?? '');
    let loop = loops.get(key);
    if (!loop) {
      loop = { fast: compile(params, sources.fast), full: compile(params, sources.full) };
      loops.set(key, loop);
      if (loops.size > 64) loops.delete(loops.keys().next().value);
    }
    parentPort.postMessage({ id, runs: takeMorsels(loop.fast, loop.full, bounds, counter, inputs, empty) });
  } catch (error) {
    parentPort.postMessage({ id, error: String(error) });
  }
});
`;

interface Pending {
  readonly resolve: (runs: MorselRun[]) => void;
  readonly reject: (error: unknown) => void;
}

let helper: Worker | undefined;
const pending = new Map<number, Pending>();
let nextId = 0;

function helperThread(): Worker {
  if (helper) return helper;
  const worker = new Worker(HELPER_SOURCE, { eval: true });
  worker.unref();
  worker.on('message', (message: { id: number; runs?: MorselRun[]; error?: string }) => {
    const waiting = pending.get(message.id);
    pending.delete(message.id);
    if (pending.size === 0) worker.unref();
    if (!waiting) return;
    if (message.error !== undefined) waiting.reject(message.error);
    else waiting.resolve(message.runs!);
  });
  const fail = (error: unknown) => {
    if (helper === worker) helper = undefined;
    for (const waiting of pending.values()) waiting.reject(error);
    pending.clear();
  };
  worker.on('error', fail);
  worker.on('exit', (code) => fail(code));
  helper = worker;
  return worker;
}

/** A generated loop as both threads run it: its parameters, its sources, and this thread's compiled functions. */
export interface MorselLoop<Loop> {
  readonly params: readonly string[];
  readonly sources: LoopSources;
  readonly fast: Loop;
  readonly full: Loop | undefined;
}

/**
 * Runs `loop` over the morsels `bounds` on this thread and the helper, each morsel from a copy of
 * `empty` (the partial's arrays, after `inputs` among the loop's arguments); the runs in morsel
 * order. `inputs` must be shared or small: they are sent to the helper.
 */
export async function runMorsels<Loop>(
  loop: MorselLoop<Loop>,
  bounds: readonly number[],
  inputs: readonly unknown[],
  empty: readonly unknown[],
): Promise<MorselRun[]> {
  const counter = new Int32Array(new SharedArrayBuffer(4));
  const helped = new Promise<MorselRun[]>((resolve, reject) => {
    const worker = helperThread();
    const id = nextId++;
    pending.set(id, { resolve, reject });
    worker.ref();
    worker.postMessage({ id, params: loop.params, sources: loop.sources, bounds, counter, inputs, empty });
  }).catch((): MorselRun[] => []);
  const runs = takeMorsels(loop.fast, loop.full, bounds, counter, inputs, empty);
  runs.push(...(await helped));
  // Morsels the helper took but did not give back (it failed): run here.
  const ran = new Set(runs.map(([morsel]) => morsel));
  for (let m = 0; m < bounds.length - 1; m++) {
    if (ran.has(m)) continue;
    const partial = structuredClone(empty) as unknown[];
    runs.push([
      m,
      driveLoop(loop.fast, loop.full, bounds[m]!, bounds[m + 1]!, [...inputs, ...partial]),
      partial,
    ]);
  }
  return runs.sort((a, b) => a[0] - b[0]);
}
