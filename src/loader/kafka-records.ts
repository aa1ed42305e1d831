/**
 * Kafka's v2 record batches read into positions instead of objects. kafkajs's own decoder builds,
 * per record, a decoder, a handful of 64-bit Longs, offset and timestamp strings, key and value
 * Buffers and a headers object; a record waits in memory from its fetch until its batch is
 * written, so all of that outlives the young generation and is promoted (400-500 bytes per
 * record, which V8's GC threads then pay for). Here a record is one small object holding where its
 * key, value and headers are in the batch's memory (the fetch response, or the decompressed
 * records), and the kafkajs message fields (`offset`, `timestamp`, `key`, `value`, `headers`,
 * `isControlRecord`, `batchContext`) are getters computed on use, with the values and types
 * kafkajs gives: any kafkajs consumer in the process sees the same messages.
 *
 * Installed in place of kafkajs's record batch decoder when this module loads, which is before
 * kafkajs first loads its fetch response decoders (it loads them on the first fetch). If they were
 * loaded earlier, kafkajs's decoder stays and records arrive as its plain objects, which the
 * loader takes as well.
 */
import { createRequire } from 'node:module';
import { SluiceError } from '../base/errors.ts';
import type { SourceRecord } from './record.ts';

const require = createRequire(import.meta.url);

/** kafkajs's protocol decoder, as far as the record batch decoder uses it. */
interface ProtocolDecoder {
  readonly buffer: Buffer;
  readonly offset: number;
  readInt8(): number;
  readInt16(): number;
  readInt32(): number;
  readInt64(): { toString(): string };
  readAll(): Buffer;
  slice(size: number): ProtocolDecoder;
  forward(size: number): void;
}

interface Codec {
  decompress(data: Buffer): Promise<Buffer>;
}

const { KafkaJSPartialMessageError } = require('kafkajs/src/errors') as {
  KafkaJSPartialMessageError: new (message: string) => Error;
};
const { lookupCodecByAttributes } = require('kafkajs/src/protocol/message/compression') as {
  lookupCodecByAttributes: (attributes: number) => Codec | undefined;
};

const TIMESTAMP_TYPE_FLAG_MASK = 0x8;
const TRANSACTIONAL_FLAG_MASK = 0x10;
const CONTROL_FLAG_MASK = 0x20;
const MAGIC_BYTE = 2;

/** What the records of one record batch share. */
class RecordBatchFrame {
  constructor(
    /** The records' bytes: a view of the fetch response, or the decompressed records. */
    readonly memory: Buffer,
    readonly firstOffset: number,
    readonly firstTimestamp: number,
    /** With LOG_APPEND_TIME, the broker's time, which every record of the batch takes. */
    readonly appendTime: string | undefined,
    readonly control: boolean,
    /** kafkajs's record batch fields, shared by its records as `batchContext`. */
    readonly context: Readonly<Record<string, unknown>>,
  ) {}
}

/** One record: positions in its batch's memory; the kafkajs message fields are computed on use. */
export class FetchedMessage {
  constructor(
    readonly frame: RecordBatchFrame,
    readonly offsetDelta: number,
    readonly timestampDelta: number,
    readonly keyStart: number,
    /** -1 for a null key. */
    readonly keyLength: number,
    readonly valueStart: number,
    /** -1 for a null value. */
    readonly valueLength: number,
  ) {}

  get offset(): string {
    return String(this.frame.firstOffset + this.offsetDelta);
  }

  get timestamp(): string {
    return this.frame.appendTime ?? String(this.frame.firstTimestamp + this.timestampDelta);
  }

  get key(): Buffer | null {
    return this.keyLength < 0
      ? null
      : this.frame.memory.subarray(this.keyStart, this.keyStart + this.keyLength);
  }

  get value(): Buffer | null {
    return this.valueLength < 0
      ? null
      : this.frame.memory.subarray(this.valueStart, this.valueStart + this.valueLength);
  }

