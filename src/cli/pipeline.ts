/**
 * `sluice pipeline …`: create, start (in the foreground), stop, pause, resume, drop, test,
 * status (also --watch), errors, list. A pipeline lives in its state database: the single
 * server or the Spider head of its target. That database is `--db URL`, else `--source NAME`,
 * else the target of the spec file given in place of NAME, else the default named source or
 * SLUICE_DB_URL. Rendering is in pipeline-output.ts.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError, UsageError } from '../base/errors.ts';
import { resolveDatabase } from '../config/sources.ts';
import { withSession } from '../db/driver.ts';
import { type DbEndpoint, parseDbUrl } from '../db/endpoint.ts';
import {
  createPipeline,
  dropPipeline,
  pipelineErrors,
  pipelineStatus,
  setPipelineState,
  startPipeline,
  testPipeline,
} from '../loader/pipeline.ts';
import { listPipelineNames, readPipeline } from '../loader/state.ts';
import { parseCommand, positiveInteger } from './common.ts';
import {
  errorsText,
  type ListEntry,
  listText,
  progressLine,
  runSummary,
  statusLine,
  statusText,
  testText,
} from './pipeline-output.ts';
import { unknownCommand } from './usage.ts';

export const PIPELINE_USAGE = `usage: sluice pipeline <command> [options]

commands:
  create SPEC.json          check the spec, create sluice's tables, store the pipeline (stopped)
  start NAME|SPEC.json      run the pipeline in this process until it is stopped (Ctrl-C stops it)
  stop | pause | resume NAME|SPEC.json
                            tell the running pipeline what to do (it follows within a second)
  drop NAME|SPEC.json       delete the pipeline, its offsets, batches and errors (loaded rows stay)
  test SPEC.json|NAME       read a few records, transform and decode them, show the rows; writes nothing
  status NAME|SPEC.json     state, offsets, latest offsets and lag, rows/s and batch latency per partition
  errors NAME|SPEC.json     the bad records kept: topic, partition, offset, stage, error, payload
  list                      the pipelines in the state database, with state, lag and rate

options:
  --db URL                  the state database: the target server or Spider head. Default: the
                            target of SPEC.json, else the default source, else SLUICE_DB_URL
  -s, --source NAME         the state database as a named source (sluice.config.json, SLUICE_SOURCE_<NAME>)
  --config FILE             the sources file (default ./sluice.config.json)
  --limit N                 test: records to read (default 5); errors: rows to show (default 100)
  --until-caught-up         start: stop once every partition has reached the latest offset
  --watch                   status: redraw every --interval seconds (a line per interval on a pipe)
  --interval S              status --watch: seconds between refreshes (default 2)
  --count N                 status --watch: stop after N refreshes
  --json                    machine-readable output on stdout`;

const OPTIONS = {
  db: { type: 'string' },
  source: { type: 'string', short: 's' },
  config: { type: 'string' },
  limit: { type: 'string' },
  'until-caught-up': { type: 'boolean' },
  watch: { type: 'boolean' },
  interval: { type: 'string' },
  count: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseCommand<typeof OPTIONS>>['values'];

interface Invocation {
  readonly values: Values;
  /** The NAME or SPEC.json argument. */
  readonly target: string | undefined;
  readonly json: boolean;
  readonly out: (text: string) => void;
}

type Handler = (call: Invocation) => Promise<number>;

const HANDLERS: Record<string, Handler> = {
  async create({ target, json, out }) {
    const file = need(target, 'create', 'a spec file');
    const spec = await createPipeline(await readSpec(file), { baseDir: path.dirname(path.resolve(file)) });
    out(json ? JSON.stringify({ created: spec.name }) : `created pipeline '${spec.name}' (stopped)`);
    return 0;
  },
  async start(call) {
    const { state, name } = await locate(call, 'start');
    return start(state, name, call.values['until-caught-up'] ?? false, call.json);
  },
  stop: (call) => setState(call, 'stop', 'stopped'),
  pause: (call) => setState(call, 'pause', 'paused'),
  resume: (call) => setState(call, 'resume', 'running'),
  async drop(call) {
    const { state, name } = await locate(call, 'drop');
    await dropPipeline(state, name);
    call.out(call.json ? JSON.stringify({ dropped: name }) : `dropped pipeline '${name}'`);
    return 0;
  },
  async test({ values, target, json, out }) {
    const what = need(target, 'test', 'a spec file or a pipeline name');
    const fromFile = what.endsWith('.json');
    const spec = fromFile
      ? await readSpec(what)
      : await withSession(
          await stateDb(values, undefined),
          async (session) => (await readPipeline(session, what)).spec,
        );
    const result = await testPipeline(spec, {
      limit: positiveInteger(values.limit, '--limit') ?? 5,
      baseDir: fromFile ? path.dirname(path.resolve(what)) : process.cwd(),
    });
    out(json ? JSON.stringify(result) : testText(result));
    return 0;
  },
  async status(call) {
    const { state, name } = await locate(call, 'status');
    if (call.values.watch) return watch(state, name, call);
    const report = await pipelineStatus(state, name);
    call.out(call.json ? JSON.stringify(report) : statusText(report));
    return 0;
  },
  async errors(call) {
    const { state, name } = await locate(call, 'errors');
    const errors = await pipelineErrors(state, name, positiveInteger(call.values.limit, '--limit') ?? 100);
    call.out(call.json ? JSON.stringify(errors) : errorsText(errors));
    return 0;
  },
  async list({ values, json, out }) {
    const state = await stateDb(values, undefined);
    const names = await withSession(state, async (session) =>
      listPipelineNames(session).catch(() => [] as string[]),
    );
    const entries: ListEntry[] = await Promise.all(
      names.map(async (name) => {
        try {
          return { name, report: await pipelineStatus(state, name) };
        } catch (error) {
          return { name, problem: (error as Error).message };
        }
      }),
    );
    out(
      json
        ? JSON.stringify(entries.map(({ name, report, problem }) => ({ name, ...report, problem })))
        : listText(entries),
    );
    return 0;
  },
};

