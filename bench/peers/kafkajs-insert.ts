/**
 * The consumer teams write first, as a peer for bench/load-peers.ts: kafkajs eachBatch, each
 * batch parsed and inserted with multi-row INSERTs on an autocommit connection, offsets committed
 * by kafkajs's auto-commit (every 5 s and after each batch's handler). Nothing ties the rows to
 * the offsets, so a crash between an INSERT and the next offset commit loads those rows again.
 *
 *   node --import tsx bench/peers/kafkajs-insert.ts BROKERS TOPIC GROUP DB_URL TABLE [--idle-exit-ms N]
 *
 * With --idle-exit-ms it exits once no record came for that long (after the group join).
 */
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { openSession } from '../../src/db/driver.ts';
import { parseDbUrl } from '../../src/db/endpoint.ts';
import { registerCodecs } from '../../src/loader/codecs.ts';
import { quoteIdentifier } from '../../src/sql/identifiers.ts';

const ROWS_PER_INSERT = 1000;

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { 'idle-exit-ms': { type: 'string' } },
  });
  const [brokers, topic, groupId, url, table] = positionals as [string, string, string, string, string];
  registerCodecs();
  const session = await openSession(parseDbUrl(url, 'DB_URL'));
  const kafka = new Kafka({
    clientId: 'peer-kafkajs-insert',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
  });
  const consumer = kafka.consumer({ groupId, maxBytesPerPartition: 2 * 1024 * 1024 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let lastRecord = Date.now();
  const sql = `INSERT INTO ${quoteIdentifier(table)} (id, user_name, kind, amount, ts) VALUES ?`;
  await consumer.run({
    eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
      lastRecord = Date.now();
      let rows: unknown[][] = [];
      for (const message of batch.messages) {
        // Kafka Connect's JSON with its schema beside the payload (bench/load-peers.ts).
        const event = (JSON.parse(message.value!.toString()) as { payload: Record<string, unknown> }).payload;
        rows.push([event.id, event.user_name, event.kind, event.amount, event.ts]);
        if (rows.length === ROWS_PER_INSERT) {
          await session.query(sql, [rows]);
          rows = [];
          resolveOffset(message.offset);
          await heartbeat();
        }
      }
      if (rows.length > 0) await session.query(sql, [rows]);
    },
  });
  const idle = values['idle-exit-ms'] ? Number(values['idle-exit-ms']) : undefined;
  if (idle === undefined) return;
  while (Date.now() - lastRecord < idle) await new Promise((resolve) => setTimeout(resolve, 200));
  await consumer.disconnect();
  await session.close();
  process.exit(0);
}

void main();