  /** As kafkajs gives them: a header repeated under one key becomes an array of its values. */
  get headers(): Record<string, Buffer | null | (Buffer | null)[]> {
    const headers: Record<string, Buffer | null | (Buffer | null)[]> = {};
    const memory = this.frame.memory;
    // The headers follow the value: their count, then each key and value.
    cursor = this.valueStart + Math.max(0, this.valueLength);
    const count = readVarInt(memory);
    for (let index = 0; index < count; index++) {
      const keyLength = readVarInt(memory);
      const key = memory.toString('utf8', cursor, cursor + keyLength);
      cursor += keyLength;
      const valueLength = readVarInt(memory);
      const value = valueLength < 0 ? null : memory.subarray(cursor, cursor + valueLength);
      if (valueLength > 0) cursor += valueLength;
      const known = headers[key];
      headers[key] = known === undefined ? value : Array.isArray(known) ? [...known, value] : [known, value];
    }
    return headers;
  }

  get magicByte(): number {
    return MAGIC_BYTE;
  }

  /** Kafka defines no record-level attributes (the batch's are in `batchContext`). */
  get attributes(): number {
    return 0;
  }

  get isControlRecord(): boolean {
    return this.frame.control;
  }

  get batchContext(): Readonly<Record<string, unknown>> {
    return this.frame.context;
  }
}

/** A fetched record as the loader sees it, over its kafkajs message. */
export class FetchedRecord implements SourceRecord {
  readonly offset: number;

  constructor(readonly message: FetchedMessage) {
    this.offset = message.frame.firstOffset + message.offsetDelta;
  }

  get key(): Buffer | null {
    return this.message.key;
  }

  get value(): Buffer | null {
    return this.message.value;
  }

  get timestamp(): string {
    return this.message.timestamp;
  }
}

/** kafkajs's message fields the loader reads, for messages its own decoder built. */
interface PlainMessage {
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly timestamp: string;
}

export function sourceRecord(message: FetchedMessage | PlainMessage): SourceRecord {
  if (message instanceof FetchedMessage) return new FetchedRecord(message);
  return {
    offset: Number(message.offset),
    key: message.key,
    value: message.value,
    timestamp: message.timestamp,
  };
}

/** Bytes of a record's value, without making a Buffer of it. */
export function valueBytes(record: SourceRecord): number {
  if (record instanceof FetchedRecord) return Math.max(0, record.message.valueLength);
  return record.value?.length ?? 0;
}

/** Read position of the varint readers below (one record is read at a time, synchronously). */
let cursor = 0;

/** A zigzag varint of up to 32 bits. */
function readVarInt(memory: Buffer): number {
  let result = 0;
  let shift = 0;
  let byte: number;
  do {
    byte = memory[cursor++]!;
    result |= (byte & 0x7f) << shift;
    shift += 7;
  } while (byte & 0x80 && shift < 35);
  return (result >>> 1) ^ -(result & 1);
}

/** A zigzag varint of up to 64 bits, exact within a double's 53. */
function readVarLong(memory: Buffer): number {
  let result = 0;
  let scale = 1;
  let byte: number;
  do {
    byte = memory[cursor++]!;
    result += (byte & 0x7f) * scale;
    scale *= 128;
  } while (byte & 0x80 && scale <= 2 ** 63);
  return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
}

function readRecords(frame: RecordBatchFrame, start: number, count: number): FetchedMessage[] {
  const memory = frame.memory;
  const records = new Array<FetchedMessage>(count);
  cursor = start;
  for (let index = 0; index < count; index++) {
    const length = readVarInt(memory);
    const end = cursor + length;
    if (length < 0 || end > memory.length) {
      throw new SluiceError('KAFKA_CODEC', `a record of ${length} bytes runs past its record batch`);
    }
    cursor++; // attributes
    const timestampDelta = readVarLong(memory);
    const offsetDelta = readVarInt(memory);
    const keyLength = readVarInt(memory);
    const keyStart = cursor;
    if (keyLength > 0) cursor += keyLength;
    const valueLength = readVarInt(memory);
    const valueStart = cursor;
    if (valueLength > 0) cursor += valueLength;
    if (cursor >= end) throw new SluiceError('KAFKA_CODEC', 'a record longer than its length prefix');
    records[index] = new FetchedMessage(
      frame,
      offsetDelta,
      timestampDelta,
      keyStart,
      keyLength,
      valueStart,
      valueLength,
    );
    cursor = end;
  }
  return records;
}

