import { parseArgs } from 'node:util';
import { resolveStackConfig, type StackOptions } from '../config.ts';
import { describeError, UsageError } from '../errors.ts';
import { stackDown, stackStatus, stackUp } from '../stack/stack.ts';
import { runDemo } from './demo.ts';
import { stackJson, stackTable } from './format.ts';
import { runPipelineCommand } from './pipeline.ts';
import { runServeCommand } from './serve.ts';

const USAGE = `usage: sluice <command> [options]

commands:
  demo                      bring the local stack up and run the smoke job on every part of it
  stack up                  start the local stack (idempotent); prints the endpoints
  stack down [--purge]      stop the processes the stack started; --purge also deletes their data
  stack status              show what runs and answers (exit code 3 if something does not)
  pipeline ...              Kafka → database pipelines (sluice pipeline --help)
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
  help: { type: 'boolean', short: 'h' },
} as const;

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
  // The pipeline group has options of its own.
  if (argv[0] === 'pipeline') return runPipelineCommand(argv.slice(1));
  if (argv[0] === 'serve') return runServeCommand(argv.slice(1));
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${USAGE}`);
  }
  const { values, positionals } = parsed;
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
      const stopped = await stackDown(config, { purge: values.purge ?? false }, progress);
      if (values.json) process.stdout.write(`${JSON.stringify({ stopped })}\n`);
      else
        process.stdout.write(
          stopped.length > 0 ? `stopped: ${stopped.join(', ')}\n` : 'nothing was running\n',
        );
      return 0;
    }
    case 'stack status': {
      const report = await stackStatus(config);
      process.stdout.write(`${values.json ? stackJson(report) : stackTable(report)}\n`);
      return report.components.every((component) => component.answering) ? 0 : 3;
    }
    case 'demo':
      return runDemo(config, progress);
    default:
      throw new UsageError(`unknown command '${command}'\n\n${USAGE}`);
  }
}
