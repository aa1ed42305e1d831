/**
 * Named database sources, so URLs are not retyped: `sluice query --source tpch "…"`, and the
 * sources `sluice serve` offers. They come from a JSON file (`sluice.config.json` in the working
 * directory, or the file given) and from environment variables `SLUICE_SOURCE_<NAME>=url`;
 * an environment variable wins over the file entry of the same name, as options win over
 * environment everywhere else in sluice. The file format is documented in docs/cli.md:
 *
 *   { "sources": { "local": "mysql://root@127.0.0.1:13306/sluice",
 *                  "tpch": { "url": "mysql://app@db:3306/tpch", "dialect": "mariadb",
 *                            "passwordEnv": "TPCH_PASSWORD" } },
 *     "defaultSource": "local" }
 *
 * Passwords can stay out of the file: `passwordEnv` names the variable that holds one.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../base/errors.ts';
import { type DbEndpoint, endpointUrl, parseDbUrl } from '../db/endpoint.ts';
import type { DialectName } from '../sql/dialect.ts';

const DIALECTS: readonly DialectName[] = ['mariadb', 'mysql', 'singlestore'];

export const CONFIG_FILE_NAME = 'sluice.config.json';
export const SOURCE_ENV_PREFIX = 'SLUICE_SOURCE_';

export interface SourceDefinition {
  /** Lower-case name: `SLUICE_SOURCE_TPCH` and `"TPCH"` in the file both define `tpch`. */
  readonly name: string;
  /** The URL to connect with, password included when `passwordEnv` gave one. */
  readonly url: string;
  readonly endpoint: DbEndpoint;
  readonly dialect: DialectName;
  /** Where it was defined: the file path or the variable name (for messages). */
  readonly origin: string;
  /** Tables `sluice serve` lets queries read (`schema.table`, `schema.*`, `*`; see docs/http.md). */
  readonly allow?: readonly string[];
}

export interface SourcesConfig {
  readonly sources: ReadonlyMap<string, SourceDefinition>;
  /** The source used when none is named (`defaultSource` in the file). */
  readonly defaultSource?: string;
  /** The config file read, if any. */
  readonly file?: string;
  /** The file's `serve` section (tokens, limits, …), checked by `sluice serve` (src/http/config.ts). */
  readonly serve?: Readonly<Record<string, unknown>>;
}

export interface LoadSourcesOptions {
  /** A config file that must exist (`--config`); without it `sluice.config.json` in `cwd` is read if present. */
  readonly configPath?: string;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
}

/** Reads the named sources from the config file and the environment. */
export async function loadSources(options: LoadSourcesOptions = {}): Promise<SourcesConfig> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const file = options.configPath ? path.resolve(cwd, options.configPath) : path.join(cwd, CONFIG_FILE_NAME);
  const text = await readFile(file, 'utf8').catch((cause: NodeJS.ErrnoException) => {
    if (!options.configPath && cause.code === 'ENOENT') return undefined;
    throw new ConfigError(`cannot read config file '${file}': ${cause.message}`, { cause });
  });
  const sources = new Map<string, SourceDefinition>();
  let defaultSource: string | undefined;
  let serve: Record<string, unknown> | undefined;
  if (text !== undefined) {
    const parsed = parseConfig(text, file);
    serve = parsed.serve;
    for (const [name, entry] of Object.entries(parsed.sources ?? {})) {
      sources.set(name.toLowerCase(), sourceFromEntry(name, entry, file, env));
    }
    defaultSource = parsed.defaultSource?.toLowerCase();
  }
  for (const [key, value] of Object.entries(env)) {
    if (!key.startsWith(SOURCE_ENV_PREFIX) || !value) continue;
    const name = key.slice(SOURCE_ENV_PREFIX.length).toLowerCase();
    if (name === '') continue;
    sources.set(name, sourceFromEntry(name, value, key, env));
  }
  if (defaultSource !== undefined && !sources.has(defaultSource)) {
    throw new ConfigError(
      `defaultSource '${defaultSource}' in '${file}' is not a source; sources: ${[...sources.keys()].join(', ') || 'none'}`,
    );
  }
  return {
    sources,
    ...(defaultSource ? { defaultSource } : {}),
    ...(text !== undefined ? { file } : {}),
    ...(serve ? { serve } : {}),
  };
}

/** The source called `name`; an unknown name lists the known ones. */
export function findSource(config: SourcesConfig, name: string): SourceDefinition {
  const found = config.sources.get(name.toLowerCase());
  if (found) return found;
  const known = [...config.sources.keys()];
  throw new ConfigError(
    `no source named '${name}'; ${known.length > 0 ? `sources: ${known.join(', ')}` : `define one in ${CONFIG_FILE_NAME} or with ${SOURCE_ENV_PREFIX}${name.toUpperCase()}=mysql://…`}`,
  );
}

