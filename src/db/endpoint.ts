import { ConfigError } from '../base/errors.ts';

/** Where a MySQL-wire server listens and how to log in. Plain data, safe to print (password aside). */
export interface DbEndpoint {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** Default schema; the stack creates `sluice` on every server it starts. */
  readonly database: string;
}

export const DEFAULT_DATABASE = 'sluice';

/** Parses `mysql://user:password@host:port/database` (also `mariadb://`, `singlestore://`). */
export function parseDbUrl(url: string, what = 'database URL'): DbEndpoint {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new ConfigError(
      `${what} '${url}' is not a URL; expected mysql://user:password@host:port/database`,
      {
        cause,
      },
    );
  }
  const schemes = ['mysql:', 'mariadb:', 'singlestore:'];
  if (!schemes.includes(parsed.protocol)) {
    throw new ConfigError(
      `${what} '${url}' has scheme '${parsed.protocol.replace(/:$/, '')}'; valid schemes: mysql, mariadb, singlestore`,
    );
  }
  const port = parsed.port === '' ? 3306 : Number(parsed.port);
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || DEFAULT_DATABASE;
  return Object.freeze({
    host: parsed.hostname,
    port,
    user: decodeURIComponent(parsed.username) || 'root',
    password: decodeURIComponent(parsed.password),
    database,
  });
}

/** The URL of an endpoint, with the password left out so it can be printed and logged. */
export function endpointUrl(endpoint: DbEndpoint): string {
  const user = encodeURIComponent(endpoint.user);
  return `mysql://${user}@${endpoint.host}:${endpoint.port}/${encodeURIComponent(endpoint.database)}`;
}

/**
 * Where and as whom every sluice connection logs in, in the driver's option names; the two
 * modules that open connections (driver.ts, raw-query.ts) add their own result settings.
 */
export function connectionTarget(endpoint: DbEndpoint) {
  return {
    host: endpoint.host,
    port: endpoint.port,
    user: endpoint.user,
    password: endpoint.password,
    database: endpoint.database,
    // utf8mb4, so every character (4-byte UTF-8 too) goes both ways unchanged.
    charset: 'utf8mb4_general_ci',
  };
}
