import { createRequire } from 'node:module';
import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { SluiceError } from '../../../src/base/errors.ts';
import { CODECS, type CodecName, registerCodecs } from '../../../src/loader/codecs.ts';
import { permanentCrash } from '../../../src/loader/crash.ts';

const events = Buffer.from(
  Array.from({ length: 500 }, (_, i) =>
    JSON.stringify({ id: i, user: `user-${i % 97}`, amount: i * 13.37 }),
  ).join('\n'),
);

describe('codecs', () => {
  for (const name of ['gzip', 'snappy', 'lz4', 'zstd'] as CodecName[]) {
    it(`${name} round-trips a batch and compresses it`, async () => {
      const compressed = await CODECS[name].compress(events);
      expect(compressed.length).toBeLessThan(events.length / 2);
      expect((await CODECS[name].decompress(compressed)).equals(events)).toBe(true);
    });
  }

  it('snappy reads the xerial framing Java producers write (several blocks)', async () => {
    const snappyjs = createRequire(import.meta.url)('snappyjs') as { compress(b: Uint8Array): Uint8Array };
    const header = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0, 0, 0, 0, 1, 0, 0, 0, 1]);
    const blocks = [events.subarray(0, 7000), events.subarray(7000)].map((part) => {
      const block = Buffer.from(snappyjs.compress(part));
      const size = Buffer.alloc(4);
      size.writeInt32BE(block.length);
      return Buffer.concat([size, block]);
    });
    const framed = Buffer.concat([header, ...blocks]);
    expect((await CODECS.snappy.decompress(framed)).equals(events)).toBe(true);
  });

  it('zstd reads a batch of several MB', async () => {
    const big = Buffer.concat(Array.from({ length: 400 }, () => events));
    const compressed = await CODECS.zstd.compress(big);
    expect(compressed.length * 16).toBeLessThan(big.length);
    expect((await CODECS.zstd.decompress(compressed)).equals(big)).toBe(true);
  });

  it('registered in kafkajs, a batch that does not decompress fails with KAFKA_CODEC, not retriable', async () => {
    registerCodecs();
    for (const type of [CompressionTypes.Snappy, CompressionTypes.LZ4, CompressionTypes.ZSTD] as const) {
      const codec = CompressionCodecs[type]() as { decompress(b: Buffer): Promise<Buffer> };
      const failure = await codec
        .decompress(Buffer.from('not a compressed batch at all'))
        .catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(SluiceError);
      expect(failure).toMatchObject({ code: 'KAFKA_CODEC', retriable: false });
      expect(permanentCrash(failure as Error)).toBe(failure);
    }
  });
});

describe('permanentCrash', () => {
  it('stops on a missing codec or a refused request, anywhere in the cause chain', () => {
    const missing = Object.assign(new Error('LZ4 compression not implemented'), {
      name: 'KafkaJSNotImplemented',
    });
    const wrapped = new Error('fetch failed', { cause: missing });
    expect(permanentCrash(wrapped)).toMatchObject({ code: 'KAFKA_CODEC' });
    expect(permanentCrash(wrapped)?.message).toContain('LZ4 compression not implemented');
    const refused = Object.assign(new Error('invalid session timeout'), {
      name: 'KafkaJSProtocolError',
      retriable: false,
    });
    expect(permanentCrash(refused)).toBe(refused);
  });

  it('leaves a broker that went away to a restart', () => {
    const gone = Object.assign(new Error('Connection error: ECONNREFUSED'), {
      name: 'KafkaJSConnectionError',
      retriable: true,
    });
    expect(permanentCrash(new Error('retries exceeded', { cause: gone }))).toBeUndefined();
    expect(permanentCrash(new SluiceError('DB_ERROR', 'server gone', { retriable: true }))).toBeUndefined();
  });
});
