/**
 * The floors of bench/http.ts's point phase: a fastify server whose `POST /v1/query` parses the
 * JSON body and answers one constant JSON row (no database, no query work), or with `--db URL`
 * runs the body's SQL and params on mysql2 (a session per request in flight, kept open) and
 * writes the JSON answer by hand: what HTTP plus the database round trip cost on this machine
 * with nothing of sluice in between. Prints `{"url": …}`.
 */
import { parseArgs } from 'node:util';
import Fastify from 'fastify';
import { type DbSession, openSession } from '../src/db/driver.ts';
import { parseDbUrl } from '../src/db/endpoint.ts';

const { values } = parseArgs({ options: { db: { type: 'string' } } });

const ROW = {
  query_id: 'floor',
  columns: [{ name: 'id', type: 'Int32', nullable: false }],
  rows: [{ id: 1, k: 'k1', amount: '0.01', day: '2020-01-02', note: null }],
  row_count: 1,
};
const app = Fastify({ logger: false });
if (values.db) {
  const endpoint = parseDbUrl(values.db);
  const idle: DbSession[] = [];
  let answered = 0;
  app.post('/v1/query', async (request, reply) => {
    const { sql, params } = request.body as { sql: string; params?: unknown[] };
    const session = idle.pop() ?? (await openSession(endpoint));
    try {
      const rows = await session.query(sql, params ?? []);
      const id = `floor-${++answered}`;
      const items = rows.map((row) => `\n${JSON.stringify(row)}`).join(',');
      const body = `{"query_id":${JSON.stringify(id)},"rows":[${items}\n],"row_count":${rows.length}}\n`;
      return reply.type('application/json').send(body);
    } finally {
      idle.push(session);
    }
  });
  app.addHook('onClose', async () => {
    await Promise.all(idle.map((session) => session.close()));
  });
} else {
  app.post('/v1/query', async () => ROW);
}
const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${JSON.stringify({ url: address })}\n`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
