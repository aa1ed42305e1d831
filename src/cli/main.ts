import { parseArgs } from 'node:util';
import { describeError, UsageError } from '../base/errors.ts';
import { resolveStackConfig, type StackOptions } from '../config/stack.ts';
import { stackJson, stackTable } from './format.ts';
import { argumentError, packageVersion, unknownCommand } from './usage.ts';

const USAGE = `usage: sluice <command> [options]

commands:
  demo [--scale S]          the predictive-maintenance job end to end on the local stack
  stack up                  start the local stack (idempotent); prints the endpoints
  stack down [--purge]      stop the processes the stack started; --purge also deletes their data
  stack status              show what runs and answers (exit code 3 if something does not)
  pipeline ...              Kafka → database pipelines (sluice pipeline --help)
  query "SQL"               run SQL, print a table or write csv/json/ndjson/arrow/parquet (--help)
  explain "SQL"             the plan, the SQL pushed to the database and the local steps
  load FILE TABLE           bulk-load a csv/tsv/ndjson/arrow/parquet file into a table (--help)
  shell                     an interactive SQL prompt with history and table output
  bench ml ...              the multi-pass ML feature benchmark (sluice bench ml --help)
  serve                     the HTTP query service, pipelines API and console (sluice serve --help)

options:
  --home DIR                stack folder (default ./.sluice, or SLUICE_HOME)
  --topology T              all | single | cluster (default all, or SLUICE_TOPOLOGY)
  --leaves N                Spider leaf servers in the cluster (default 2, or SLUICE_LEAVES)
  --skip-kafka              do not run a Kafka broker
  --port-base N|auto        first MariaDB port: single, head, leaves follow (default 13306)
  --kafka-port N|auto       Kafka client port; the controller takes the next (default 19092)
  --json                    machine-readable output on stdout (progress goes to stderr)
  -h, --help                this text
  -V, --version             the version of sluice

environment: SLUICE_DB_URL, SLUICE_CLUSTER_URLS (head first, then leaves) and
SLUICE_KAFKA_BROKERS point sluice at running services; it then starts nothing for them.
SLUICE_NO_INSTALL=1 forbids installing MariaDB, Java or Maven with apt-get.`;

const OPTIONS = {
  home: { type: 'string' },
  topology: { type: 'string' },
  leaves: { type: 'string' },
  'skip-kafka': { type: 'boolean' },
  'port-base': { type: 'string' },
  'kafka-port': { type: 'string' },
  purge: { type: 'boolean' },
  json: { type: 'boolean' },
  scale: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const;

/** Commands that parse their own options, each in its own file. */
const COMMANDS: Record<string, (argv: readonly string[]) => Promise<number>> = {
  // Loaded when used: `sluice --help` need not load the driver, Kafka and Arrow.
  pipeline: async (argv) => (await import('./pipeline.ts')).runPipelineCommand(argv),
  query: async (argv) => (await import('./query.ts')).runQueryCommand(argv),
  explain: async (argv) => (await import('./query.ts')).runExplainCommand(argv),
  load: async (argv) => (await import('./load.ts')).runLoadCommand(argv),
  bench: async (argv) => (await import('./bench-ml.ts')).runBenchCommand(argv),
  shell: async (argv) => (await import('./shell.ts')).runShellCommand(argv),
  serve: async (argv) => (await import('./serve.ts')).runServeCommand(argv),
};

/** Runs one command line; returns the exit code. Errors are printed for a person, not as a stack trace. */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    return await dispatch(argv);
  } catch (error) {
    process.stderr.write(`sluice: ${describeError(error)}\n`);
    if (process.env.SLUICE_DEBUG === '1' && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    return error instanceof UsageError ? 2 : 1;
  }
}

async function dispatch(argv: readonly string[]): Promise<number> {
  // These commands have options of their own.
  const own = COMMANDS[argv[0] ?? ''];
  if (own) return own(argv.slice(1));
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw argumentError(error, OPTIONS);
  }
  const { values, positionals } = parsed;
  if (values.version) {
    process.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  if (values.help || positionals.length === 0) {
    process.stdout.write(`${USAGE}\n`);
    return positionals.length === 0 && !values.help ? 2 : 0;
  }
  const options: StackOptions = {
    home: values.home,
    topology: values.topology,
    leaves: values.leaves,
    portBase: values['port-base'],
    kafkaPort: values['kafka-port'],
    ...(values['skip-kafka'] ? { kafka: false } : {}),
  };
  const config = resolveStackConfig(options);
  const progress = (message: string) => process.stderr.write(`${message}\n`);
  const command = positionals.join(' ');

  switch (command) {
    case 'stack up': {
      const { stackUp } = await import('../stack/stack.ts');
      const report = await stackUp(config, progress).catch((error: unknown) => {
        progress(
          `servers that did start keep running for inspection; stop them with: sluice stack down --home ${config.home}`,
        );
        throw error;
      });
      process.stdout.write(`${values.json ? stackJson(report) : stackTable(report)}\n`);
      return report.components.every((component) => component.answering) ? 0 : 3;
    }
    case 'stack down': {
      const { stackDown } = await import('../stack/stack.ts');
      const stopped = await stackDown(config, { purge: values.purge ?? false }, progress);
      if (values.json) process.stdout.write(`${JSON.stringify({ stopped })}\n`);
      else
        process.stdout.write(
          stopped.length > 0 ? `stopped: ${stopped.join(', ')}\n` : 'nothing was running\n',
        );
      return 0;
    }
    case 'stack status': {
      const { stackStatus } = await import('../stack/stack.ts');
      const report = await stackStatus(config);
      process.stdout.write(`${values.json ? stackJson(report) : stackTable(report)}\n`);
      return report.components.every((component) => component.answering) ? 0 : 3;
    }
    case 'demo':
      return (await import('./demo.ts')).runDemo(
        config,
        progress,
        values.scale === undefined ? {} : { scale: Number(values.scale) },
      );
    default:
      throw unknownCommand(command, USAGE);
  }
}