/**
 * kafkajs's `recordBatch/v0/decoder` with the same input, output and errors (a batch cut short by
 * the fetch size is a KafkaJSPartialMessageError, which ends the fetch's batches), but with
 * records as FetchedMessage.
 */
async function decodeRecordBatch(fetchDecoder: ProtocolDecoder): Promise<Record<string, unknown>> {
  const firstOffset = fetchDecoder.readInt64().toString();
  const length = fetchDecoder.readInt32();
  const decoder = fetchDecoder.slice(length);
  fetchDecoder.forward(length);
  const remainingBytes = Buffer.byteLength(decoder.buffer);
  if (remainingBytes < length) {
    throw new KafkaJSPartialMessageError(
      `Tried to decode a partial record batch: remainingBytes(${remainingBytes}) < recordBatchLength(${length})`,
    );
  }
  const partitionLeaderEpoch = decoder.readInt32();
  const magicByte = decoder.readInt8();
  decoder.readInt32(); // CRC, not checked (kafkajs does not either)
  const attributes = decoder.readInt16();
  const lastOffsetDelta = decoder.readInt32();
  const firstTimestamp = decoder.readInt64().toString();
  const maxTimestamp = decoder.readInt64().toString();
  const producerId = decoder.readInt64().toString();
  const producerEpoch = decoder.readInt16();
  const firstSequence = decoder.readInt32();
  const logAppendTime = (attributes & TIMESTAMP_TYPE_FLAG_MASK) > 0;
  const recordContext = {
    firstOffset,
    firstTimestamp,
    partitionLeaderEpoch,
    inTransaction: (attributes & TRANSACTIONAL_FLAG_MASK) > 0,
    isControlBatch: (attributes & CONTROL_FLAG_MASK) > 0,
    lastOffsetDelta,
    producerId,
    producerEpoch,
    firstSequence,
    maxTimestamp,
    // kafkajs's TimestampTypes: CREATE_TIME 0, LOG_APPEND_TIME 1.
    timestampType: logAppendTime ? 1 : 0,
  };
  const count = decoder.readInt32();
  if (count <= 0) return { ...recordContext, records: [] };
  const codec = lookupCodecByAttributes(attributes);
  const memory = codec ? await codec.decompress(decoder.readAll()) : decoder.buffer;
  const frame = new RecordBatchFrame(
    memory,
    Number(firstOffset),
    Number(firstTimestamp),
    logAppendTime && maxTimestamp ? maxTimestamp : undefined,
    recordContext.isControlBatch,
    { ...recordContext, magicByte },
  );
  return { ...recordContext, records: readRecords(frame, codec ? 0 : decoder.offset, count) };
}

const recordBatchDecoder = require.resolve('kafkajs/src/protocol/recordBatch/v0/decoder.js');
const fetchMessagesDecoder = require.resolve('kafkajs/src/protocol/requests/fetch/v4/decodeMessages.js');

/** True when kafkajs reads record batches with decodeRecordBatch (see the module comment). */
export const recordsReadAsPositions = !(fetchMessagesDecoder in require.cache);
const kafkajsDecodeRecordBatch = require(recordBatchDecoder) as typeof decodeRecordBatch;
let kafkajsDecoding = false;
if (recordsReadAsPositions) {
  require.cache[recordBatchDecoder]!.exports = (fetchDecoder: ProtocolDecoder) =>
    kafkajsDecoding ? kafkajsDecodeRecordBatch(fetchDecoder) : decodeRecordBatch(fetchDecoder);
}

/**
 * Runs `run` with kafkajs's own record decoding in the whole process, for benchmarks that measure
 * what kafkajs alone costs (nothing else may be consuming meanwhile).
 */
export async function withKafkajsRecordDecoding<T>(run: () => Promise<T>): Promise<T> {
  kafkajsDecoding = true;
  try {
    return await run();
  } finally {
    kafkajsDecoding = false;
  }
}
