/**
 * `sluice pipeline …`: create, start (in the foreground), stop, pause, resume, drop, test,
 * status, errors, list. Every command but create and test finds the pipeline through the state
 * database: --db URL (or SLUICE_DB_URL), the single server or the Spider head of the target.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { type DbEndpoint, parseDbUrl } from '../db/endpoint.ts';
import { ConfigError, UsageError } from '../errors.ts';
import {
  createPipeline,
  dropPipeline,
  getPipeline,
  listPipelines,
  pipelineErrors,
  pipelineStatus,
  setPipelineState,
  startPipeline,
  testPipeline,
} from '../loader/pipeline.ts';
import type { RunnerStatus } from '../loader/runner.ts';
import { table } from './format.ts';
import { unknownCommand } from './usage.ts';

export const PIPELINE_USAGE = `usage: sluice pipeline <command> [options]

commands:
  create SPEC.json          check the spec, create sluice's tables, store the pipeline (stopped)
  start NAME                run the pipeline in this process until it is stopped (Ctrl-C stops it)
  stop | pause | resume NAME
                            tell the running pipeline what to do (it follows within a second)
  drop NAME                 delete the pipeline, its offsets, batches and errors (loaded rows stay)
  test SPEC.json|NAME       read a few records, transform and decode them, show the rows; writes nothing
  status NAME               state, offsets, latest offsets and lag, rows/s and batch latency per partition
  errors NAME               the bad records kept: topic, partition, offset, stage, error, payload
  list                      the pipelines in the state database

options:
  --db URL                  the state database: the target server or Spider head (or SLUICE_DB_URL)
  --limit N                 test: records to read (default 5); errors: rows to show (default 100)
  --until-caught-up         start: stop once every partition has reached the latest offset
  --json                    machine-readable output on stdout`;

const OPTIONS = {
  db: { type: 'string' },
  limit: { type: 'string' },
  'until-caught-up': { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function runPipelineCommand(argv: readonly string[]): Promise<number> {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${PIPELINE_USAGE}`);
  }
  const { values, positionals } = parsed;
  const [command, target, ...extra] = positionals;
  if (values.help || command === undefined) {
    process.stdout.write(`${PIPELINE_USAGE}\n`);
    return values.help ? 0 : 2;
  }
  if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'\n\n${PIPELINE_USAGE}`);
  const json = values.json ?? false;
  const out = (text: string) => process.stdout.write(`${text}\n`);
  const needTarget = (what: string): string => {
    if (!target) throw new UsageError(`pipeline ${command} needs ${what}\n\n${PIPELINE_USAGE}`);
    return target;
  };
  const limit = values.limit === undefined ? undefined : Number(values.limit);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
    throw new UsageError(`--limit must be a positive integer, not '${values.limit}'`);
  }

  switch (command) {
    case 'create': {
      const file = needTarget('a spec file');
      const spec = await createPipeline(await readSpec(file), { baseDir: path.dirname(path.resolve(file)) });
      out(json ? JSON.stringify({ created: spec.name }) : `created pipeline '${spec.name}' (stopped)`);
      return 0;
    }
    case 'start':
      return start(
        stateDb(values.db),
        needTarget('a pipeline name'),
        values['until-caught-up'] ?? false,
        json,
      );
    case 'stop':
    case 'pause':
    case 'resume': {
      const name = needTarget('a pipeline name');
      const desired = command === 'stop' ? 'stopped' : command === 'pause' ? 'paused' : 'running';
      await setPipelineState(stateDb(values.db), name, desired);
      out(
        json ? JSON.stringify({ pipeline: name, desiredState: desired }) : `pipeline '${name}': ${desired}`,
      );
      return 0;
    }
    case 'drop': {
      const name = needTarget('a pipeline name');
      await dropPipeline(stateDb(values.db), name);
      out(json ? JSON.stringify({ dropped: name }) : `dropped pipeline '${name}'`);
      return 0;
    }
    case 'test': {
      const what = needTarget('a spec file or a pipeline name');
      const fromFile = what.endsWith('.json');
      const spec = fromFile ? await readSpec(what) : await getPipeline(stateDb(values.db), what);
      const result = await testPipeline(spec, {
        limit: limit ?? 5,
        baseDir: fromFile ? path.dirname(path.resolve(what)) : process.cwd(),
      });
      if (json) {
        out(JSON.stringify(result));
      } else {
        out(
          table(
            ['topic', 'partition', 'offset', ...result.columns],
            result.rows.map((row) => [
              row.topic,
              String(row.partition),
              String(row.offset),
              ...row.values.map((value) => (value === null ? 'NULL' : String(value))),
            ]),
          ),
        );
        for (const failure of result.failures) {
          out(
            `bad record ${failure.topic}[${failure.partition}]@${failure.offset} (${failure.stage}): ${failure.error}`,
          );
        }
        if (result.filtered > 0) out(`${result.filtered} record(s) filtered out by the transform`);
      }
      return 0;
    }
    case 'status': {
      const report = await pipelineStatus(stateDb(values.db), needTarget('a pipeline name'));
      if (json) {
        out(JSON.stringify(report));
        return 0;
      }
      out(
        `pipeline ${report.name}: ${report.state} (wanted: ${report.desiredState})` +
          `${report.owner ? ` on ${report.owner}` : ''}${report.heartbeatAt ? `, heartbeat ${report.heartbeatAt}` : ''}`,
      );
      if (report.lastError) out(`last error: ${report.lastError}`);
      out(
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
      out(`(rates over batches of the last ${report.windowSeconds}s)`);
      return 0;
    }
    case 'errors': {
      const errors = await pipelineErrors(stateDb(values.db), needTarget('a pipeline name'), limit ?? 100);
      if (json) {
        out(JSON.stringify(errors));
        return 0;
      }
      out(
        table(
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
        ),
      );
      return 0;
    }
    case 'list': {
      const names = await listPipelines(stateDb(values.db));
      out(json ? JSON.stringify(names) : names.length > 0 ? names.join('\n') : 'no pipelines');
      return 0;
    }
    default:
      throw unknownCommand(command, PIPELINE_USAGE, 'sluice pipeline');
  }
}

function stateDb(url: string | undefined): DbEndpoint {
  const value = url ?? process.env.SLUICE_DB_URL;
  if (!value) throw new UsageError('give the state database with --db URL (or SLUICE_DB_URL)');
  return parseDbUrl(value, url ? '--db' : 'SLUICE_DB_URL');
}

async function readSpec(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new ConfigError(`cannot read pipeline spec '${file}': ${(cause as Error).message}`, { cause });
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new ConfigError(`pipeline spec '${file}' is not JSON: ${(cause as Error).message}`, { cause });
  }
}

/** Runs until stopped (desired state, SIGINT/SIGTERM, or caught up); prints a line per 5 s. */
async function start(
  state: DbEndpoint,
  name: string,
  untilCaughtUp: boolean,
  json: boolean,
): Promise<number> {
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const runner = await startPipeline(state, name, { untilCaughtUp, log });
  log(`pipeline '${name}' running as ${runner.owner}`);
  const stop = () => void runner.stop();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const ticker = setInterval(() => log(progressLine(runner.status())), 5000);
  try {
    await runner.done;
    const status = runner.status();
    if (json) process.stdout.write(`${JSON.stringify(status)}\n`);
    else log(`pipeline '${name}' stopped; ${progressLine(status)}`);
    return 0;
  } catch (error) {
    if (json) process.stdout.write(`${JSON.stringify(runner.status())}\n`);
    throw error;
  } finally {
    clearInterval(ticker);
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

function progressLine(status: RunnerStatus): string {
  const sum = (pick: (partition: RunnerStatus['partitions'][number]) => number | null) =>
    status.partitions.reduce((total, partition) => total + (pick(partition) ?? 0), 0);
  return (
    `${status.state}: ${sum((p) => p.rows)} rows loaded, ${sum((p) => p.failed)} failed, lag ${sum((p) => p.lag)}, ` +
    `${Math.round(sum((p) => p.rowsPerSecond))} rows/s over ${status.partitions.length} partition(s)`
  );
}
