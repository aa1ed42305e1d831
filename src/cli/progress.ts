/**
 * Progress of a long read or load, on stderr, only when stderr is a terminal: rows, MB, rows/s
 * and an ETA when the total is known (a file being loaded). On a pipe or with --quiet nothing is
 * printed, so output stays clean for programs. The line is redrawn at most 5 times a second and
 * only after the first second, so quick commands show nothing at all.
 */
import type { RecordBatch } from 'apache-arrow';

export interface ProgressOptions {
  readonly quiet?: boolean;
  /** Defaults to process.stderr; tests pass a fake terminal. */
  readonly stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** What is being counted, e.g. 'read' or 'loaded'. */
  readonly verb: string;
}

export class Progress {
  private rows = 0;
  private bytes = 0;
  private doneBytes?: number;
  private totalBytes?: number;
  private readonly started = performance.now();
  private lastDraw = 0;
  private drawn = false;
  private readonly stream: NodeJS.WritableStream & { isTTY?: boolean };
  private readonly enabled: boolean;

  constructor(private readonly options: ProgressOptions) {
    this.stream = options.stream ?? process.stderr;
    this.enabled = !options.quiet && this.stream.isTTY === true;
  }

  /** Counts rows and bytes; `position`/`total` (bytes of an input file) give the ETA. */
  add(rows: number, bytes: number, position?: { done: number; total: number }): void {
    this.rows += rows;
    this.bytes += bytes;
    if (position) {
      this.doneBytes = position.done;
      this.totalBytes = position.total;
    }
    if (!this.enabled) return;
    const now = performance.now();
    if (now - this.started < 1000 || now - this.lastDraw < 200) return;
    this.lastDraw = now;
    this.draw(now);
  }

  addBatch(batch: RecordBatch): void {
    this.add(batch.numRows, batchBytes(batch));
  }

  /** Clears the line so the command's own output starts on a clean line. */
  finish(): void {
    if (this.enabled && this.drawn) this.stream.write('\r\x1b[2K');
    this.drawn = false;
  }

  get summary(): { rows: number; bytes: number; seconds: number } {
    return { rows: this.rows, bytes: this.bytes, seconds: (performance.now() - this.started) / 1000 };
  }

  private draw(now: number): void {
    const seconds = (now - this.started) / 1000;
    const rate = this.rows / seconds;
    let line = `${this.options.verb} ${this.rows.toLocaleString('en-US')} rows, ${(this.bytes / 1e6).toFixed(1)} MB, ${Math.round(rate).toLocaleString('en-US')} rows/s`;
    if (this.totalBytes && this.doneBytes !== undefined && this.doneBytes > 0) {
      const fraction = Math.min(1, this.doneBytes / this.totalBytes);
      const eta = (seconds / fraction) * (1 - fraction);
      line += `, ${Math.round(fraction * 100)} %, ETA ${formatSeconds(eta)}`;
    }
    this.stream.write(`\r\x1b[2K${line}`);
    this.drawn = true;
  }
}

function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${Math.ceil(seconds)}s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes}m${String(Math.ceil(seconds % 60)).padStart(2, '0')}s`;
}

/** Bytes held by a batch's buffers (values, offsets, validity), children included. */
export function batchBytes(batch: RecordBatch): number {
  let total = 0;
  const visit = (data: {
    values?: ArrayLike<unknown> & { byteLength?: number };
    valueOffsets?: { byteLength: number };
    nullBitmap?: { byteLength: number };
    children: readonly unknown[];
  }) => {
    total += data.values?.byteLength ?? 0;
    total += data.valueOffsets?.byteLength ?? 0;
    total += data.nullBitmap?.byteLength ?? 0;
    for (const child of data.children) visit(child as typeof data);
  };
  for (const child of batch.data.children) visit(child as unknown as Parameters<typeof visit>[0]);
  return total;
}
