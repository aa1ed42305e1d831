/**
 * Runs a Python baseline (bench/ml/peers/*.py) as a long-lived child process: its start-up (a
 * Python interpreter, and for Spark a JVM and a SparkSession) is untimed, then each pass is one
 * request and one answer over a pipe (protocol in peers/ml_common.py). The peer keeps its own
 * state between passes (cached frames, statistics, centroids), as the sluice modes do.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { SluiceError } from '../../src/base/errors.ts';
import type { DbEndpoint } from '../../src/db/endpoint.ts';
import type { BaselineMode, InstalledBaseline } from './baselines.ts';
import type { PassAnswer, PassContext } from './shared.ts';

const SCRIPTS: Record<BaselineMode, string> = {
  'spark-jdbc': 'spark_jdbc.py',
  'connectorx-polars': 'connectorx_polars.py',
};

type Message =
  | { ready: true; versions: Record<string, unknown> }
  | { iteration: number; seconds: number }
  | { answer: PassAnswer }
  | { error: string };

export interface PeerRun {
  readonly mode: BaselineMode;
  /** The Python process; its descendants (Spark's JVM) are counted with it. */
  readonly pid: number;
  readonly versions: Record<string, unknown>;
  pass(name: string, ctx: PassContext): Promise<PassAnswer>;
  close(): Promise<void>;
}

export interface PeerSettings {
  readonly drills: number;
  readonly readingsPerDrill: number;
  readonly k: number;
  readonly iterations: number;
  readonly outDir: string;
  /** Parallel reads (JDBC partitions, ConnectorX partitions). */
  readonly partitions: number;
  /** Spark: read through a DSv2 JDBC catalog with aggregate pushdown where a pass aggregates the table. */
  readonly aggregatePushdown?: boolean;
}

class Lines {
  private readonly queue: string[] = [];
  private waiter: ((line: string | undefined) => void) | undefined;
  private ended = false;
  constructor(stream: Readable) {
    const lines = createInterface({ input: stream });
    lines.on('line', (line) => {
      if (this.waiter) {
        const wake = this.waiter;
        this.waiter = undefined;
        wake(line);
      } else this.queue.push(line);
    });
    lines.on('close', () => {
      this.ended = true;
      this.waiter?.(undefined);
    });
  }
  next(): Promise<string | undefined> {
    if (this.queue.length > 0) return Promise.resolve(this.queue.shift());
    if (this.ended) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }
}

export async function openPeerRun(
  baseline: InstalledBaseline,
  endpoint: DbEndpoint,
  settings: PeerSettings,
  logFile: string,
  script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'peers', SCRIPTS[baseline.mode]),
): Promise<PeerRun> {
  const log = openSync(logFile, 'a');
  const child: ChildProcess = spawn(baseline.python, [script], {
    stdio: ['pipe', log, log, 'pipe'],
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
  });
  // A harness that dies mid-pass takes its peer along (Spark's JVM exits when Python does).
  const killPeer = () => child.kill('SIGKILL');
  process.once('exit', killPeer);
  child.once('exit', () => process.removeListener('exit', killPeer));
  const lines = new Lines(child.stdio[3] as Readable);
  const failed = (what: string, detail: string) =>
    new SluiceError('COMPONENT_FAILED', `${baseline.mode}: ${what} (log: ${logFile})`, { details: detail });
  const receive = async (what: string): Promise<Message> => {
    const line = await lines.next();
    if (line === undefined) throw failed(`the peer ended during ${what}`, '');
    const message = JSON.parse(line) as Message;
    if ('error' in message) throw failed(`${what} failed`, message.error);
    return message;
  };
  child.stdin!.write(
    `${JSON.stringify({
      host: endpoint.host,
      port: endpoint.port,
      user: endpoint.user,
      password: endpoint.password ?? '',
      database: endpoint.database,
      jars: baseline.jars,
      ...settings,
    })}\n`,
  );
  const ready = await receive('start-up');
  if (!('ready' in ready)) throw failed('start-up', `unexpected ${JSON.stringify(ready)}`);
  return {
    mode: baseline.mode,
    pid: child.pid!,
    versions: ready.versions,
    async pass(name, ctx) {
      child.stdin!.write(`${JSON.stringify({ pass: name })}\n`);
      for (;;) {
        const message = await receive(name);
        if ('iteration' in message) ctx.onIteration(message.iteration, message.seconds);
        else if ('answer' in message) return message.answer;
      }
    },
    async close() {
      child.stdin!.end();
      if (child.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
        child.on('exit', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}
