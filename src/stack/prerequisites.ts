import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { StackError } from '../base/errors.ts';
import type { Progress } from './progress.ts';

const run = promisify(execFile);

/** A command a component needs, and the Debian packages that provide it. */
export interface ToolRequirement {
  readonly command: string;
  readonly aptPackages: readonly string[];
  /** What to tell a person who must install it by hand. */
  readonly hint: string;
}

export const TOOLS = {
  mariadbd: {
    command: 'mariadbd',
    aptPackages: ['mariadb-server', 'mariadb-client', 'mariadb-plugin-spider'],
    hint: 'install MariaDB 10.11+ with the Spider plugin (Debian/Ubuntu: apt-get install mariadb-server mariadb-plugin-spider), or set SLUICE_DB_URL / SLUICE_CLUSTER_URLS to use running servers',
  },
  installDb: {
    command: 'mariadb-install-db',
    aptPackages: ['mariadb-server'],
    hint: 'install MariaDB (Debian/Ubuntu: apt-get install mariadb-server)',
  },
  java: {
    command: 'java',
    aptPackages: ['default-jre-headless'],
    hint: 'install a Java 17+ runtime (Debian/Ubuntu: apt-get install default-jre-headless), or set SLUICE_KAFKA_BROKERS to use a running Kafka broker',
  },
  mvn: {
    command: 'mvn',
    aptPackages: ['maven'],
    hint: 'install Apache Maven, which fetches Kafka from Maven Central (Debian/Ubuntu: apt-get install maven), or set SLUICE_KAFKA_BROKERS to use a running Kafka broker',
  },
} as const satisfies Record<string, ToolRequirement>;

/** Server binaries live in sbin, which a non-login shell's PATH often lacks. */
const EXTRA_DIRS = ['/usr/sbin', '/usr/local/sbin', '/sbin'];

export function findExecutable(
  command: string,
  pathEnv = process.env.PATH ?? '',
  extraDirs: readonly string[] = EXTRA_DIRS,
): string | undefined {
  const dirs = [...pathEnv.split(path.delimiter).filter(Boolean), ...extraDirs];
  for (const dir of dirs) {
    const candidate = path.join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return undefined;
}

export interface EnsureOptions {
  /** Install missing tools with apt-get when running as root on Debian/Ubuntu. */
  allowInstall: boolean;
  progress: Progress;
  /** The PATH to search (tests pass an empty one to prove the error). */
  pathEnv?: string;
  /** Directories searched besides PATH; defaults to the sbin folders. Tests pass []. */
  extraDirs?: readonly string[];
}

/**
 * Finds every required command, installing the missing ones with apt-get if that is allowed
 * and possible; otherwise fails naming each missing command and how to get it.
 */
export async function ensureTools(
  component: string,
  requirements: readonly ToolRequirement[],
  options: EnsureOptions,
): Promise<Record<string, string>> {
  const locate = (command: string) => findExecutable(command, options.pathEnv, options.extraDirs);
  let missing = requirements.filter((tool) => locate(tool.command) === undefined);
  if (missing.length > 0 && options.allowInstall && canUseApt()) {
    await aptInstall([...new Set(missing.flatMap((tool) => tool.aptPackages))], options.progress, component);
    missing = requirements.filter((tool) => locate(tool.command) === undefined);
  }
  if (missing.length > 0) {
    const why = options.allowInstall
      ? canUseApt()
        ? 'apt-get could not provide it'
        : 'sluice installs it only when run as root on Debian/Ubuntu'
      : 'installing is switched off (SLUICE_NO_INSTALL=1)';
    const lines = missing.map((tool) => `  - '${tool.command}' not found: ${tool.hint}`);
    throw new StackError(
      'PREREQUISITE_MISSING',
      component,
      `${component} cannot start: ${missing.map((tool) => `'${tool.command}'`).join(', ')} not found on PATH (${why})`,
      { details: lines.join('\n') },
    );
  }
  return Object.fromEntries(requirements.map((tool) => [tool.command, locate(tool.command)!]));
}

export function canUseApt(): boolean {
  return (
    process.getuid?.() === 0 && existsSync('/etc/debian_version') && findExecutable('apt-get') !== undefined
  );
}

let aptQueue: Promise<unknown> = Promise.resolve();
let aptUpdated = false;

/** Installs Debian packages; calls are serialised because apt holds a lock. */
export function aptInstall(
  packages: readonly string[],
  progress: Progress,
  component: string,
): Promise<void> {
  const next = aptQueue.then(() => aptInstallNow(packages, progress, component));
  aptQueue = next.catch(() => undefined);
  return next;
}

async function aptInstallNow(
  packages: readonly string[],
  progress: Progress,
  component: string,
): Promise<void> {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  // Debian starts a package's service on install; we run our own servers on our own ports,
  // so a policy-rc.d keeps the system service from starting while we install.
  const policy = '/usr/sbin/policy-rc.d';
  const ownPolicy = !existsSync(policy);
  try {
    if (ownPolicy) writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
    if (!aptUpdated) {
      progress(`${component}: apt-get update`);
      await run('apt-get', ['update'], { env, maxBuffer: 64 * 1024 * 1024 });
      aptUpdated = true;
    }
    progress(`${component}: apt-get install ${packages.join(' ')} (one time, may take a minute)`);
    await run('apt-get', ['install', '-y', '--no-install-recommends', ...packages], {
      env,
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (cause) {
    const output = (cause as { stderr?: string }).stderr ?? '';
    throw new StackError('PREREQUISITE_MISSING', component, `apt-get install ${packages.join(' ')} failed`, {
      cause,
      details: output.split('\n').slice(-15).join('\n'),
    });
  } finally {
    if (ownPolicy && existsSync(policy)) unlinkSync(policy);
  }
}
