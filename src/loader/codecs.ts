/**
 * The compression codecs kafkajs lacks (it reads gzip only), registered once in its codec table.
 * Real producers compress: librdkafka and Java client users set lz4, zstd or snappy.
 *
 * Chosen per codec by CPU per message on 100-record batches of 150-byte JSON events
 * (bench/codecs.ts; docs/kafka.md has the figures):
 * - snappy: snappyjs (pure JS) beats the napi binding, whose call overhead dominates at batch
 *   sizes; Java producers wrap snappy in xerial's stream framing, librdkafka does not: both read.
 * - lz4: lz4-napi's frame decoder (Kafka's v2 record batches use the LZ4 frame format) runs off
 *   the main thread, where kafkajs decodes records.
 * - zstd: Node's own zlib where it has zstd (22.15+), otherwise @bokuweb/zstd-wasm (libzstd
 *   compiled to wasm, ~20x faster than the pure-JS decoders).
 * Each codec's module is loaded on its first batch: a pipeline on plain topics loads none.
 *
 * A batch that does not decompress fails with KAFKA_CODEC, not retriable: fetching it again
 * gives the same bytes, so the pipeline stops with that error instead of restarting forever.
 */
import { createRequire } from 'node:module';
import zlib from 'node:zlib';
import kafkajs, { CompressionTypes } from 'kafkajs';
import { SluiceError } from '../base/errors.ts';

export type CodecName = 'gzip' | 'snappy' | 'lz4' | 'zstd';

export interface Codec {
  compress(data: Buffer): Promise<Buffer>;
  decompress(data: Buffer): Promise<Buffer>;
}

const require = createRequire(import.meta.url);
// Node's ESM loader does not see this one among kafkajs's CommonJS named exports.
const { CompressionCodecs } = kafkajs;

interface SnappyJs {
  compress(input: Uint8Array): Uint8Array;
  uncompress(input: Uint8Array): Uint8Array;
}

const snappyJs = once(() => require('snappyjs') as SnappyJs);
const lz4 = once(() => import('lz4-napi'));
const zstdWasm = once(async () => {
  const module = await import('@bokuweb/zstd-wasm');
  await module.init();
  return module;
});

/** xerial snappy-java's stream header: magic, then version and compatible version (int32 each). */
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_BYTES = 16;

function snappyDecompress(data: Buffer): Buffer {
  const snappy = snappyJs();
  if (data.length < XERIAL_HEADER_BYTES || !data.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC)) {
    return toBuffer(snappy.uncompress(data));
  }
  const chunks: Buffer[] = [];
  let at = XERIAL_HEADER_BYTES;
  while (at < data.length) {
    if (at + 4 > data.length) throw new SluiceError('KAFKA_CODEC', 'truncated xerial snappy block header');
    const size = data.readInt32BE(at);
    at += 4;
    if (size < 0 || at + size > data.length)
      throw new SluiceError('KAFKA_CODEC', 'truncated xerial snappy block');
    chunks.push(toBuffer(snappy.uncompress(data.subarray(at, at + size))));
    at += size;
  }
  return Buffer.concat(chunks);
}

/** Node 22.15+ has zstd in zlib; the types of Node 20 do not know it yet. */
const nativeZstd = zlib as unknown as {
  zstdCompress?: (data: Buffer, callback: (error: Error | null, result: Buffer) => void) => void;
  zstdDecompress?: (data: Buffer, callback: (error: Error | null, result: Buffer) => void) => void;
};

/**
 * Java's and librdkafka's streaming compressors leave the content size out of the frame: the
 * output space then starts at 16x the input (1 MB at least) and grows until the frame fits.
 */
const ZSTD_MAX_OUTPUT = 1024 * 1024 * 1024;

async function zstdDecompress(data: Buffer): Promise<Buffer> {
  const decompress = nativeZstd.zstdDecompress;
  if (decompress) return callback<Buffer>((done) => decompress(data, done));
  const wasm = await zstdWasm();
  for (let heap = Math.max(1024 * 1024, data.length * 16); ; heap *= 4) {
    try {
      return toBuffer(wasm.decompress(data, { defaultHeapSize: heap }));
    } catch (error) {
      if (heap * 4 > ZSTD_MAX_OUTPUT) throw error;
    }
  }
}

async function zstdCompress(data: Buffer): Promise<Buffer> {
  const compress = nativeZstd.zstdCompress;
  if (compress) return callback<Buffer>((done) => compress(data, done));
  return toBuffer((await zstdWasm()).compress(data, 3));
}

const gunzip = (data: Buffer) => callback<Buffer>((done) => zlib.unzip(data, done));
const gzip = (data: Buffer) => callback<Buffer>((done) => zlib.gzip(data, done));

export const CODECS: Readonly<Record<CodecName, Codec>> = Object.freeze({
  gzip: { compress: gzip, decompress: gunzip },
  snappy: {
    compress: async (data) => toBuffer(snappyJs().compress(data)),
    decompress: async (data) => snappyDecompress(data),
  },
  lz4: {
    compress: async (data) => (await lz4()).compressFrame(data),
    decompress: async (data) => (await lz4()).decompressFrame(data),
  },
  zstd: { compress: zstdCompress, decompress: zstdDecompress },
});

const KAFKAJS_TYPES: Readonly<Record<CodecName, Exclude<CompressionTypes, CompressionTypes.None>>> = {
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
};

let registered = false;

/** Makes every kafkajs client in this process read (and write) all four of Kafka's codecs. */
export function registerCodecs(): void {
  if (registered) return;
  registered = true;
  for (const [name, codec] of Object.entries(CODECS) as [CodecName, Codec][]) {
    const kafkajsCodec = {
      compress: (encoder: { buffer: Buffer }) => codec.compress(encoder.buffer),
      decompress: (data: Buffer) =>
        codec.decompress(data).catch((error: unknown) => {
          // No `cause`: kafkajs's retrier wraps an error as `cause ?? error`, and this one must
          // stay in the chain for the runner to see that a restart cannot help.
          throw new SluiceError(
            'KAFKA_CODEC',
            `a ${name}-compressed record batch could not be decompressed: ${(error as Error).message ?? error}`,
          );
        }),
    };
    CompressionCodecs[KAFKAJS_TYPES[name]] = () => kafkajsCodec;
  }
}

/** The kafkajs compression type for a codec name (for producers: the dead-letter topic, tests). */
export function compressionType(name: CodecName | 'none'): CompressionTypes {
  return name === 'none' ? CompressionTypes.None : KAFKAJS_TYPES[name];
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function callback<T>(run: (done: (error: Error | null, result: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => run((error, result) => (error ? reject(error) : resolve(result))));
}

function once<T>(load: () => T): () => T {
  let value: { v: T } | undefined;
  return () => {
    value ??= { v: load() };
    return value.v;
  };
}
