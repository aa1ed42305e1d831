import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { cp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { StackError } from '../base/errors.ts';
import { withSession } from '../db/driver.ts';
import { type DbEndpoint, DEFAULT_DATABASE } from '../db/endpoint.ts';
import { aptInstall, canUseApt, ensureTools, TOOLS } from './prerequisites.ts';
import { elapsed, spawnDaemon } from './processes.ts';
import type { Progress } from './progress.ts';
import { waitUntilReady } from './readiness.ts';
import type { ComponentRecord, ComponentRole } from './types.ts';

const run = promisify(execFile);

export interface MariaDbBinaries {
  readonly mariadbd: string;
  readonly installDb: string;
  readonly version: string;
  readonly pluginDir: string;
}

/** Finds (or installs) MariaDB; with `needSpider`, also makes sure the Spider plugin is there. */
export async function ensureMariaDb(options: {
  allowInstall: boolean;
  progress: Progress;
  needSpider: boolean;
}): Promise<MariaDbBinaries> {
  const tools = await ensureTools('mariadb', [TOOLS.mariadbd, TOOLS.installDb], options);
  const mariadbd = tools.mariadbd!;
  let { version, pluginDir } = await describeServer(mariadbd);
  if (options.needSpider && !existsSync(path.join(pluginDir, 'ha_spider.so'))) {
    if (options.allowInstall && canUseApt()) {
      await aptInstall(['mariadb-plugin-spider'], options.progress, 'cluster');
      ({ version, pluginDir } = await describeServer(mariadbd));
    }
    if (!existsSync(path.join(pluginDir, 'ha_spider.so'))) {
      throw new StackError(
        'PREREQUISITE_MISSING',
        'cluster',
        `the Spider plugin (ha_spider.so) is not in ${pluginDir}; install it (Debian/Ubuntu: apt-get install mariadb-plugin-spider) or set SLUICE_CLUSTER_URLS`,
      );
    }
  }
  return { mariadbd, installDb: tools['mariadb-install-db']!, version, pluginDir };
}

async function describeServer(mariadbd: string): Promise<{ version: string; pluginDir: string }> {
  const { stdout } = await run(mariadbd, ['--no-defaults', '--verbose', '--help'], {
    maxBuffer: 16 * 1024 * 1024,
  });
  const value = (name: string) =>
    stdout
      .split('\n')
      .find((line) => line.startsWith(`${name} `))
      ?.slice(name.length)
      .trim();
  return {
    version: value('version') ?? 'unknown',
    pluginDir: value('plugin-dir') ?? '/usr/lib/mysql/plugin',
  };
}

const runningAsRoot = () => process.getuid?.() === 0;

/**
 * A freshly initialised data directory, made once per server version and copied for every new
 * server: copying takes a fraction of a second, `mariadb-install-db` several seconds.
 */
export async function templateDatadir(
  binaries: MariaDbBinaries,
  cacheDir: string,
  progress: Progress,
): Promise<string> {
  const template = path.join(cacheDir, `mariadb-${binaries.version.replace(/[^\w.-]/g, '_')}-datadir`);
  if (existsSync(path.join(template, '.complete'))) return template;
  progress(`mariadb: initialising a template data directory (${binaries.version})`);
  await rm(template, { recursive: true, force: true });
  await mkdir(template, { recursive: true });
  try {
    await run(binaries.installDb, [
      '--no-defaults',
      `--datadir=${template}`,
      '--auth-root-authentication-method=normal',
      '--skip-test-db',
      ...(runningAsRoot() ? ['--user=root'] : []),
    ]);
  } catch (cause) {
    const output = `${(cause as { stdout?: string }).stdout ?? ''}${(cause as { stderr?: string }).stderr ?? ''}`;
    throw new StackError('COMPONENT_FAILED', 'mariadb', 'mariadb-install-db failed', {
      cause,
      details: output.split('\n').slice(-15).join('\n'),
    });
  }
  await writeFile(path.join(template, '.complete'), binaries.version);
  return template;
}

export interface MariaDbServerSpec {
  readonly name: string;
  readonly role: Exclude<ComponentRole, 'broker'>;
  readonly port: number;
  /** Folder that holds this server's data directory, log and pid file. */
  readonly dir: string;
  readonly bufferPoolMb: number;
}

export function mariaDbEndpoint(port: number): DbEndpoint {
  return Object.freeze({ host: '127.0.0.1', port, user: 'root', password: '', database: DEFAULT_DATABASE });
}

/** The command line of one server: loopback only, its own files, settings sluice relies on. */
export function mariaDbArgs(spec: MariaDbServerSpec): string[] {
  const datadir = path.join(spec.dir, 'data');
  return [
    '--no-defaults',
    `--datadir=${datadir}`,
    `--port=${spec.port}`,
    '--bind-address=127.0.0.1',
    `--socket=${socketPath(spec.dir)}`,
    `--pid-file=${path.join(spec.dir, 'mariadbd.pid')}`,
    `--log-error=${path.join(spec.dir, 'server.log')}`,
    // Its own folder for on-disk temporary tables: the shared /tmp is cleaned by other programs
    // (seen: a 1M-row window query failing with "Error on delete of '/tmp/#sql-temptable-…'").
    `--tmpdir=${path.join(spec.dir, 'tmp')}`,
    ...(runningAsRoot() ? ['--user=root'] : []),
    '--skip-name-resolve',
    '--character-set-server=utf8mb4',
    '--collation-server=utf8mb4_general_ci',
    // LOAD DATA LOCAL INFILE is how the loaders write in bulk.
    '--local-infile=1',
    '--max-allowed-packet=256M',
    `--innodb-buffer-pool-size=${spec.bufferPoolMb}M`,
    '--max-connections=500',
    ...(spec.role === 'head' ? ['--plugin-load-add=ha_spider'] : []),
  ];
}

/** A unix socket path must stay under ~107 bytes, so it lives in the temp folder, named by a hash. */
function socketPath(dir: string): string {
  const hash = createHash('sha256').update(dir).digest('hex').slice(0, 12);
  return path.join(os.tmpdir(), `sluice-${hash}.sock`);
}

/**
 * Starts one server from a copy of the template (first start only) and waits until it answers
 * and has the `sluice` schema. Fails naming the server, with the tail of its log.
 */
export async function startMariaDb(
  spec: MariaDbServerSpec,
  binaries: MariaDbBinaries,
  template: string,
  timeoutSeconds: number,
  progress: Progress,
): Promise<ComponentRecord> {
  const datadir = path.join(spec.dir, 'data');
  if (!existsSync(path.join(datadir, 'mysql'))) {
    await mkdir(spec.dir, { recursive: true });
    await cp(template, datadir, { recursive: true });
  }
  await mkdir(path.join(spec.dir, 'tmp'), { recursive: true });
  const logFile = path.join(spec.dir, 'server.log');
  const started = Date.now();
  let record: ComponentRecord;
  const logStart = existsSync(logFile) ? statSync(logFile).size : 0;
  try {
    record = await spawnAndWait(spec, binaries, logFile, timeoutSeconds);
  } catch (error) {
    // MariaDB 10.11's Spider plugin sometimes crashes (SIGSEGV in its background init of the
    // spider_* system tables) on a fresh data directory; the same directory then starts cleanly.
    // A crash is retried once; a server that exits without one, or crashes twice, fails here.
    if (!crashedAtStartup(error, logFile, logStart)) throw error;
    progress(`${spec.name}: MariaDB crashed during startup (see ${logFile}); starting it once more`);
    record = await spawnAndWait(spec, binaries, logFile, timeoutSeconds);
  }
  await withSession(
    mariaDbEndpoint(spec.port),
    (session) => session.query(`CREATE DATABASE IF NOT EXISTS ${DEFAULT_DATABASE}`),
    { withoutDatabase: true },
  );
  progress(`${spec.name}: MariaDB ${spec.role} ready on 127.0.0.1:${spec.port} (${elapsed(started)})`);
  return record;
}

function crashedAtStartup(error: unknown, logFile: string, logStart: number): boolean {
  if (!(error instanceof StackError && error.code === 'COMPONENT_FAILED')) return false;
  const log = readFileSync(logFile, 'utf8').slice(logStart);
  return /got signal \d+/.test(log);
}

async function spawnAndWait(
  spec: MariaDbServerSpec,
  binaries: MariaDbBinaries,
  logFile: string,
  timeoutSeconds: number,
): Promise<ComponentRecord> {
  const datadir = path.join(spec.dir, 'data');
  const pid = spawnDaemon({ command: binaries.mariadbd, args: mariaDbArgs(spec), logFile });
  const record: ComponentRecord = {
    name: spec.name,
    kind: 'mariadb',
    role: spec.role,
    source: 'local',
    host: '127.0.0.1',
    port: spec.port,
    pid,
    marker: `--datadir=${datadir}`,
    dir: spec.dir,
    logFile,
  };
  await waitUntilReady(record, {
    label: `${spec.name} (MariaDB)`,
    waitingFor: `on port ${spec.port}`,
    timeoutSeconds,
    intervalMs: 200,
    probe: () =>
      withSession(mariaDbEndpoint(spec.port), (session) => session.query('SELECT 1'), {
        withoutDatabase: true,
        connectTimeoutMs: 2000,
      }),
  });
  return record;
}