export interface ResolveDatabaseOptions extends LoadSourcesOptions {
  /** A URL given on the command line (`--db`): wins over everything. */
  readonly db?: string;
  /** A source name (`--source`). */
  readonly source?: string;
}

/**
 * The database a command talks to: `--db URL`, else `--source NAME`, else the config's
 * `defaultSource`, else `SLUICE_DB_URL`, else the only source defined. Undefined when none applies.
 */
export async function resolveDatabase(
  options: ResolveDatabaseOptions,
): Promise<SourceDefinition | undefined> {
  const env = options.env ?? process.env;
  if (options.db !== undefined) return adHocSource('--db', options.db, '--db');
  const config = await loadSources(options);
  if (options.source !== undefined) return findSource(config, options.source);
  if (config.defaultSource) return findSource(config, config.defaultSource);
  if (env.SLUICE_DB_URL) return adHocSource('default', env.SLUICE_DB_URL, 'SLUICE_DB_URL');
  if (config.sources.size === 1) return [...config.sources.values()][0];
  return undefined;
}

function adHocSource(name: string, url: string, origin: string): SourceDefinition {
  return { name, url, endpoint: parseDbUrl(url, origin), dialect: 'mariadb', origin };
}

interface ConfigFile {
  sources?: Record<string, string | SourceEntry>;
  defaultSource?: string;
  serve?: Record<string, unknown>;
}

interface SourceEntry {
  url: string;
  dialect?: string;
  passwordEnv?: string;
  allow?: string[];
}

function parseConfig(text: string, file: string): ConfigFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new ConfigError(`config file '${file}' is not JSON: ${(cause as Error).message}`, { cause });
  }
  const problems: string[] = [];
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`config file '${file}' must hold a JSON object with "sources"`);
  }
  const config = parsed as Record<string, unknown>;
  for (const key of Object.keys(config)) {
    if (!['sources', 'defaultSource', 'serve', '$schema'].includes(key)) {
      problems.push(`unknown key '${key}' (valid: sources, defaultSource, serve)`);
    }
  }
  if (config.sources !== undefined && (typeof config.sources !== 'object' || config.sources === null)) {
    problems.push('"sources" must be an object of name → URL or { url, dialect, passwordEnv }');
  }
  if (config.defaultSource !== undefined && typeof config.defaultSource !== 'string') {
    problems.push('"defaultSource" must be a source name');
  }
  for (const [name, entry] of Object.entries((config.sources as Record<string, unknown>) ?? {})) {
    if (typeof entry === 'string') continue;
    if (typeof entry !== 'object' || entry === null || typeof (entry as SourceEntry).url !== 'string') {
      problems.push(`source '${name}' needs a URL string or { "url": … }`);
      continue;
    }
    for (const key of Object.keys(entry)) {
      if (!['url', 'dialect', 'passwordEnv', 'allow'].includes(key)) {
        problems.push(`source '${name}': unknown key '${key}' (valid: url, dialect, passwordEnv, allow)`);
      }
    }
  }
  if (problems.length > 0) {
    throw new ConfigError(`invalid config file '${file}':\n  ${problems.join('\n  ')}`);
  }
  return config as ConfigFile;
}

function sourceFromEntry(
  name: string,
  entry: string | SourceEntry,
  origin: string,
  env: NodeJS.ProcessEnv,
): SourceDefinition {
  const spec: SourceEntry = typeof entry === 'string' ? { url: entry } : entry;
  const what = `source '${name}' (${origin})`;
  let endpoint = parseDbUrl(spec.url, what);
  let url = spec.url;
  if (spec.passwordEnv !== undefined) {
    const password = env[spec.passwordEnv];
    if (password === undefined) {
      throw new ConfigError(`${what} takes its password from ${spec.passwordEnv}, which is not set`);
    }
    endpoint = Object.freeze({ ...endpoint, password });
    const withPassword = new URL(spec.url);
    withPassword.password = encodeURIComponent(password);
    url = withPassword.toString();
  }
  const dialect = (spec.dialect ?? 'mariadb') as DialectName;
  if (!DIALECTS.includes(dialect)) {
    throw new ConfigError(`${what} has dialect '${spec.dialect}'; valid dialects: ${DIALECTS.join(', ')}`);
  }
  return {
    name: name.toLowerCase(),
    url,
    endpoint,
    dialect,
    origin,
    ...(Array.isArray(spec.allow) ? { allow: Object.freeze([...spec.allow]) } : {}),
  };
}

/** The source for messages: its name and URL without the password. */
export function describeSource(source: SourceDefinition): string {
  const url = endpointUrl(source.endpoint);
  // A URL given as --db or SLUICE_DB_URL has no name of its own.
  return source.origin === source.name || source.origin === 'SLUICE_DB_URL' ? url : `${source.name} (${url})`;
}
