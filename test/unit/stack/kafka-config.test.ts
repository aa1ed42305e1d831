import { describe, expect, it } from 'vitest';
import { KAFKA_VERSION, kafkaPom, kafkaServerProperties, newClusterId } from '../../../src/stack/kafka.ts';

describe('Kafka broker configuration', () => {
  it('pins the broker version in the pom Maven resolves', () => {
    expect(KAFKA_VERSION).toBe('3.9.1');
    expect(kafkaPom()).toContain('<artifactId>kafka_2.13</artifactId><version>3.9.1</version>');
  });

  it('runs one KRaft node as broker and controller on loopback, on the given ports', () => {
    const properties = kafkaServerProperties({
      name: 'kafka',
      port: 29092,
      controllerPort: 29093,
      dir: '/d/kafka',
    });
    const lines = new Set(properties.split('\n'));
    for (const line of [
      'process.roles=broker,controller',
      'controller.quorum.voters=1@127.0.0.1:29093',
      'listeners=PLAINTEXT://127.0.0.1:29092,CONTROLLER://127.0.0.1:29093',
      'advertised.listeners=PLAINTEXT://127.0.0.1:29092',
      'log.dirs=/d/kafka/data',
      'offsets.topic.replication.factor=1',
    ]) {
      expect(lines).toContain(line);
    }
  });
});

describe('KRaft cluster ids', () => {
  it('are 22 base64url characters and never start with a dash', () => {
    // 0xfb... encodes to a leading '-' in base64url; the first draw must be rejected.
    const draws = [Buffer.alloc(16, 0xfb), Buffer.alloc(16, 0x41)];
    const id = newClusterId(() => draws.shift()!);
    expect(Buffer.alloc(16, 0xfb).toString('base64url').startsWith('-')).toBe(true);
    expect(id).toBe(Buffer.alloc(16, 0x41).toString('base64url'));
    expect(draws).toHaveLength(0);
    for (let i = 0; i < 200; i++) expect(newClusterId()).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
  });
});
