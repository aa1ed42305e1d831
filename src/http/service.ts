/**
 * `buildServer(config)`: the fastify instance of `sluice serve`, built and not listening (tests
 * use `inject` or `listen({port: 0})`). One plugin per area: docs, query, sources and operations,
 * pipelines, console. Schemas are TypeBox, compiled at boot; OpenAPI comes from them at /docs.
 */

import { randomUUID } from 'node:crypto';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import underPressure from '@fastify/under-pressure';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import pino from 'pino';
import { ConfigError } from '../base/errors.ts';
import { TokenAuth } from './auth.ts';
import { isLoopback, type ServeConfig } from './config.ts';
import { consolePlugin } from './console-plugin.ts';
import { errorAnswer } from './errors.ts';
import { ServiceMetrics } from './metrics.ts';
import { opsPlugin } from './ops-plugin.ts';
import { PipelineSupervisor } from './pipelines.ts';
import { pipelinesPlugin } from './pipelines-plugin.ts';
import { QUERY_ID_HEADER, queryPlugin } from './query-plugin.ts';
import { QueryRegistry } from './registry.ts';
import { SourceRegistry } from './sources.ts';

export type ServiceApp = FastifyInstance<
  import('node:http').Server,
  import('node:http').IncomingMessage,
  import('node:http').ServerResponse,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/** What the plugins share: one per server. */
export interface ServiceContext {
  readonly config: ServeConfig;
  readonly sources: SourceRegistry;
  readonly queries: QueryRegistry;
  readonly metrics: ServiceMetrics;
  readonly auth: TokenAuth;
  readonly pipelines: PipelineSupervisor;
  readonly log: FastifyBaseLogger;
}

declare module 'fastify' {
  interface FastifyInstance {
    sluice: ServiceContext;
  }
}

/**
 * One log line per request, when it completes ('request completed' or 'request errored': method,
 * URL, status and time as plain fields). The 'incoming request' line before it doubled the log of
 * a point query for nothing a reader of the log needs, and fastify's request and reply
 * serializers (objects pino then walks for redaction) cost a point query more than its statement.
 */
class CompletedRequestLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    const { method, url } = request.raw;
    const status = reply.raw.statusCode;
    const ms = reply.elapsedTime;
    if (error) reply.log.error({ method, url, status, ms, err: error }, 'request errored');
    else reply.log.info({ method, url, status, ms }, 'request completed');
  }
}

export async function buildServer(config: ServeConfig): Promise<ServiceApp> {
  const auth = new TokenAuth(config.tokens);
  if (auth.open && !isLoopback(config.host)) {
    throw new ConfigError(
      `without tokens the server may only listen on loopback, not ${config.host}; add tokens (SLUICE_TOKENS=read:…,admin:…)`,
    );
  }
  const loggerOptions = typeof config.logger === 'object' ? config.logger : {};
  // Without a stream of its own, the log goes to stdout asynchronously, in writes of 4 KiB or
  // once a second: a write per line cost a point query about a fifth of its time on a busy
  // machine. What is buffered is flushed when the server closes.
  const logStream =
    config.logger === false || loggerOptions.stream
      ? undefined
      : pino.destination({ dest: 1, sync: false, minLength: 4096 });
  const logFlush = logStream ? setInterval(() => logStream.flush(), 1000).unref() : undefined;
  const app = Fastify({
    logger:
      config.logger === false
        ? false
        : {
            level: 'info',
            redact: {
              paths: ['req.headers.authorization', 'headers.authorization', '*.password', 'password'],
              censor: '[redacted]',
            },
            ...(logStream ? { stream: logStream } : {}),
            ...loggerOptions,
          },
    bodyLimit: config.bodyLimitBytes,
    logController: new CompletedRequestLog(),
    // Closing the server ends streaming responses too (their queries are cancelled first).
    forceCloseConnections: true,
    // The query id doubles as the request id, so every log line of a query carries it.
    genReqId: (req) => {
      const given = req.headers[QUERY_ID_HEADER];
      return typeof given === 'string' && /^[A-Za-z0-9_.:-]{1,128}$/.test(given) ? given : randomUUID();
    },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as ServiceApp;

  const metrics = new ServiceMetrics();
  const sources = new SourceRegistry(config.sources, config.maxConcurrentQueries);
  const ctx: ServiceContext = {
    config,
    sources,
    queries: new QueryRegistry(config.maxConcurrentQueries),
    metrics,
    auth,
    pipelines: new PipelineSupervisor(sources, metrics, app.log),
    log: app.log,
  };
  app.decorate('sluice', ctx);

  app.setErrorHandler((error, request, reply) => {
    const answer = errorAnswer(error, reply.getHeader('x-sluice-query-id') as string | undefined);
    if (answer.status >= 500 && answer.status !== 503) request.log.error({ err: error }, 'request failed');
    else request.log.info({ code: answer.body.error.code }, answer.body.error.message);
    if (answer.status === 429 || answer.status === 503) reply.header('retry-after', '1');
    return reply.code(answer.status).type('application/json').send(answer.body);
  });

  // A callback hook, not an async one: no promise per request.
  app.addHook('onRequest', (request, _reply, done) => {
    try {
      request.principal = auth.authorize(request, request.routeOptions.config?.role ?? 'public');
    } catch (error) {
      done(error as Error);
      return;
    }
    done();
  });

  await app.register(underPressure, {
    maxEventLoopDelay: config.pressure.maxEventLoopDelayMs,
    maxHeapUsedBytes: config.pressure.maxHeapUsedBytes,
    retryAfter: 1,
    exposeStatusRoute: false,
  });

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'sluice',
        version: '0.1.0',
        description: 'Queries (Arrow, NDJSON, JSON, CSV), pipelines and operations',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  await app.register(async (scope) => queryPlugin(scope as unknown as ServiceApp, ctx));
  await app.register(async (scope) => opsPlugin(scope as unknown as ServiceApp, ctx));
  await app.register(async (scope) => pipelinesPlugin(scope as unknown as ServiceApp, ctx));
  await app.register(async (scope) => consolePlugin(scope as unknown as ServiceApp, ctx));

  app.addHook('preClose', async () => {
    ctx.queries.cancelAll('shutdown');
    for (const query of ctx.queries.list()) query.stop?.();
  });
  app.addHook('onClose', async () => {
    await ctx.pipelines.stopAll();
    await sources.close();
    clearInterval(logFlush);
    logStream?.flushSync();
  });
  return app;
}
