/**
 * Morsels: a generated loop over a large batch runs on two threads, the first half of the rows
 * here and the second half on a helper thread, each into its own partial result that the caller
 * merges (a reduction: group counts and sums). Only where it pays: enough rows times work per row
 * to outweigh a message each way (about 0.1 ms) and, the first time a column is met, its copy
 * into shared memory (a cached frame's columns are copied once and reused by every later action).
 *
 * The helper is one worker thread started on first use from a few lines of plain JavaScript: it
 * compiles each loop source once (as this thread does) and runs it on the shared columns. Its
 * arguments cross by structured clone (literals, the small per-group arrays) or by sharing (the
 * columns); its answer is the loop's result and the arguments it filled. It holds the process
 * open only while it works. A helper that fails or dies leaves the caller to run the second half
 * itself, with the same answer.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/** Rows × nodes per row below which one thread runs the loop (~ a few milliseconds of work). */
const MIN_WORK = 1 << 24;
/** Rows below which one thread runs the loop, whatever its work per row. */
const MIN_ROWS = 1 << 16;

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

/** Where the rows split into two morsels ([0, at) here, [at, length) on the helper), or undefined for one. */
export function splitPoint(length: number, nodesPerRow: number): number | undefined {
  if (length < minRows || length * nodesPerRow < minWork || availableParallelism() < 2) return undefined;
  return length >> 1;
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
 * Runs a fast loop from `start`; at each row it stops at, the full loop takes that row and the
 * rest of its block, and the fast one goes on after. Source text, so the helper thread runs the
 * very same driver.
 */
const DRIVER_SOURCE = `
return function driveLoop(fast, full, start, end, args) {
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
};`;

/** Runs `fast` (and `full` where it stops) over rows [start, end); the count, or -1 when a loop gave up. */
export const driveLoop = new Function(DRIVER_SOURCE)() as <Loop>(
  fast: Loop,
  full: Loop | undefined,
  start: number,
  end: number,
  args: readonly unknown[],
) => number;

const HELPER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const driveLoop = new Function(${JSON.stringify(DRIVER_SOURCE)})();
const loops = new Map();
const compile = (params, source) => source === undefined ? undefined : new Function(...params, source);
parentPort.on('message', ({ id, params, sources, start, end, args }) => {
  try {
    const key = sources.fast + '\\n' + (sources.full ?? '');
    let loop = loops.get(key);
    if (!loop) {
      loop = { fast: compile(params, sources.fast), full: compile(params, sources.full) };
      loops.set(key, loop);
      if (loops.size > 64) loops.delete(loops.keys().next().value);
    }
    const result = driveLoop(loop.fast, loop.full, start, end, args);
    parentPort.postMessage({ id, result, args });
  } catch (error) {
    parentPort.postMessage({ id, error: String(error) });
  }
});
`;

interface Pending {
  readonly resolve: (answer: { result: number; args: unknown[] }) => void;
  readonly reject: (error: unknown) => void;
}

let helper: Worker | undefined;
const pending = new Map<number, Pending>();
let nextId = 0;

function helperThread(): Worker {
  if (helper) return helper;
  const worker = new Worker(HELPER_SOURCE, { eval: true });
  worker.unref();
  worker.on('message', (message: { id: number; result?: number; args?: unknown[]; error?: string }) => {
    const waiting = pending.get(message.id);
    pending.delete(message.id);
    if (pending.size === 0) worker.unref();
    if (!waiting) return;
    if (message.error !== undefined) waiting.reject(message.error);
    else waiting.resolve({ result: message.result!, args: message.args! });
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

/**
 * Runs a generated loop (`sources`, functions of `params`) over rows [start, end) on the helper
 * thread with `args`; resolves to its result and its `args` as the helper left them (the arrays it
 * filled).
 */
export function runOnHelper(
  params: readonly string[],
  sources: LoopSources,
  start: number,
  end: number,
  args: readonly unknown[],
): Promise<{ result: number; args: unknown[] }> {
  return new Promise((resolve, reject) => {
    const worker = helperThread();
    const id = nextId++;
    pending.set(id, { resolve, reject });
    worker.ref();
    worker.postMessage({ id, params, sources, start, end, args });
  });
}
