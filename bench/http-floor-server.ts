/**
 * The floor of bench/http.ts's point phase: a fastify server whose `POST /v1/query` parses the
 * JSON body and answers one constant JSON row, so the same keep-alive client measures what HTTP
 * and fastify cost on this machine with no database and no query work. Prints `{"url": …}`.
 */
import Fastify from 'fastify';

const ROW = {
  query_id: 'floor',
  columns: [{ name: 'id', type: 'Int32', nullable: false }],
  rows: [{ id: 1, k: 'k1', amount: '0.01', day: '2020-01-02', note: null }],
  row_count: 1,
};
const app = Fastify({ logger: false });
app.post('/v1/query', async () => ROW);
const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${JSON.stringify({ url: address })}\n`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
