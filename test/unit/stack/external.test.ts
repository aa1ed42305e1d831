import { describe, expect, it } from 'vitest';
import { externalServices } from '../../../src/stack/external.ts';

describe('external services from the environment', () => {
  it('is empty when nothing is set', () => {
    expect(externalServices({})).toEqual({});
  });

  it('reads a server, a cluster (head first) and brokers', () => {
    const services = externalServices({
      SLUICE_DB_URL: 'mysql://u:p@db:3306/x',
      SLUICE_CLUSTER_URLS: 'mysql://root@h:1/s, mysql://root@l1:2/s,mysql://root@l2:3/s',
      SLUICE_KAFKA_BROKERS: 'k1:9092,k2:9092',
    });
    expect(services.single).toMatchObject({ host: 'db', user: 'u', password: 'p', database: 'x' });
    expect(services.cluster?.head.port).toBe(1);
    expect(services.cluster?.leaves.map((leaf) => leaf.port)).toEqual([2, 3]);
    expect(services.kafkaBrokers).toEqual(['k1:9092', 'k2:9092']);
  });

  it('rejects a cluster without leaves and a broker without a port', () => {
    expect(() => externalServices({ SLUICE_CLUSTER_URLS: 'mysql://h/s' })).toThrow(
      /head URL and at least one leaf/,
    );
    expect(() => externalServices({ SLUICE_KAFKA_BROKERS: 'k1' })).toThrow(
      "SLUICE_KAFKA_BROKERS entry 'k1' is not host:port",
    );
  });
});
