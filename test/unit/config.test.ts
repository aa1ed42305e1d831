import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/base/errors.ts';
import { resolveStackConfig } from '../../src/config/stack.ts';

describe('resolveStackConfig', () => {
  it('has sane defaults: everything, two leaves, fixed ports, .sluice in the working folder', () => {
    const config = resolveStackConfig({}, {});
    expect(config).toMatchObject({
      topology: 'all',
      leaves: 2,
      kafka: true,
      portBase: 13306,
      kafkaPort: 19092,
      allowInstall: true,
      home: path.join(process.cwd(), '.sluice'),
      cacheDir: path.join(process.cwd(), '.sluice', 'cache'),
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads the environment, and options win over it', () => {
    const env = {
      SLUICE_TOPOLOGY: 'cluster',
      SLUICE_LEAVES: '3',
      SLUICE_PORT_BASE: 'auto',
      SLUICE_NO_KAFKA: '1',
    };
    expect(resolveStackConfig({}, env)).toMatchObject({
      topology: 'cluster',
      leaves: 3,
      portBase: 'auto',
      kafka: false,
    });
    expect(resolveStackConfig({ topology: 'single', leaves: 4, portBase: 20000 }, env)).toMatchObject({
      topology: 'single',
      leaves: 4,
      portBase: 20000,
    });
  });

  it('rejects an unknown topology, naming the valid ones', () => {
    expect(() => resolveStackConfig({ topology: 'mesh' }, {})).toThrow(ConfigError);
    expect(() => resolveStackConfig({ topology: 'mesh' }, {})).toThrow(
      "unknown topology 'mesh'; valid topologies: all, single, cluster",
    );
  });

  it.each([
    [{ leaves: '0' }, /leaves must be a whole number from 1 to 16, got '0'/],
    [{ leaves: 'two' }, /leaves must be a whole number/],
    [{ portBase: '80' }, /port base must be a port from 1024 to 65000 or 'auto', got '80'/],
    [{ kafkaPort: 'x' }, /Kafka port must be a port/],
    [{ portBase: '' }, /got an empty value/],
  ])('rejects %j with a message naming the valid range', (options, message) => {
    expect(() => resolveStackConfig(options, {})).toThrow(message);
  });
});
