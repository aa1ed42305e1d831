import path from 'node:path';
import { ConfigError } from '../base/errors.ts';

export const TOPOLOGIES = ['all', 'single', 'cluster'] as const;
export type Topology = (typeof TOPOLOGIES)[number];

/** What `sluice stack` should run, after defaults and environment are applied. */
export interface StackConfig {
  /** Folder for data directories, logs, pid files and the state file (git-ignored `.sluice/`). */
  readonly home: string;
  /** Folder for things worth keeping across stacks: the MariaDB template datadir, Kafka's jars. */
  readonly cacheDir: string;
  readonly topology: Topology;
  /** Leaf servers behind the Spider head. */
  readonly leaves: number;
  readonly kafka: boolean;
  /** First MariaDB port (single, then head, then leaves), or 'auto' for free ports. */
  readonly portBase: number | 'auto';
  /** Kafka client port (the controller takes the next one), or 'auto' for free ports. */
  readonly kafkaPort: number | 'auto';
  readonly bufferPoolMb: number;
  /** May missing servers and tools be installed with apt-get (only as root on Debian/Ubuntu)? */
  readonly allowInstall: boolean;
  /** Seconds to wait for a component to answer after it is started. */
  readonly startTimeoutSeconds: number;
}

export interface StackOptions {
  home?: string;
  cacheDir?: string;
  topology?: string;
  leaves?: number | string;
  kafka?: boolean;
  portBase?: number | string;
  kafkaPort?: number | string;
  bufferPoolMb?: number | string;
  allowInstall?: boolean;
  startTimeoutSeconds?: number | string;
}

export const DEFAULT_PORT_BASE = 13306;
export const DEFAULT_KAFKA_PORT = 19092;

/**
 * Options win over environment variables, which win over defaults. Every invalid value is
 * reported with the values that would be valid.
 */
export function resolveStackConfig(
  options: StackOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): StackConfig {
  const home = path.resolve(options.home ?? env.SLUICE_HOME ?? path.join(process.cwd(), '.sluice'));
  const cacheDir = path.resolve(options.cacheDir ?? env.SLUICE_CACHE ?? path.join(home, 'cache'));
  const topology = parseTopology(options.topology ?? env.SLUICE_TOPOLOGY ?? 'all');
  const leaves = parseInteger('leaves', options.leaves ?? env.SLUICE_LEAVES ?? 2, 1, 16);
  const portBase = parsePort('port base', options.portBase ?? env.SLUICE_PORT_BASE ?? DEFAULT_PORT_BASE);
  const kafkaPort = parsePort('Kafka port', options.kafkaPort ?? env.SLUICE_KAFKA_PORT ?? DEFAULT_KAFKA_PORT);
  const bufferPoolMb = parseInteger(
    'buffer pool size (MB)',
    options.bufferPoolMb ?? env.SLUICE_DB_BUFFER_POOL_MB ?? 512,
    16,
    65536,
  );
  const startTimeoutSeconds = parseInteger(
    'start timeout (s)',
    options.startTimeoutSeconds ?? env.SLUICE_START_TIMEOUT ?? 120,
    5,
    3600,
  );
  return Object.freeze({
    home,
    cacheDir,
    topology,
    leaves,
    kafka: options.kafka ?? env.SLUICE_NO_KAFKA !== '1',
    portBase,
    kafkaPort,
    bufferPoolMb,
    allowInstall: options.allowInstall ?? env.SLUICE_NO_INSTALL !== '1',
    startTimeoutSeconds,
  });
}

export function parseTopology(value: string): Topology {
  if ((TOPOLOGIES as readonly string[]).includes(value)) return value as Topology;
  throw new ConfigError(`unknown topology '${value}'; valid topologies: ${TOPOLOGIES.join(', ')}`);
}

function parseInteger(what: string, value: number | string, min: number, max: number): number {
  const number = typeof value === 'number' ? value : Number(value.trim());
  if (!Number.isInteger(number) || number < min || number > max) {
    throw new ConfigError(`${what} must be a whole number from ${min} to ${max}, got '${value}'`);
  }
  return number;
}

function parsePort(what: string, value: number | string): number | 'auto' {
  if (value === 'auto') return 'auto';
  if (typeof value === 'string' && value.trim() === '') {
    throw new ConfigError(`${what} must be a port from 1024 to 65000 or 'auto', got an empty value`);
  }
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1024 || number > 65000) {
    throw new ConfigError(`${what} must be a port from 1024 to 65000 or 'auto', got '${value}'`);
  }
  return number;
}
