/**
 * Transforms between a batch's records and the format decoder: a JS module on piscina worker
 * threads, or any program over stdin/stdout with SingleStore's framing (each record as an
 * 8-byte little-endian length and the payload; rows come back as lines).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { Piscina } from 'piscina';
import { SluiceError } from '../base/errors.ts';
import { workerBundle } from '../runtime/worker-bundle.ts';
import type { SourceRecord, TransformInput, TransformResult, TransformTask } from './record.ts';
import type { TransformSpec } from './spec.ts';

export interface Transformer {
  /** One result per record, in order; for a program, one result for the whole batch. */
  run(topic: string, partition: number, records: readonly SourceRecord[]): Promise<TransformerAnswer>;
  close(): Promise<void>;
}

/** Per-record answers (JS), or lines for the batch as a whole (program: no record attribution). */
export type TransformerAnswer =
  | { readonly kind: 'per-record'; readonly results: readonly TransformResult[] }
  | { readonly kind: 'lines'; readonly lines: readonly string[] };

export function createTransformer(spec: TransformSpec, baseDir = process.cwd()): Transformer {
  return spec.kind === 'js'
    ? jsTransformer(path.resolve(baseDir, spec.module), spec.per, spec.threads)
    : programTransformer(spec.command, spec.args, spec.timeoutMs, baseDir);
}

/** Records per worker task: big enough that thread hand-off costs little per record. */
const SLICE = 2000;

function jsTransformer(module: string, per: 'record' | 'batch', threads: number): Transformer {
  // Built on the first batch, so a pipeline that never receives a record starts no thread.
  let pool: Promise<Piscina> | undefined;
  const workers = (): Promise<Piscina> => {
    pool ??= workerBundle('workers/transform.ts').then(
      (filename) => new Piscina({ filename, minThreads: 1, maxThreads: threads }),
    );
    // A failed build is not kept: the next batch tries again.
    pool.catch(() => {
      pool = undefined;
    });
    return pool;
  };
  return {
    async run(topic, partition, records) {
      const inputs = records.map((record) => transformInput(topic, partition, record));
      const slices: TransformInput[][] = [];
      // A batch transform sees the whole batch; per-record work is spread over the threads.
      const size = per === 'batch' ? inputs.length : SLICE;
      for (let start = 0; start < inputs.length; start += size)
        slices.push(inputs.slice(start, start + size));
      const answers = await workers()
        .then((running) =>
          Promise.all(
            slices.map((slice) => running.run({ module, per, records: slice } satisfies TransformTask)),
          ),
        )
        .catch((error: unknown) => {
          const message = `transform ${module} failed: ${(error as Error).message}`;
          throw new SluiceError('TRANSFORM_FAILED', message, { cause: error });
        });
      return { kind: 'per-record', results: (answers as TransformResult[][]).flat() };
    },
    close: async () => {
      if (pool) await (await pool).destroy();
    },
  };
}

function transformInput(topic: string, partition: number, record: SourceRecord): TransformInput {
  return {
    topic,
    partition,
    offset: record.offset,
    key: record.key === null ? null : record.key.toString('utf8'),
    value: record.value === null ? null : record.value.toString('utf8'),
    timestamp: record.timestamp,
  };
}

/** The bytes a program transform reads for a batch: per record, u64 LE length, then the payload. */
export function frameRecords(records: readonly SourceRecord[]): Buffer {
  const parts: Buffer[] = [];
  for (const record of records) {
    const payload = record.value ?? Buffer.alloc(0);
    const header = Buffer.alloc(8);
    header.writeBigUInt64LE(BigInt(payload.length));
    parts.push(header, payload);
  }
  return Buffer.concat(parts);
}

/** Lines of a program's output; a final line without a newline counts, a trailing newline does not. */
export function splitLines(output: string): string[] {
  const lines = output.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
}

function programTransformer(
  command: string,
  args: readonly string[],
  timeoutMs: number,
  cwd: string,
): Transformer {
  return {
    run(_topic, _partition, records) {
      // One process per batch, as SingleStore does: stdin closes at the end of the batch.
      return new Promise((resolve, reject) => {
        const child = spawn(command, [...args], { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
        const stdout: Buffer[] = [];
        const stderr: Buffer[] = [];
        const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
        child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
        child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
        // A program that exits without reading all of stdin is judged by its exit code, not EPIPE.
        child.stdin.on('error', () => undefined);
        child.on('error', (error) => {
          clearTimeout(timer);
          reject(new SluiceError('TRANSFORM_FAILED', `cannot run transform '${command}': ${error.message}`));
        });
        child.on('close', (code, signal) => {
          clearTimeout(timer);
          if (code !== 0) {
            const tail = Buffer.concat(stderr).toString('utf8').trim().split('\n').slice(-5).join('\n');
            reject(
              new SluiceError(
                'TRANSFORM_FAILED',
                `transform '${command}' exited with ${signal ?? `code ${code}`}${tail ? `: ${tail}` : ''}`,
              ),
            );
            return;
          }
          resolve({ kind: 'lines', lines: splitLines(Buffer.concat(stdout).toString('utf8')) });
        });
        child.stdin.end(frameRecords(records));
      });
    },
    close: async () => undefined,
  };
}
