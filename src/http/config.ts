/**
 * What `sluice serve` runs with: named sources, tokens, limits. The sources are the ones every
 * command shares (sluice.config.json, SLUICE_SOURCE_<NAME>); the file's `serve` section holds the
 * rest; `--source name=url`, the host/port flags and SLUICE_TOKENS go on top. Every problem is
 * listed at once, with the valid values.
 */

import { ConfigError } from '../base/errors.ts';
import { loadSources } from '../config/sources.ts';
import { parseDbUrl } from '../db/endpoint.ts';
import type { DialectName } from '../sql/dialect.ts';

export const ROLES = ['read', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface SourceConfig {
  /** mysql://user:password@host:port/database: a server, or a Spider head (its leaves are read directly). */
  readonly url: string;
  readonly dialect?: DialectName;
  /**
   * Tables a query may read: `schema.table`, `schema.*` or `*`. Default: every table of the URL's
   * database. System schemas and sluice's own tables are denied unless a pattern names them.
   */
  readonly allow?: readonly string[];
}

export interface TokenConfig {
  readonly token: string;
  readonly role: Role;
  /** Shown in logs instead of the token. */
  readonly name?: string;
}

export interface QueryLimits {
  /** Rows a result may have before the stream ends with a truncation marker (0: no cap). */
  readonly maxRows: number;
  /** Bytes of encoded output before the stream ends with a truncation marker (0: no cap). */
  readonly maxBytes: number;
  /** Time the database gives each statement (SET STATEMENT max_statement_time). */
  readonly timeoutMs: number;
}

export interface ServeConfig {
  readonly host: string;
  readonly port: number;
  readonly sources: Readonly<Record<string, SourceConfig>>;
  readonly tokens: readonly TokenConfig[];
  /** Defaults for a query; a request may ask for less, or more up to `ceilings`. */
  readonly limits: QueryLimits;
  readonly ceilings: QueryLimits;
  readonly maxConcurrentQueries: number;
  readonly bodyLimitBytes: number;
  /** The source whose database holds the pipelines' state (default: the first source). */
  readonly pipelineState?: string;
  /** Fastify's pino logger: true, false, or pino options. */
  readonly logger: boolean | Record<string, unknown>;
  /** Event-loop delay (ms) and heap share above which requests get 503 with Retry-After. */
  readonly pressure: { readonly maxEventLoopDelayMs: number; readonly maxHeapUsedBytes: number };
  /**
   * Point reads (default true): SQL text that fixes a unique key, or a small LIMIT, is answered
   * from the row bytes over a pooled connection (docs/http.md "Point queries"); false sends every
   * query the general way.
   */
  readonly pointReads: boolean;
}

export const DEFAULT_LIMITS: QueryLimits = Object.freeze({
  maxRows: 1_000_000,
  maxBytes: 0,
  timeoutMs: 300_000,
});
export const DEFAULT_CEILINGS: QueryLimits = Object.freeze({ maxRows: 0, maxBytes: 0, timeoutMs: 3_600_000 });

export interface ServeOptions {
  readonly configFile?: string;
  readonly host?: string;
  readonly port?: string | number;
  /** `name=url` each. */
  readonly sources?: readonly string[];
  /** `role:token,role:token` (SLUICE_TOKENS). */
  readonly tokens?: string;
}

/**
 * The sources of sluice.config.json (or `--config`) and SLUICE_SOURCE_<NAME> (src/config/sources.ts,
 * shared with the other commands), the file's `serve` section, then `--source`, `--host`, `--port`
 * and SLUICE_TOKENS over them.
 */
export async function loadServeConfig(options: ServeOptions): Promise<ServeConfig> {
  const named = await loadSources(options.configFile ? { configPath: options.configFile } : {});
  const file: Record<string, unknown> = { ...(named.serve ?? {}) };
  const sources: Record<string, unknown> = {};
  for (const [name, source] of named.sources) {
    sources[name] = {
      url: source.url,
      dialect: source.dialect,
      ...(source.allow ? { allow: source.allow } : {}),
    };
  }
  for (const entry of options.sources ?? []) {
    const at = entry.indexOf('=');
    if (at <= 0) throw new ConfigError(`--source takes name=url, not '${entry}'`);
    sources[entry.slice(0, at)] = { url: entry.slice(at + 1) };
  }
  const tokens = [...((file.tokens as unknown[]) ?? [])];
  const tokenText = options.tokens ?? process.env.SLUICE_TOKENS;
  if (tokenText) {
    for (const item of tokenText.split(',').filter(Boolean)) {
      const at = item.indexOf(':');
      tokens.push({ role: item.slice(0, at), token: item.slice(at + 1) });
    }
  }
  return resolveServeConfig({
    ...file,
    sources,
    tokens,
    ...(options.host === undefined ? {} : { host: options.host }),
    ...(options.port === undefined ? {} : { port: options.port }),
  });
}

/** Checks a config object (as parsed from JSON) and fills in the defaults. */
export function resolveServeConfig(input: Record<string, unknown>): ServeConfig {
  const problems: string[] = [];
  const host = input.host === undefined ? '127.0.0.1' : String(input.host);
  const port = Number(input.port ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    problems.push(`port must be 0-65535, not '${input.port}'`);

  const sources: Record<string, SourceConfig> = {};
  const rawSources = (input.sources ?? {}) as Record<string, unknown>;
  if (typeof rawSources !== 'object' || Array.isArray(rawSources))
    problems.push('sources must be an object of name: {url}');
  for (const [name, raw] of Object.entries(rawSources)) {
    if (!/^[A-Za-z_][A-Za-z0-9_-]{0,63}$/.test(name)) {
      problems.push(`source name '${name}' must be letters, digits, _ or - (starting with a letter or _)`);
      continue;
    }
    const source = (typeof raw === 'string' ? { url: raw } : raw) as Record<string, unknown>;
    try {
      parseDbUrl(String(source?.url), `source '${name}' url`);
    } catch (error) {
      problems.push((error as Error).message);
      continue;
    }
    const dialect = source.dialect ?? 'mariadb';
    if (!['mariadb', 'mysql', 'singlestore'].includes(String(dialect)))
      problems.push(`source '${name}' dialect '${dialect}' is not one of mariadb, mysql, singlestore`);
    const allow = source.allow;
    if (
      allow !== undefined &&
      (!Array.isArray(allow) ||
        allow.some((p) => typeof p !== 'string' || !/^[^.\s]+\.[^.\s]+$|^\*$/.test(p)))
    )
      problems.push(`source '${name}' allow must be a list of 'schema.table', 'schema.*' or '*'`);
    sources[name] = Object.freeze({
      url: String(source.url),
      dialect: dialect as DialectName,
      ...(allow === undefined ? {} : { allow: Object.freeze([...(allow as string[])]) }),
    });
  }

  const tokens: TokenConfig[] = [];
  for (const [i, raw] of ((input.tokens ?? []) as Record<string, unknown>[]).entries()) {
    const role = raw?.role;
    if (!(ROLES as readonly unknown[]).includes(role))
      problems.push(`tokens[${i}] role '${role}' is not one of ${ROLES.join(', ')}`);
    else if (typeof raw.token !== 'string' || raw.token.length < 16)
      problems.push(`tokens[${i}] (${role}) must be a string of at least 16 characters`);
    else
      tokens.push(
        Object.freeze({
          token: raw.token,
          role: role as Role,
          name: typeof raw.name === 'string' ? raw.name : `${role}#${i + 1}`,
        }),
      );
  }

  const limits = limitsFrom(input.limits, DEFAULT_LIMITS, 'limits', problems);
  const ceilings = limitsFrom(input.ceilings, DEFAULT_CEILINGS, 'ceilings', problems);
  const maxConcurrentQueries = Number(input.maxConcurrentQueries ?? 32);
  if (!Number.isInteger(maxConcurrentQueries) || maxConcurrentQueries < 1)
    problems.push('maxConcurrentQueries must be a positive integer');
  const bodyLimitBytes = Number(input.bodyLimitBytes ?? 1024 * 1024);
  if (!Number.isInteger(bodyLimitBytes) || bodyLimitBytes < 1024)
    problems.push('bodyLimitBytes must be an integer >= 1024');
  const pipelineState =
    input.pipelineState === undefined ? Object.keys(sources)[0] : String(input.pipelineState);
  if (input.pipelineState !== undefined && !(String(input.pipelineState) in sources))
    problems.push(
      `pipelineState '${input.pipelineState}' is not a source; sources: ${Object.keys(sources).join(', ') || '(none)'}`,
    );
  const pressure = (input.pressure ?? {}) as Record<string, unknown>;
  if (input.pointReads !== undefined && typeof input.pointReads !== 'boolean')
    problems.push('pointReads must be true or false');

  if (problems.length > 0) throw new ConfigError(`invalid serve config:\n  ${problems.join('\n  ')}`);
  return Object.freeze({
    host,
    port,
    sources: Object.freeze(sources),
    tokens: Object.freeze(tokens),
    limits,
    ceilings,
    maxConcurrentQueries,
    bodyLimitBytes,
    ...(pipelineState === undefined ? {} : { pipelineState }),
    logger: (input.logger as ServeConfig['logger']) ?? true,
    pressure: Object.freeze({
      maxEventLoopDelayMs: Number(pressure.maxEventLoopDelayMs ?? 2000),
      maxHeapUsedBytes: Number(pressure.maxHeapUsedBytes ?? 0),
    }),
    pointReads: input.pointReads !== false,
  });
}

function limitsFrom(raw: unknown, defaults: QueryLimits, what: string, problems: string[]): QueryLimits {
  const given = (raw ?? {}) as Record<string, unknown>;
  const out: Record<string, number> = { ...defaults };
  for (const key of Object.keys(defaults) as (keyof QueryLimits)[]) {
    if (given[key] === undefined) continue;
    const value = Number(given[key]);
    if (!Number.isSafeInteger(value) || value < 0) problems.push(`${what}.${key} must be an integer >= 0`);
    else out[key] = value;
  }
  return Object.freeze(out as unknown as QueryLimits);
}

/** True for addresses only this machine can reach (where running without tokens is allowed). */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}
