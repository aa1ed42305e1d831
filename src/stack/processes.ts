import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { StackError } from '../base/errors.ts';

export interface DaemonSpec {
  command: string;
  args: readonly string[];
  logFile: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Starts a long-lived server that outlives this process: detached, its output appended to a
 * log file, not waited on. Returns the pid.
 */
export function spawnDaemon(spec: DaemonSpec): number {
  const log = openSync(spec.logFile, 'a');
  try {
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      detached: true,
      stdio: ['ignore', log, log],
    });
    if (child.pid === undefined) {
      throw new StackError(
        'COMPONENT_FAILED',
        path.basename(spec.command),
        `could not start ${spec.command}`,
      );
    }
    child.unref();
    return child.pid;
  } finally {
    closeSync(log);
  }
}

/**
 * True when `pid` is alive and is still the process we started: its command line must contain
 * `marker` (its data directory or config file), so a recycled pid is never mistaken for ours.
 */
export function isOurProcess(pid: number, marker: string): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const cmdlinePath = `/proc/${pid}/cmdline`;
  if (!existsSync(cmdlinePath)) return true;
  try {
    const cmdline = readFileSync(cmdlinePath, 'utf8');
    // A zombie (exited, not yet reaped) has an empty command line: it is not running.
    return cmdline.replaceAll('\0', ' ').includes(marker);
  } catch {
    return false;
  }
}

/** Stops a process of ours: SIGTERM, then SIGKILL if it has not exited in time. */
export async function stopProcess(
  pid: number,
  marker: string,
  timeoutMs = 30_000,
): Promise<'stopped' | 'absent'> {
  if (!isOurProcess(pid, marker)) return 'absent';
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isOurProcess(pid, marker)) return 'stopped';
    await sleep(100);
  }
  if (isOurProcess(pid, marker)) process.kill(pid, 'SIGKILL');
  while (isOurProcess(pid, marker)) await sleep(50);
  return 'stopped';
}

/** The last `lines` lines of a log file, for error messages; empty when there is no file. */
export function tailFile(file: string, lines = 25): string {
  if (!existsSync(file)) return '';
  const text = readFileSync(file, 'utf8');
  return text.split('\n').filter(Boolean).slice(-lines).join('\n');
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The tail of a component's log, introduced by its path, for startup errors. */
export function logTail(component: { logFile?: string | undefined }): string {
  if (!component.logFile) return '';
  const tail = tailFile(component.logFile);
  return tail ? `last lines of ${component.logFile}:\n${tail}` : `(no log at ${component.logFile})`;
}

export function elapsed(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)}s`;
}
