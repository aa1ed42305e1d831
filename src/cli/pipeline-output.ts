/**
 * What `sluice pipeline …` prints: the test preview, the status report and its one-line form
 * (for `status --watch` on a pipe and the run summary), the errors and the list. Rates come
 * from one place: the batch history in `pipelineStatus` (rows over the time from the first
 * batch's start to the last one's end in the window), which the runner's own figures follow.
 */
import type { PipelineStatusReport } from '../loader/pipeline.ts';
import type { RunnerStatus } from '../loader/runner.ts';
import { table } from './format.ts';

type TestResult = Awaited<ReturnType<typeof import('../loader/pipeline.ts').testPipeline>>;
type ErrorRows = Awaited<ReturnType<typeof import('../loader/pipeline.ts').pipelineErrors>>;

export function testText(result: TestResult): string {
  const lines = [
    table(
      ['topic', 'partition', 'offset', ...result.columns],
      result.rows.map((row) => [
        row.topic,
        String(row.partition),
        String(row.offset),
        ...row.values.map((value) => (value === null ? 'NULL' : String(value))),
      ]),
    ),
  ];
  for (const failure of result.failures) {
    lines.push(
      `bad record ${failure.topic}[${failure.partition}]@${failure.offset} (${failure.stage}): ${failure.error}`,
    );
  }
  if (result.filtered > 0) lines.push(`${result.filtered} record(s) filtered out by the transform`);
  return lines.join('\n');
}

/** Totals over the partitions of a status report; rows/s only over partitions with recent batches. */
export function statusTotals(report: PipelineStatusReport) {
  let rowsPerSecond = 0;
  let bytesPerSecond = 0;
  for (const partition of report.partitions) {
    const recent = partition.recent;
    if (recent && recent.seconds > 0) {
      rowsPerSecond += recent.rows / recent.seconds;
      bytesPerSecond += recent.bytes / recent.seconds;
    }
  }
  const sum = (pick: (p: PipelineStatusReport['partitions'][number]) => number | null) =>
    report.partitions.reduce((total, partition) => total + (pick(partition) ?? 0), 0);
  return {
    loaded: sum((p) => p.rowsLoaded),
    duplicates: sum((p) => p.duplicates),
    failed: sum((p) => p.failed),
    filtered: sum((p) => p.filtered),
    lag: report.partitions.some((p) => p.lag === null) ? null : sum((p) => p.lag),
    rowsPerSecond,
    bytesPerSecond,
  };
}

/** "running", or what differs from what was asked and what to do about it. */
export function stateText(report: Pick<PipelineStatusReport, 'state' | 'desiredState' | 'name'>): string {
  if (report.state === report.desiredState) return report.state;
  if (report.desiredState === 'running' && (report.state === 'stopped' || report.state === 'error')) {
    return `${report.state} (wanted: running; no process runs it: sluice pipeline start ${report.name})`;
  }
  return `${report.state} (wanted: ${report.desiredState})`;
}

export function statusText(report: PipelineStatusReport): string {
  const lines = [
    `pipeline ${report.name}: ${stateText(report)}` +
      `${report.owner && report.state !== 'stopped' ? ` on ${report.owner}` : ''}${report.heartbeatAt ? `, heartbeat ${report.heartbeatAt}` : ''}`,
  ];
  if (report.lastError) lines.push(`last error: ${report.lastError}`);
  lines.push(
    table(
      [
        'topic',
        'part',
        'offset',
        'latest',
        'lag',
        'loaded',
        'dup',
        'failed',
        'filtered',
        'rows/s',
        'MB/s',
        'batch ms',
      ],
      report.partitions.map((partition) => {
        const recent = partition.recent;
        const seconds = recent && recent.seconds > 0 ? recent.seconds : undefined;
        return [
          partition.topic,
          String(partition.partition),
          String(partition.offset),
          partition.latest === null ? '-' : String(partition.latest),
          partition.lag === null ? '-' : String(partition.lag),
          String(partition.rowsLoaded),
          String(partition.duplicates),
          String(partition.failed),
          String(partition.filtered),
          seconds ? String(Math.round(recent!.rows / seconds)) : '-',
          seconds ? (recent!.bytes / seconds / 1e6).toFixed(2) : '-',
          recent ? `${Math.round(recent.avgLatencyMs)} avg / ${recent.maxLatencyMs} max` : '-',
        ];
      }),
    ),
  );
  const totals = statusTotals(report);
  lines.push(
    `total: ${totals.loaded} loaded, ${totals.duplicates} dup, ${totals.failed} failed, ${totals.filtered} filtered, lag ${totals.lag ?? '-'}, ` +
      `${Math.round(totals.rowsPerSecond)} rows/s (rates over batches of the last ${report.windowSeconds}s)`,
  );
  return lines.join('\n');
}

