import { describe, expect, it } from 'vitest';
import { avroType, confluentFrame } from '../../../src/loader/avro.ts';
import { createDecoder, RecordError } from '../../../src/loader/formats.ts';
import { parsePipelineSpec } from '../../../src/loader/spec.ts';

const schema = {
  type: 'record',
  name: 'Order',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision: 20, scale: 2 } },
    {
      name: 'customer',
      type: { type: 'record', name: 'Customer', fields: [{ name: 'name', type: 'string' }] },
    },
    { name: 'note', type: ['null', 'string'], default: null },
    { name: 'blob', type: 'bytes' },
  ],
};
const columns = [
  { column: 'id', path: '$.id' },
  { column: 'amount', path: '$.amount' },
  { column: 'customer', path: '$.customer.name' },
  { column: 'note', path: '$.note', default: 'none' },
  { column: 'blob', path: '$.blob' },
];

function specFor(format: Record<string, unknown>) {
  return parsePipelineSpec({
    name: 'orders',
    source: { brokers: ['127.0.0.1:9092'], topics: ['orders'] },
    format: { kind: 'avro', schema, columns, ...format },
    target: { url: 'mysql://root@127.0.0.1:3306/shop', table: 'orders' },
  });
}

const type = avroType(schema);
const order = (id: number | string, amount: string, note: string | null = null) =>
  type.toBuffer({ id, amount, customer: { name: 'Ada' }, note, blob: Buffer.from([1, 2, 255]) });

describe('Avro format', () => {
  it('maps records to columns with exact decimals and longs', () => {
    const decoder = createDecoder(specFor({}).format);
    expect(decoder.columns).toEqual(['id', 'amount', 'customer', 'note', 'blob']);
    expect(decoder.decode(order('9007199254740993', '-12345678901234567.89'))).toEqual([
      ['9007199254740993', '-12345678901234567.89', 'Ada', null, 'AQL/'],
    ]);
    expect(decoder.decode(order(42, '0.05', 'rush'))).toEqual([[42, '0.05', 'Ada', 'rush', 'AQL/']]);
    expect(decoder.decode(order(-1, '-0.10'))[0]!.slice(0, 2)).toEqual([-1, '-0.10']);
  });

  it('reads Confluent wire format and checks the schema id', () => {
    const decoder = createDecoder(specFor({ wire: 'confluent', schemaId: 17 }).format);
    expect(decoder.decode(confluentFrame(17, order(7, '1.00')))[0]!.slice(0, 2)).toEqual([7, '1.00']);
    expect(() => decoder.decode(confluentFrame(18, order(7, '1.00')))).toThrow(
      /schema id 18; this pipeline reads schema id 17 only/,
    );
    expect(() => decoder.decode(order(7, '1.00'))).toThrow(/not in Confluent wire format/);
    expect(() => decoder.decode(Buffer.from([0, 0, 0, 0, 17, 0xff]))).toThrow(RecordError);
  });

  it('refuses a schema avsc cannot read, in the spec', () => {
    expect(() =>
      parsePipelineSpec({
        name: 'orders',
        source: { brokers: ['127.0.0.1:9092'], topics: ['orders'] },
        format: {
          kind: 'avro',
          schema: { type: 'record', name: 'X', fields: [{ name: 'a', type: 'nope' }] },
          columns,
        },
        target: { url: 'mysql://root@127.0.0.1:3306/shop', table: 'orders' },
      }),
    ).toThrow(/\/format\/schema: not a valid Avro schema/);
  });
});
