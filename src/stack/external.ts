import { ConfigError } from '../base/errors.ts';
import { type DbEndpoint, parseDbUrl } from '../db/endpoint.ts';

/** Services named by environment variables: sluice uses them as they are and starts nothing for them. */
export interface ExternalServices {
  readonly single?: DbEndpoint;
  readonly cluster?: { readonly head: DbEndpoint; readonly leaves: readonly DbEndpoint[] };
  readonly kafkaBrokers?: readonly string[];
}

/**
 * SLUICE_DB_URL: one server. SLUICE_CLUSTER_URLS: comma-separated, the Spider head first, then
 * each leaf. SLUICE_KAFKA_BROKERS: comma-separated host:port list.
 */
export function externalServices(env: NodeJS.ProcessEnv = process.env): ExternalServices {
  const result: { -readonly [K in keyof ExternalServices]: ExternalServices[K] } = {};
  if (env.SLUICE_DB_URL) result.single = parseDbUrl(env.SLUICE_DB_URL, 'SLUICE_DB_URL');
  if (env.SLUICE_CLUSTER_URLS) {
    const urls = splitList(env.SLUICE_CLUSTER_URLS);
    if (urls.length < 2) {
      throw new ConfigError(
        'SLUICE_CLUSTER_URLS needs the Spider head URL and at least one leaf URL, comma-separated',
      );
    }
    const [head, ...leaves] = urls.map((url, index) =>
      parseDbUrl(url, `SLUICE_CLUSTER_URLS entry ${index + 1}`),
    ) as [DbEndpoint, ...DbEndpoint[]];
    result.cluster = { head, leaves };
  }
  if (env.SLUICE_KAFKA_BROKERS) {
    const brokers = splitList(env.SLUICE_KAFKA_BROKERS);
    for (const broker of brokers) {
      if (!/^[^\s:]+:\d+$/.test(broker)) {
        throw new ConfigError(`SLUICE_KAFKA_BROKERS entry '${broker}' is not host:port`);
      }
    }
    result.kafkaBrokers = brokers;
  }
  return result;
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}