/** One line per interval for `status --watch` on a pipe. */
export function statusLine(report: PipelineStatusReport, at = new Date()): string {
  const totals = statusTotals(report);
  return (
    `${at.toISOString()} ${report.name} ${report.state} lag=${totals.lag ?? '-'} loaded=${totals.loaded} ` +
    `failed=${totals.failed} filtered=${totals.filtered} dup=${totals.duplicates} rows/s=${Math.round(totals.rowsPerSecond)}`
  );
}

/** The line a running `pipeline start` prints every few seconds (this process's own figures). */
export function progressLine(status: RunnerStatus): string {
  const sum = (pick: (partition: RunnerStatus['partitions'][number]) => number | null) =>
    status.partitions.reduce((total, partition) => total + (pick(partition) ?? 0), 0);
  return (
    `${status.state}: ${sum((p) => p.rows)} rows loaded, ${sum((p) => p.failed)} failed, ${sum((p) => p.filtered)} filtered, ` +
    `lag ${sum((p) => p.lag)}, ${Math.round(sum((p) => p.rowsPerSecond))} rows/s over ${status.partitions.length} partition(s)`
  );
}

/** The summary after a run: this run's counts, the rate as `status` computes it. */
export function runSummary(
  name: string,
  run: RunnerStatus,
  report: PipelineStatusReport | undefined,
  seconds: number,
  caughtUp: boolean,
): string {
  const sum = (pick: (partition: RunnerStatus['partitions'][number]) => number) =>
    run.partitions.reduce((total, partition) => total + pick(partition), 0);
  const rate = report ? `${Math.round(statusTotals(report).rowsPerSecond)} rows/s` : 'rate unknown';
  const lag = report ? statusTotals(report).lag : sum((p) => p.lag ?? 0);
  return (
    `pipeline '${name}' stopped${caughtUp ? ' (caught up)' : ''}: ${sum((p) => p.rows)} rows loaded, ${sum((p) => p.failed)} failed, ` +
    `${sum((p) => p.filtered)} filtered, ${sum((p) => p.duplicates)} duplicates in ${seconds.toFixed(1)}s; ${rate}, lag ${lag ?? '-'}`
  );
}

export function errorsText(errors: ErrorRows): string {
  return table(
    ['topic', 'part', 'offset', 'seq', 'stage', 'error', 'payload'],
    errors.map((error) => [
      error.topic,
      String(error.partition),
      String(error.offset),
      String(error.seq),
      error.stage,
      error.error.replace(/\s+/g, ' ').slice(0, 100),
      (error.payload ?? 'NULL').replace(/\s+/g, ' ').slice(0, 60),
    ]),
  );
}

export interface ListEntry {
  readonly name: string;
  readonly report?: PipelineStatusReport;
  readonly problem?: string;
}

export function listText(entries: readonly ListEntry[]): string {
  if (entries.length === 0) return 'no pipelines';
  return table(
    ['name', 'state', 'wanted', 'lag', 'loaded', 'failed', 'filtered', 'rows/s'],
    entries.map(({ name, report, problem }) => {
      if (!report) return [name, '?', '?', '-', '-', '-', '-', problem ?? ''];
      const totals = statusTotals(report);
      return [
        name,
        report.state,
        report.desiredState,
        totals.lag === null ? '-' : String(totals.lag),
        String(totals.loaded),
        String(totals.failed),
        String(totals.filtered),
        String(Math.round(totals.rowsPerSecond)),
      ];
    }),
  );
}
