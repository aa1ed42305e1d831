import { describe, expect, it } from 'vitest';
import { KAFKA_VERSION, kafkaPom, kafkaServerProperties } from '../../../src/stack/kafka.ts';

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
