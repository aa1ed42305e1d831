/**
 * Avro in Confluent's wire format (magic byte, schema id, body), with the writer's schema in the
 * spec: decimals and longs land exact, a record not in the wire format is kept as bad.
 */
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createTopic, kafkaFor } from '../../bench/data/events.ts';
import { withSession } from '../../src/db/driver.ts';
import { avroType, confluentFrame } from '../../src/loader/avro.ts';
import { createPipeline, pipelineErrors, startPipeline } from '../../src/loader/pipeline.ts';
import { quoteIdentifier } from '../../src/sql/identifiers.ts';
import { uniqueName, urlOf } from './loader-support.ts';

const stack = inject('stack');
const kafka = kafkaFor(stack.brokers);
const name = uniqueName('avro');
const topic = uniqueName('avro');

afterAll(async () => {
  await withSession(stack.single, (session) =>
    session.query(`DROP TABLE IF EXISTS ${quoteIdentifier(name)}`),
  );
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
});

const schema = {
  type: 'record',
  name: 'Payment',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'account', type: 'long' },
    { name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision: 30, scale: 4 } },
    { name: 'payer', type: { type: 'record', name: 'Payer', fields: [{ name: 'name', type: 'string' }] } },
  ],
};

describe('Avro with Confluent wire framing', () => {
  it('loads every record exactly, and keeps one that is not framed as bad', async () => {
    await withSession(stack.single, (session) =>
      session.query(
        `CREATE TABLE ${quoteIdentifier(name)} (id BIGINT PRIMARY KEY, account BIGINT UNSIGNED NOT NULL, amount DECIMAL(30,4) NOT NULL, payer VARCHAR(20) NOT NULL)`,
      ),
    );
    await createTopic(kafka, topic, 2);
    const type = avroType(schema);
    const payments = Array.from({ length: 2000 }, (_, index) => ({
      id: index + 1,
      account: (9_007_199_254_740_993n + BigInt(index)).toString(),
      amount: `${index % 2 ? '-' : ''}${98765432109876543210n + BigInt(index * 7)}.${String(index % 10_000).padStart(4, '0')}`,
      payer: { name: `payer-${index % 13}` },
    }));
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      acks: -1,
      messages: [
        ...payments.map((payment) => ({
          key: String(payment.id),
          value: confluentFrame(42, type.toBuffer(payment)),
          partition: payment.id % 2,
        })),
        { key: 'plain', value: type.toBuffer(payments[0]!), partition: 0 },
      ],
    });
    await producer.disconnect();
    await createPipeline({
      name,
      source: { brokers: stack.brokers, topics: [topic], sessionTimeoutMs: 2000 },
      format: {
        kind: 'avro',
        schema,
        wire: 'confluent',
        schemaId: 42,
        columns: [
          { column: 'id', path: '$.id' },
          { column: 'account', path: '$.account' },
          { column: 'amount', path: '$.amount' },
          { column: 'payer', path: '$.payer.name' },
        ],
      },
      target: { url: urlOf(stack.single), table: name },
    });
    const runner = await startPipeline(stack.single, name, { untilCaughtUp: true });
    await runner.done;

    const rows = await withSession(stack.single, (session) =>
      session.query<{ id: number; account: string; amount: string; payer: string }>(
        `SELECT id, CAST(account AS CHAR) AS account, CAST(amount AS CHAR) AS amount, payer FROM ${quoteIdentifier(name)} ORDER BY id`,
      ),
    );
    expect(
      rows.map((row) => ({
        id: Number(row.id),
        account: row.account,
        amount: row.amount,
        payer: { name: row.payer },
      })),
    ).toEqual(payments);
    const errors = await pipelineErrors(stack.single, name);
    expect(errors.map((error) => [error.partition, error.key, error.stage])).toEqual([[0, 'plain', 'parse']]);
    expect(errors[0]!.error).toMatch(/not in Confluent wire format/);
  });
});
