/**
 * Avro writer schemas from a schema registry. No Confluent-compatible registry can run on this
 * machine (Confluent's is not on Maven Central, Karapace is not on PyPI, Apicurio's registry ships
 * as a Quarkus application, not a runnable artifact), so the registry here is a local HTTP server
 * that answers Confluent's REST call (`GET /schemas/ids/{id}`) with the documented bodies and
 * error codes. The records are real Avro in Confluent's framing, decoded on the main thread and on
 * worker threads.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SluiceError } from '../../../src/base/errors.ts';
import { avroType, confluentFrame } from '../../../src/loader/avro.ts';
import { BatchDecoder, MIN_WORKER_RECORDS } from '../../../src/loader/batch-decoder.ts';
import { createDecoder } from '../../../src/loader/formats.ts';
import type { SourceRecord } from '../../../src/loader/record.ts';
import { confluentSchemaId, SchemaRegistry } from '../../../src/loader/schema-registry.ts';
import { parsePipelineSpec } from '../../../src/loader/spec.ts';
import { isEncoded } from '../../../src/writer/rows.ts';

const v1 = {
  type: 'record',
  name: 'Payment',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision: 20, scale: 2 } },
  ],
};
/** The next version: a field added, so the same columns read from bodies of another layout. */
const v2 = {
  ...v1,
  fields: [{ name: 'payer', type: 'string' }, ...v1.fields],
};

let server: Server;
let url: string;
const requests: { path: string; authorization: string | undefined }[] = [];
let failing = false;

function answer(request: IncomingMessage): { status: number; body: unknown } {
  if (failing) return { status: 503, body: { error_code: 50301, message: 'not ready' } };
  const id = Number(/^\/schemas\/ids\/(\d+)$/.exec(request.url ?? '')?.[1]);
  if (id === 1) return { status: 200, body: { schema: JSON.stringify(v1) } };
  if (id === 2) return { status: 200, body: { schemaType: 'AVRO', schema: JSON.stringify(v2) } };
  if (id === 3) return { status: 200, body: { schemaType: 'PROTOBUF', schema: 'syntax = "proto3";' } };
  return { status: 404, body: { error_code: 40403, message: 'Schema not found' } };
}

