/**
 * `sluice serve`: the HTTP service (src/http) on a port, until Ctrl-C or SIGTERM.
 */
import { parseArgs } from 'node:util';
import { UsageError } from '../base/errors.ts';
import { isLoopback, loadServeConfig } from '../http/config.ts';
import { buildServer } from '../http/service.ts';

export const SERVE_USAGE = `usage: sluice serve [options]

options:
  --host HOST               address to listen on (default 127.0.0.1)
  --port N                  port (default 8080; 0 picks a free one)
  --config FILE             JSON config: sources, tokens, limits (docs/http.md)
  --source NAME=URL         a named source (repeatable), e.g. tpch=mysql://root@127.0.0.1:3306/tpch
  --quiet                   no request log

environment: SLUICE_TOKENS=read:TOKEN,admin:TOKEN adds bearer tokens. Without any token the
server only listens on loopback and lets every local caller do everything.`;

const OPTIONS = {
  host: { type: 'string' },
  port: { type: 'string' },
  config: { type: 'string' },
  source: { type: 'string', multiple: true },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function runServeCommand(argv: readonly string[]): Promise<number> {
  let values: ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values'];
  try {
    ({ values } = parseArgs({ args: [...argv], options: OPTIONS, strict: true }));
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${SERVE_USAGE}`);
  }
  if (values.help) {
    process.stdout.write(`${SERVE_USAGE}\n`);
    return 0;
  }
  const config = await loadServeConfig({
    configFile: values.config,
    host: values.host,
    port: values.port,
    sources: values.source,
  });
  const app = await buildServer(values.quiet ? { ...config, logger: false } : config);
  if (config.tokens.length === 0) {
    process.stderr.write(
      `sluice serve: WARNING: no tokens configured; anyone who can reach ${config.host} (loopback only) may run queries and manage pipelines\n`,
    );
  } else if (!isLoopback(config.host)) {
    process.stderr.write(
      'sluice serve: tokens travel in clear text over plain HTTP; put TLS in front of a non-loopback address\n',
    );
  }
  const address = await app.listen({ host: config.host, port: config.port });
  process.stderr.write(
    `sluice serve: listening on ${address} (console at ${address}/, API docs at ${address}/docs)\n`,
  );
  process.stdout.write(`${JSON.stringify({ url: address, sources: Object.keys(config.sources) })}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.stderr.write('sluice serve: stopping (running queries are cancelled)\n');
      void app.close().then(resolve, resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}
