import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { packValues } from '../../../src/loader/batch-decoder.ts';
import { registerCodecs } from '../../../src/loader/codecs.ts';
import {
  FetchedMessage,
  FetchedRecord,
  recordsReadAsPositions,
  sourceRecord,
  valueBytes,
  withKafkajsRecordDecoding,
} from '../../../src/loader/kafka-records.ts';

const require = createRequire(import.meta.url);
type Decode = (decoder: unknown) => Promise<{ records: unknown[] } & Record<string, unknown>>;
const Decoder = require('kafkajs/src/protocol/decoder') as new (buffer: Buffer) => unknown;
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0') as {
  RecordBatch: (options: Record<string, unknown>) => Promise<{ buffer: Buffer }>;
};
const Record = require('kafkajs/src/protocol/recordBatch/record/v0') as (
  options: Record<string, unknown>,
) => unknown;
const Long = require('kafkajs/src/utils/long') as { fromValue(value: unknown): unknown };
const batchDecoderPath = require.resolve('kafkajs/src/protocol/recordBatch/v0/decoder.js');

/** kafkajs's own record batch decoder, loaded afresh (the cached one is ours). */
function kafkajsDecoder(): Decode {
  const ours = require.cache[batchDecoderPath];
  delete require.cache[batchDecoderPath];
  try {
    return require(batchDecoderPath) as Decode;
  } finally {
    require.cache[batchDecoderPath] = ours;
  }
}

const MESSAGE_FIELDS = [
  'offset',
  'timestamp',
  'key',
  'value',
  'headers',
  'magicByte',
  'attributes',
  'isControlRecord',
];

async function encodedBatch(compression: number, transactional = false): Promise<Buffer> {
  const records = Array.from({ length: 300 }, (_, index) =>
    Record({
      offsetDelta: index,
      timestampDelta: index * 1_000_003,
      key: index % 7 === 0 ? null : Buffer.from(`key-${index}`),
      value:
        index % 11 === 0 ? null : Buffer.from(JSON.stringify({ id: index, text: 'é'.repeat(index % 40) })),
      headers:
        index % 5 === 0 ? { trace: Buffer.from(`t${index}`), tag: [Buffer.from('a'), Buffer.from('b')] } : {},
    }),
  );
  const batch = await RecordBatch({
    compression,
    firstOffset: Long.fromValue('4294967290'),
    firstTimestamp: 1_733_000_000_123,
    maxTimestamp: 1_733_000_900_000,
    lastOffsetDelta: records.length - 1,
    transactional,
    producerId: Long.fromValue('77'),
    records,
  });
  // Two batches back to back, the second cut short the way a fetch's size limit cuts one.
  return Buffer.concat([batch.buffer, batch.buffer.subarray(0, batch.buffer.length - 20)]);
}

describe('record batches read into positions', () => {
  it('is installed in place of kafkajs decoder, which stays available to benchmarks', async () => {
    expect(recordsReadAsPositions).toBe(true);
    const bytes = await encodedBatch(0);
    const installed = require(batchDecoderPath) as Decode;
    expect((await installed(new Decoder(bytes))).records[0]).toBeInstanceOf(FetchedMessage);
    const stock = await withKafkajsRecordDecoding(() => installed(new Decoder(bytes)));
    expect(stock.records[0]).not.toBeInstanceOf(FetchedMessage);
    expect(sourceRecord(stock.records[0] as FetchedMessage)).toEqual(
      expect.objectContaining({ offset: 4_294_967_290, key: null }),
    );
  });

  registerCodecs();
  for (const [name, compression, transactional] of [
    ['plain', 0, false],
    ['gzip', 1, false],
    ['snappy', 2, true],
    ['lz4', 3, false],
    ['zstd', 4, false],
  ] as const) {
    it(`gives kafkajs's messages and batch fields for a ${name} batch`, async () => {
      const bytes = await encodedBatch(compression, transactional);
      const ours = require(batchDecoderPath) as Decode;
      const theirs = kafkajsDecoder();
      const decoder = new Decoder(bytes);
      const reference = new Decoder(bytes);
      const got = await ours(decoder);
      const expected = await theirs(reference);
      const { records: gotRecords, ...gotBatch } = got;
      const { records: expectedRecords, ...expectedBatch } = expected;
      expect(gotBatch).toEqual(expectedBatch);
      expect(gotRecords).toHaveLength(300);
      for (const [index, message] of gotRecords.entries()) {
        expect(message).toBeInstanceOf(FetchedMessage);
        const want = expectedRecords[index] as Record<string, unknown>;
        for (const field of MESSAGE_FIELDS) {
          expect((message as Record<string, unknown>)[field], `${field} of record ${index}`).toEqual(
            want[field],
          );
        }
        expect((message as FetchedMessage).batchContext).toEqual(want.batchContext);
      }
      // The cut batch ends the fetch's batches the same way.
      await expect(ours(decoder)).rejects.toThrow(/partial record batch/);
      await expect(theirs(reference)).rejects.toThrow(/partial record batch/);
    });
  }

  it('gives the loader records whose values pack as kafkajs Buffers do', async () => {
    const bytes = await encodedBatch(0);
    const got = await (require(batchDecoderPath) as Decode)(new Decoder(bytes));
    const records = (got.records as FetchedMessage[]).map(sourceRecord);
    const plain = records.map((record) => ({ ...record, offset: record.offset, value: record.value }));
    expect(records[0]).toBeInstanceOf(FetchedRecord);
    expect(records.map((record) => record.offset)).toEqual(
      Array.from({ length: 300 }, (_, index) => 4_294_967_290 + index),
    );
    expect(records.map(valueBytes)).toEqual(plain.map((record) => record.value?.length ?? 0));
    const packed = packValues(records);
    const reference = packValues(plain);
    expect(packed.lengths).toEqual(reference.lengths);
    for (let index = 0; index < records.length; index++) {
      const start = packed.starts[index]!;
      const length = packed.lengths[index]!;
      if (length < 0) continue;
      expect(
        Buffer.from(packed.payloads.subarray(start, start + length)).equals(records[index]!.value!),
      ).toBe(true);
    }
  });
});