beforeAll(async () => {
  server = createServer((request, response) => {
    requests.push({ path: request.url ?? '', authorization: request.headers.authorization });
    const { status, body } = answer(request);
    response.writeHead(status, { 'content-type': 'application/vnd.schemaregistry.v1+json' });
    response.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const payment = (schemaId: number, id: number, amount: string) =>
  confluentFrame(
    schemaId,
    schemaId === 2
      ? avroType(v2).toBuffer({ payer: `p${id}`, id, amount })
      : avroType(v1).toBuffer({ id, amount }),
  );

function records(payloads: readonly Buffer[]): SourceRecord[] {
  return payloads.map((value, offset) => ({ offset, key: null, value, timestamp: '0' }));
}

function decoderFor(threads: number) {
  const spec = parsePipelineSpec({
    name: 'payments',
    source: { brokers: ['127.0.0.1:9092'], topics: ['payments'] },
    format: {
      kind: 'avro',
      registry: { url, usernameEnv: 'REGISTRY_TEST_USER', passwordEnv: 'REGISTRY_TEST_PASSWORD' },
      columns: [
        { column: 'id', path: '$.id' },
        { column: 'amount', path: '$.amount' },
      ],
    },
    target: { url: 'mysql://root@127.0.0.1:3306/shop', table: 'payments' },
  });
  expect(spec.format).toMatchObject({ kind: 'avro', wire: 'confluent' });
  const format = spec.format as Extract<typeof spec.format, { kind: 'avro' }>;
  return new BatchDecoder({
    format,
    decoder: createDecoder(format),
    transformer: undefined,
    router: undefined,
    servers: 1,
    threads,
    registry: new SchemaRegistry(format.registry!),
  });
}

describe('a schema registry for Avro', () => {
  it('decodes each record with the schema of its id, on worker threads and here, asking once per id', async () => {
    process.env.REGISTRY_TEST_USER = 'loader';
    process.env.REGISTRY_TEST_PASSWORD = 's3cret';
    requests.length = 0;
    const big = Array.from({ length: MIN_WORKER_RECORDS + 88 }, (_, index) =>
      payment(index % 2 === 0 ? 1 : 2, index, `${index}.${String(index % 100).padStart(2, '0')}`),
    );
    const bad = [payment(7, 1, '1.00'), payment(3, 2, '2.00'), Buffer.from('{"not":"framed"}')];
    for (const threads of [2, 0]) {
      const decoder = decoderFor(threads);
      try {
        const batch = await decoder.decode('payments', 0, records([...big, ...bad]));
        const rows = batch.servers[0]!.rows;
        const values = isEncoded(rows) ? await rows.values() : rows;
        expect(values).toHaveLength(big.length);
        expect(values[0]).toEqual([0, '0.00']);
        expect(values[599]).toEqual([599, '599.99']);
        if (threads > 0) {
          expect(isEncoded(rows)).toBe(true);
          const text = isEncoded(rows)
            ? Buffer.concat([...rows.tsv].map((chunk) => Buffer.from(chunk))).toString()
            : '';
          expect(text.split('\n')[3]).toBe('3\t3.03');
        }
        expect(batch.failures.map((failure) => [failure.record, failure.error])).toEqual([
          [big.length, expect.stringMatching(/schema id 7 is not in the registry/)],
          [
            big.length + 1,
            expect.stringMatching(/schema id 3 is a PROTOBUF schema; this pipeline reads Avro/),
          ],
          [big.length + 2, expect.stringMatching(/not in Confluent wire format/)],
        ]);
        // A second batch with the same ids asks nothing more.
        const before = requests.length;
        await decoder.decode('payments', 0, records(big.slice(0, 10)));
        expect(requests.length).toBe(before);
      } finally {
        await decoder.close();
      }
    }
    // Each decoder asked once for each id it met (1, 2, 3, 7), with the credentials from the environment.
    expect(requests.map((request) => request.path).sort()).toEqual(
      ['/schemas/ids/1', '/schemas/ids/2', '/schemas/ids/3', '/schemas/ids/7'].flatMap((path) => [
        path,
        path,
      ]),
    );
    expect(new Set(requests.map((request) => request.authorization))).toEqual(
      new Set([`Basic ${Buffer.from('loader:s3cret').toString('base64')}`]),
    );
  });

  it('fails the batch with a retriable error while the registry cannot answer, and recovers', async () => {
    const registry = new SchemaRegistry({ url });
    failing = true;
    const error = await registry.lookup([1]).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SluiceError);
    expect(error).toMatchObject({ code: 'SCHEMA_REGISTRY', retriable: true });
    failing = false;
    const found = await registry.lookup([1]);
    expect(found.get(1)).toEqual({ schema: v1 });
  });

  it('gives `pipeline test` a decoder that knows the ids of the records it shows', async () => {
    const decoder = decoderFor(0);
    try {
      const framed = payment(2, 42, '4.20');
      const here = await decoder.decoderFor(records([framed]));
      expect(here.decode(framed)).toEqual([[42, '4.20']]);
    } finally {
      await decoder.close();
    }
  });

  it('reads the schema id of a framed payload', () => {
    expect(confluentSchemaId(payment(2, 1, '1.00'))).toBe(2);
    expect(confluentSchemaId(Buffer.from([1, 0, 0, 0, 2, 0]))).toBeUndefined();
    expect(confluentSchemaId(null)).toBeUndefined();
  });

  it('refuses a registry without the Confluent framing, and a spec with neither schema nor registry', () => {
    const spec = (format: Record<string, unknown>) => () =>
      parsePipelineSpec({
        name: 'p',
        source: { brokers: ['h:1'], topics: ['t'] },
        format: { kind: 'avro', columns: [{ column: 'id', path: '$.id' }], ...format },
        target: { url: 'mysql://root@h:1/d', table: 't' },
      });
    expect(spec({ registry: { url }, wire: 'plain' })).toThrow(/a schema registry needs wire "confluent"/);
    expect(spec({})).toThrow(/schema|registry/);
  });
});
