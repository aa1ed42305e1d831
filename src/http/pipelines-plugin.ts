/**
 * Pipelines over HTTP: list, create (every problem of the spec listed), start (supervised in this
 * server), stop, pause, resume, drop, status (per partition: offsets, lag, rows/s, batch latency)
 * and errors (paged). Reading needs the read role; changing anything needs admin.
 */
import { Type } from '@fastify/type-provider-typebox';
import { createPipeline, pipelineErrors, pipelineStatus, setPipelineState } from '../loader/pipeline.ts';
import type { ServiceApp, ServiceContext } from './service.ts';

/** Spec and status values with any URL's password taken out. */
export function withoutPasswords<T>(value: T): T {
  return JSON.parse(
    JSON.stringify(value, (_key, v) =>
      typeof v === 'string'
        ? v.replace(/^((?:mysql|mariadb|singlestore):\/\/[^:@/]*):[^@/]*@/, '$1@')
        : typeof v === 'bigint'
          ? v.toString()
          : v,
    ),
  ) as T;
}

const Name = Type.Object({ name: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }) });
const Ok = Type.Object({ pipeline: Type.String(), desiredState: Type.String() });

export async function pipelinesPlugin(app: ServiceApp, ctx: ServiceContext): Promise<void> {
  ctx.pipelines.useState(ctx.config.pipelineState);
  const sup = ctx.pipelines;

  app.get(
    '/v1/pipelines',
    {
      config: { role: 'read' },
      schema: { summary: 'The pipelines in the state database', tags: ['pipelines'] },
    },
    async () => {
      const names = await sup.names();
      return Promise.all(
        names.map(async (name) => {
          const record = await sup.record(name);
          return {
            name,
            desiredState: record.desiredState,
            state: record.state,
            owner: record.owner,
            heartbeatAt: record.heartbeatAt,
            lastError: record.lastError,
            runningHere: sup.local(name) !== undefined,
          };
        }),
      );
    },
  );

  app.post(
    '/v1/pipelines',
    {
      config: { role: 'admin' },
      schema: {
        summary: 'Create a pipeline from its spec (stopped); 400 lists every problem',
        tags: ['pipelines'],
        body: Type.Object({}, { additionalProperties: true }),
      },
    },
    async (request, reply) => {
      const spec = await createPipeline(request.body);
      return reply.code(201).send({ created: spec.name, spec: withoutPasswords(spec) });
    },
  );

  for (const [action, desired] of [
    ['start', 'running'],
    ['stop', 'stopped'],
    ['pause', 'paused'],
    ['resume', 'running'],
  ] as const) {
    app.post(
      `/v1/pipelines/:name/${action}`,
      {
        config: { role: 'admin' },
        schema: {
          summary:
            action === 'start'
              ? 'Run the pipeline in this server, supervised (restarted after an error)'
              : `${action[0]!.toUpperCase()}${action.slice(1)} the pipeline (its runner follows within a second)`,
          tags: ['pipelines'],
          params: Name,
          response: { 200: Ok, 202: Ok },
        },
      },
      async (request, reply) => {
        const { name } = request.params as { name: string };
        if (action === 'start') {
          await sup.start(name);
          // Accepted: the runner joins the consumer group in the background (status shows it).
          return reply.code(202).send({ pipeline: name, desiredState: desired });
        }
        await setPipelineState(sup.state(), name, desired);
        if (action === 'stop') await sup.release(name);
        return { pipeline: name, desiredState: desired };
      },
    );
  }

  app.delete(
    '/v1/pipelines/:name',
    {
      config: { role: 'admin' },
      schema: {
        summary: 'Stop and delete the pipeline, its offsets, batches and errors (loaded rows stay)',
        tags: ['pipelines'],
        params: Name,
      },
    },
    async (request) => {
      const { name } = request.params as { name: string };
      await sup.drop(name);
      return { dropped: name };
    },
  );

  app.get(
    '/v1/pipelines/:name',
    {
      config: { role: 'read' },
      schema: {
        summary: 'State, offsets, latest offsets, lag, rows/s and batch latency per partition',
        tags: ['pipelines'],
        params: Name,
        querystring: Type.Object({ window: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400 })) }),
      },
    },
    async (request) => {
      const { name } = request.params as { name: string };
      const { window } = request.query as { window?: number };
      const status = await pipelineStatus(sup.state(), name, window ?? 60);
      return withoutPasswords({ ...status, runner: sup.local(name) ?? null });
    },
  );

  app.get(
    '/v1/pipelines/:name/errors',
    {
      config: { role: 'read' },
      schema: {
        summary: 'Bad records kept: topic, partition, offset, stage, error, payload (newest first, paged)',
        tags: ['pipelines'],
        params: Name,
        querystring: Type.Object({
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
          offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000 })),
        }),
      },
    },
    async (request) => {
      const { name } = request.params as { name: string };
      const { limit = 100, offset = 0 } = request.query as { limit?: number; offset?: number };
      const rows = await pipelineErrors(sup.state(), name, offset + limit + 1);
      return withoutPasswords({
        errors: rows.slice(offset, offset + limit),
        offset,
        limit,
        more: rows.length > offset + limit,
      });
    },
  );
}
