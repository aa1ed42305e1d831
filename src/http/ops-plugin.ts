/** `/health` (the process answers), `/ready` (every source answers), `/metrics`, `/v1/sources`. */
import { Type } from '@fastify/type-provider-typebox';
import type { ServiceApp, ServiceContext } from './service.ts';

const SourceHealth = Type.Object({
  name: Type.String(),
  url: Type.String({ description: 'Without the password' }),
  dialect: Type.String(),
  allow: Type.Array(Type.String()),
  ok: Type.Boolean(),
  latencyMs: Type.Number(),
  error: Type.Optional(Type.String()),
});

export async function opsPlugin(app: ServiceApp, ctx: ServiceContext): Promise<void> {
  app.get(
    '/health',
    {
      config: { role: 'public' },
      schema: {
        summary: 'The process answers',
        tags: ['ops'],
        response: { 200: Type.Object({ ok: Type.Boolean() }) },
      },
    },
    async () => ({ ok: true }),
  );

  app.get(
    '/ready',
    {
      config: { role: 'public' },
      schema: {
        summary: 'Every source answers SELECT 1 (503 otherwise)',
        tags: ['ops'],
        response: {
          200: Type.Object({
            ready: Type.Boolean(),
            sources: Type.Array(Type.Object({ name: Type.String(), ok: Type.Boolean() })),
          }),
          503: Type.Object({
            ready: Type.Boolean(),
            sources: Type.Array(Type.Object({ name: Type.String(), ok: Type.Boolean() })),
          }),
        },
      },
    },
    async (_request, reply) => {
      const health = await ctx.sources.health();
      const ready = health.every((source) => source.ok);
      return reply
        .code(ready ? 200 : 503)
        .send({ ready, sources: health.map(({ name, ok }) => ({ name, ok })) });
    },
  );

  app.get(
    '/metrics',
    { config: { role: 'read' }, schema: { summary: 'Prometheus metrics', tags: ['ops'] } },
    async (_request, reply) => {
      ctx.pipelines.updateMetrics();
      reply.type(ctx.metrics.registry.contentType);
      return ctx.metrics.registry.metrics();
    },
  );

  app.get(
    '/v1/sources',
    {
      config: { role: 'read' },
      schema: {
        summary: 'The named sources, their allow lists and health (no passwords)',
        tags: ['ops'],
        response: { 200: Type.Array(SourceHealth) },
      },
    },
    async () => (await ctx.sources.health()).map((source) => ({ ...source, allow: [...source.allow] })),
  );
}
