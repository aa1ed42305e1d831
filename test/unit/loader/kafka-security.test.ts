import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/base/errors.ts';
import { kafkaSecurity } from '../../../src/loader/kafka-security.ts';
import { parsePipelineSpec } from '../../../src/loader/spec.ts';

const base = {
  name: 'orders',
  format: { kind: 'json', columns: [{ column: 'id', path: '$.id' }] },
  target: { url: 'mysql://root@127.0.0.1:3306/shop', table: 'orders' },
};
const withSource = (extra: Record<string, unknown>) => ({
  ...base,
  source: { brokers: ['broker:9093'], topics: ['orders'], ...extra },
});

function refusal(input: unknown): string {
  try {
    parsePipelineSpec(input);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('the spec was accepted');
}

describe('broker TLS and SASL in a spec', () => {
  it('maps SASL with the password (and optionally the user) read from the environment', () => {
    const spec = parsePipelineSpec(
      withSource({ tls: true, sasl: { mechanism: 'scram-sha-512', username: 'loader', passwordEnv: 'KPW' } }),
    );
    expect(kafkaSecurity(spec.source, { KPW: 's3cret' })).toEqual({
      ssl: true,
      sasl: { mechanism: 'scram-sha-512', username: 'loader', password: 's3cret' },
    });
    const fromEnv = parsePipelineSpec(
      withSource({ sasl: { mechanism: 'plain', usernameEnv: 'KUSER', passwordEnv: 'KPW' } }),
    );
    expect(kafkaSecurity(fromEnv.source, { KUSER: 'u', KPW: 'p' })).toEqual({
      sasl: { mechanism: 'plain', username: 'u', password: 'p' },
    });
    // The stored spec holds the variable's name only.
    expect(JSON.stringify(fromEnv)).not.toContain('"p"');
  });

  it('reads CA, certificate and key from files, the key passphrase from the environment', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-tls-'));
    for (const name of ['ca.pem', 'cert.pem', 'key.pem'])
      writeFileSync(path.join(dir, name), `${name} bytes`);
    const spec = parsePipelineSpec(
      withSource({
        tls: {
          caFile: path.join(dir, 'ca.pem'),
          certFile: path.join(dir, 'cert.pem'),
          keyFile: path.join(dir, 'key.pem'),
          keyPasswordEnv: 'KEYPASS',
          servername: 'kafka.internal',
        },
      }),
    );
    const { ssl } = kafkaSecurity(spec.source, { KEYPASS: 'pp' });
    expect(ssl).toEqual({
      rejectUnauthorized: true,
      ca: [Buffer.from('ca.pem bytes')],
      cert: Buffer.from('cert.pem bytes'),
      key: Buffer.from('key.pem bytes'),
      passphrase: 'pp',
      servername: 'kafka.internal',
    });
    const lax = parsePipelineSpec(withSource({ tls: { rejectUnauthorized: false } }));
    expect(kafkaSecurity(lax.source, {})).toEqual({ ssl: { rejectUnauthorized: false } });
  });

  it('names the missing environment variable or unreadable file', () => {
    const spec = parsePipelineSpec(
      withSource({ sasl: { mechanism: 'plain', username: 'u', passwordEnv: 'NOT_SET_ANYWHERE' } }),
    );
    expect(() => kafkaSecurity(spec.source, {})).toThrow(
      /source\.sasl\.passwordEnv: the environment variable NOT_SET_ANYWHERE is not set/,
    );
    const files = parsePipelineSpec(withSource({ tls: { caFile: '/nonexistent/ca.pem' } }));
    expect(() => kafkaSecurity(files.source, {})).toThrow(
      /source\.tls\.caFile: cannot read \/nonexistent\/ca\.pem/,
    );
  });

  it('refuses secrets written into the spec, and says where they go instead', () => {
    expect(refusal(withSource({ sasl: { mechanism: 'plain', username: 'u', password: 'p' } }))).toMatch(
      /\/source\/sasl\/password: secrets are not kept in a spec .* passwordEnv/,
    );
    expect(refusal(withSource({ tls: { key: '-----BEGIN', passphrase: 'x' } }))).toMatch(
      /\/source\/tls\/key: key material is read from a file: give keyFile[\s\S]*\/source\/tls\/passphrase: secrets/,
    );
    expect(refusal(withSource({ sasl: { mechanism: 'plain', passwordEnv: 'P' } }))).toContain(
      'give exactly one of username or usernameEnv',
    );
    expect(refusal(withSource({ sasl: { mechanism: 'gssapi', username: 'u', passwordEnv: 'P' } }))).toContain(
      '/source/sasl/mechanism: must be one of plain, scram-sha-256, scram-sha-512',
    );
    expect(refusal(withSource({ tls: { certFile: '/c.pem' } }))).toContain(
      'certFile and keyFile go together',
    );
  });
});

describe('dead-letter topic in a spec', () => {
  it('defaults to one partition, uncompressed', () => {
    const spec = parsePipelineSpec({
      ...withSource({}),
      errors: { deadLetter: { topic: 'orders.dlq' } },
    });
    expect(spec.errors.deadLetter).toEqual({ topic: 'orders.dlq', partitions: 1, compression: 'none' });
    expect(
      refusal({ ...withSource({}), errors: { deadLetter: { topic: 'bad topic', compression: 'brotli' } } }),
    ).toMatch(/\/errors\/deadLetter\/topic[\s\S]*\/errors\/deadLetter\/compression: must be one of/);
  });
});
