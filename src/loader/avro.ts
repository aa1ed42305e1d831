/**
 * Avro records (avsc) with the writer's schema given in the spec, plain or in Confluent's wire
 * format (magic byte 0, 4-byte big-endian schema id, then the Avro body), so records produced
 * through a schema registry load without one running. The decoded record is mapped to columns
 * by the same paths as JSON (`$.customer.id`).
 *
 * Exact values: decimal logical types become their digits (two's complement unscaled bytes and
 * the schema's scale, through BigInt), longs beyond 2^53 keep every digit, bytes and fixed load
 * as base64 text.
 */
import avro from 'avsc';
import { ConfigError } from '../base/errors.ts';
import { unscaledToText } from '../values/decimal.ts';
import { type Payload, RecordError } from './record-error.ts';
import type { RegistryEntry, RegistrySpec } from './schema-registry.ts';

export interface AvroFormat {
  /** The writer's schema (Avro JSON); with a registry, the ids' schemas come from it instead. */
  readonly schema?: unknown;
  /** confluent: each payload starts with magic byte 0 and the registry's 4-byte schema id. */
  readonly wire: 'plain' | 'confluent';
  /** With confluent wire: the only schema id accepted (the spec's schema is that one). */
  readonly schemaId?: number;
  /** Writer schemas by the id each record carries, from a schema registry (schema-registry.ts). */
  readonly registry?: RegistrySpec;
  /** The registry's answers looked up so far, by id (filled in by the batch decoder). */
  readonly schemas?: Readonly<Record<string, RegistryEntry>>;
}

class DecimalType extends avro.types.LogicalType {
  private readonly scale: number;

  constructor(schema: avro.Schema, options?: unknown) {
    super(schema, options);
    this.scale = (schema as { scale?: number }).scale ?? 0;
  }

  protected override _fromValue(bytes: Buffer): string {
    let unscaled = 0n;
    for (const byte of bytes) unscaled = (unscaled << 8n) | BigInt(byte);
    if (bytes.length > 0 && bytes[0]! & 0x80) unscaled -= 1n << BigInt(bytes.length * 8);
    return unscaledToText(unscaled, this.scale);
  }

  protected override _toValue(text: string): Buffer {
    const [whole = '0', fraction = ''] = text.replace('-', '').split('.');
    let unscaled = BigInt(whole + fraction.padEnd(this.scale, '0').slice(0, this.scale));
    if (text.startsWith('-')) unscaled = -unscaled;
    let size = 1;
    while (unscaled >= 1n << BigInt(size * 8 - 1) || unscaled < -(1n << BigInt(size * 8 - 1))) size++;
    let bits = unscaled < 0n ? (1n << BigInt(size * 8)) + unscaled : unscaled;
    const bytes = Buffer.alloc(size);
    for (let index = size - 1; index >= 0; index--) {
      bytes[index] = Number(bits & 0xffn);
      bits >>= 8n;
    }
    return bytes;
  }

  protected override _resolve(type: avro.Type): ((value: unknown) => unknown) | undefined {
    return avro.Type.isType(type, 'logical:decimal') ? (value) => value : undefined;
  }
}

/** Longs as numbers while exact, as their digits beyond 2^53. */
const exactLong = avro.types.LongType.__with({
  fromBuffer: (buffer: Buffer) => {
    const value = buffer.readBigInt64LE(0);
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  },
  toBuffer: (value: number | string) => {
    const buffer = Buffer.alloc(8);
    buffer.writeBigInt64LE(BigInt(value));
    return buffer;
  },
  fromJSON: (value: number | string) => value,
  toJSON: (value: number | string) => (typeof value === 'string' ? Number(value) : value),
  isValid: (value: unknown) =>
    typeof value === 'number' || (typeof value === 'string' && /^-?\d+$/.test(value)),
  compare: (a: number | string, b: number | string) => {
    const difference = BigInt(a) - BigInt(b);
    return difference === 0n ? 0 : difference < 0n ? -1 : 1;
  },
});

/** The avsc type for a spec's schema; a schema avsc refuses is a ConfigError. */
export function avroType(schema: unknown): avro.Type {
  try {
    return avro.Type.forSchema(schema as avro.Schema, {
      logicalTypes: { decimal: DecimalType },
      registry: { long: exactLong },
    });
  } catch (error) {
    throw new ConfigError(`format.schema: not a valid Avro schema: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** Confluent's framing around an Avro body: magic byte 0, the schema id as a big-endian int32. */
export function confluentFrame(schemaId: number, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.writeInt32BE(schemaId, 1);
  return Buffer.concat([header, body]);
}

/** A payload's Avro record as a plain object (bytes and fixed as base64 text). */
export function avroReader(format: AvroFormat): (payload: Payload) => Readonly<Record<string, unknown>> {
  const fixed = format.registry ? undefined : readerOf(format.schema);
  const byId = new Map<number, ReturnType<typeof readerOf>>();
  const registered = (id: number) => {
    let reader = byId.get(id);
    if (!reader) {
      const entry = format.schemas?.[id];
      if (!entry) throw new RecordError('parse', `schema id ${id} was not looked up in the schema registry`);
      if ('missing' in entry) throw new RecordError('parse', entry.missing);
      try {
        reader = readerOf(entry.schema);
      } catch (error) {
        throw new RecordError('parse', `schema id ${id}: ${(error as Error).message}`);
      }
      byId.set(id, reader);
    }
    return reader;
  };
  return (payload) => {
    if (!Buffer.isBuffer(payload)) {
      throw new RecordError(
        'parse',
        'an Avro pipeline got text or an object; a transform cannot come before Avro',
      );
    }
    let body = payload;
    let reader = fixed;
    if (format.wire === 'confluent') {
      if (payload.length < 5 || payload[0] !== 0)
        throw new RecordError('parse', 'not in Confluent wire format (magic byte 0 and a 4-byte schema id)');
      const id = payload.readInt32BE(1);
      if (format.schemaId !== undefined && id !== format.schemaId)
        throw new RecordError(
          'parse',
          `schema id ${id}; this pipeline reads schema id ${format.schemaId} only`,
        );
      body = payload.subarray(5);
      reader ??= registered(id);
    }
    let record: unknown;
    try {
      record = reader!.type.fromBuffer(body);
    } catch (error) {
      throw new RecordError('parse', `malformed Avro: ${(error as Error).message}`);
    }
    return (reader!.hasBytes ? withBase64(record) : record) as Readonly<Record<string, unknown>>;
  };
}

function readerOf(schema: unknown): { type: avro.Type; hasBytes: boolean } {
  return { type: avroType(schema), hasBytes: /"(bytes|fixed)"/.test(JSON.stringify(schema)) };
}

function withBase64(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (Array.isArray(value)) return value.map(withBase64);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, withBase64(inner)]));
  }
  return value;
}