export async function runPipelineCommand(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommand(argv, OPTIONS, PIPELINE_USAGE);
  const [command, target, ...extra] = positionals;
  if (values.help || command === undefined) {
    process.stdout.write(`${PIPELINE_USAGE}\n`);
    return values.help ? 0 : 2;
  }
  if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'\n\n${PIPELINE_USAGE}`);
  const handler = HANDLERS[command];
  if (!handler) throw unknownCommand(command, PIPELINE_USAGE, 'sluice pipeline');
  const out = (text: string) => process.stdout.write(`${text}\n`);
  return handler({ values, target, json: values.json ?? false, out });
}

function need(target: string | undefined, command: string, what: string): string {
  if (!target) throw new UsageError(`pipeline ${command} needs ${what}\n\n${PIPELINE_USAGE}`);
  return target;
}

async function setState(call: Invocation, command: string, desired: 'stopped' | 'paused' | 'running') {
  const { state, name } = await locate(call, command);
  await setPipelineState(state, name, desired);
  call.out(
    call.json ? JSON.stringify({ pipeline: name, desiredState: desired }) : `pipeline '${name}': ${desired}`,
  );
  return 0;
}

/** The pipeline's name and state database, from NAME or a spec file and the options. */
async function locate(call: Invocation, command: string): Promise<{ state: DbEndpoint; name: string }> {
  const target = need(call.target, command, 'a pipeline name or its spec file');
  if (!target.endsWith('.json')) return { state: await stateDb(call.values, undefined), name: target };
  const spec = (await readSpec(target)) as {
    name?: unknown;
    target?: { url?: unknown; cluster?: { head?: unknown } };
  };
  if (typeof spec.name !== 'string') throw new ConfigError(`pipeline spec '${target}' has no name`);
  const url = spec.target?.url ?? spec.target?.cluster?.head;
  return { state: await stateDb(call.values, typeof url === 'string' ? url : undefined), name: spec.name };
}

/** --db, --source, the spec's target, then the default source or SLUICE_DB_URL. */
async function stateDb(values: Values, specTarget: string | undefined): Promise<DbEndpoint> {
  if (values.db !== undefined) return parseDbUrl(values.db, '--db');
  if (values.source !== undefined || specTarget === undefined) {
    const source = await resolveDatabase({ source: values.source, configPath: values.config });
    if (source) return source.endpoint;
  }
  if (specTarget !== undefined) return parseDbUrl(specTarget, 'the spec target');
  throw new UsageError(
    'which state database? give --db URL (the target server or Spider head), --source NAME, the spec file instead of the name, or set SLUICE_DB_URL',
  );
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

/**
 * Runs until stopped (desired state, SIGINT/SIGTERM, or caught up); prints a line per 5 s and a
 * summary whose rate is the one `status` shows.
 */
async function start(
  state: DbEndpoint,
  name: string,
  untilCaughtUp: boolean,
  json: boolean,
): Promise<number> {
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const started = performance.now();
  const runner = await startPipeline(state, name, { untilCaughtUp, log });
  log(`pipeline '${name}' running as ${runner.owner}`);
  let interrupted = false;
  const stop = () => {
    interrupted = true;
    void runner.stop();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const ticker = setInterval(() => log(progressLine(runner.status())), 5000);
  try {
    await runner.done;
    const status = runner.status();
    const caughtUp = untilCaughtUp && !interrupted && status.state === 'stopped';
    // A run that ends because it caught up is finished: nothing wants it running any more, so
    // `status` says "stopped" rather than "stopped (wanted: running)".
    if (caughtUp) await setPipelineState(state, name, 'stopped');
    const report = await pipelineStatus(state, name).catch(() => undefined);
    if (json) process.stdout.write(`${JSON.stringify({ ...status, caughtUp, status: report })}\n`);
    else log(runSummary(name, status, report, (performance.now() - started) / 1000, caughtUp));
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

/** `status --watch`: a live view on a terminal, a line per interval on a pipe. */
async function watch(state: DbEndpoint, name: string, call: Invocation): Promise<number> {
  const seconds = Number(call.values.interval ?? 2);
  if (!(seconds > 0))
    throw new UsageError(`--interval must be a positive number of seconds, not '${call.values.interval}'`);
  const count = positiveInteger(call.values.count, '--count');
  const tty = process.stdout.isTTY === true && !call.json;
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    for (let refresh = 1; !controller.signal.aborted; refresh++) {
      const report = await pipelineStatus(state, name);
      if (call.json) call.out(JSON.stringify(report));
      else if (tty)
        process.stdout.write(`\x1b[2J\x1b[H${statusText(report)}\n\nevery ${seconds}s; Ctrl-C to stop\n`);
      else call.out(statusLine(report));
      if (count !== undefined && refresh >= count) break;
      await sleep(seconds * 1000, undefined, { signal: controller.signal }).catch(() => undefined);
    }
    return 0;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
