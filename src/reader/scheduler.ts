/**
 * Places partition reads on the reader threads. A thread runs a *session* (one piscina task) that
 * reads any number of partitions at once: a partition is socket I/O plus decoding, so one thread
 * interleaves several, and the pool needs no more threads than cores. Partitions go to the
 * session with the fewest running, and a new session (thread) starts while there are fewer than
 * the thread count; an idle session ends, so an idle pool lets the process exit.
 *
 * One thread per partition would cost a V8 isolate and a copy of the driver per partition
 * (about 35 MB each): 8 partitions on 2 cores measured 650 MB peak RSS that way.
 */
import os from 'node:os';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { SluiceError } from '../base/errors.ts';
import { workerBundle } from '../runtime/worker-bundle.ts';
import type { PartitionTaskData, SessionToMain, SessionToWorker } from './protocol.ts';

/** Reader threads: one per core by default (SLUICE_READER_THREADS overrides), 16 at most. */
export function readerThreads(env: NodeJS.ProcessEnv = process.env): number {
  const configured = Number(env.SLUICE_READER_THREADS);
  const threads = Number.isInteger(configured) && configured > 0 ? configured : os.availableParallelism();
  return Math.max(1, Math.min(16, threads));
}

interface Job {
  resolve(): void;
  reject(error: Error): void;
}

class Session {
  running = 0;
  closing = false;
  readonly jobs = new Map<number, Job>();
  private idleTimer: NodeJS.Immediate | undefined;

  constructor(readonly port: MessagePort) {}

  /** Ends the session once it has nothing to run (on the next turn, in case more work comes). */
  closeWhenIdle(onClose: () => void): void {
    if (this.running > 0 || this.idleTimer) return;
    this.idleTimer = setImmediate(() => {
      this.idleTimer = undefined;
      if (this.running > 0 || this.closing) return;
      this.closing = true;
      this.port.postMessage({ type: 'close' } satisfies SessionToWorker);
      onClose();
    });
  }

  /** Takes a job: a close that was scheduled no longer applies. */
  take(): void {
    this.running++;
    if (this.idleTimer) {
      clearImmediate(this.idleTimer);
      this.idleTimer = undefined;
    }
  }

  failAll(error: Error): void {
    for (const job of this.jobs.values()) job.reject(error);
    this.jobs.clear();
    this.running = 0;
  }
}

export class ReaderScheduler {
  private pool: Promise<Piscina> | undefined;
  private readonly sessions: Session[] = [];
  private nextId = 1;

  constructor(readonly threads = readerThreads()) {}

  private piscina(): Promise<Piscina> {
    this.pool ??= workerBundle('workers/read-partition.ts').then(
      (filename) =>
        new Piscina({
          filename,
          maxThreads: this.threads,
          minThreads: 0,
          idleTimeout: 30_000,
          // A worker waits on its event loop, not in Atomics.wait, so idle connections can close.
          atomics: 'disabled',
        }),
    );
    this.pool.catch(() => {
      this.pool = undefined;
    });
    return this.pool;
  }

  /**
   * Runs one partition read on a reader thread; resolves when the worker has finished it (its
   * last message is on `task.port` by then), rejects if the thread itself fails.
   */
  async submit(task: PartitionTaskData): Promise<void> {
    const pool = await this.piscina();
    const session = this.pick(pool);
    const id = this.nextId++;
    session.take();
    return new Promise<void>((resolve, reject) => {
      session.jobs.set(id, { resolve, reject });
      session.port.postMessage({ type: 'read', id, task } satisfies SessionToWorker, [task.port]);
    });
  }

  private pick(pool: Piscina): Session {
    let least: Session | undefined;
    for (const session of this.sessions) {
      if (!session.closing && (!least || session.running < least.running)) least = session;
    }
    if (least && (least.running === 0 || this.sessions.length >= this.threads)) return least;
    return this.open(pool);
  }

  private open(pool: Piscina): Session {
    const channel = new MessageChannel();
    const session = new Session(channel.port1);
    this.sessions.push(session);
    const remove = () => {
      const index = this.sessions.indexOf(session);
      if (index >= 0) this.sessions.splice(index, 1);
    };
    channel.port1.on('message', (message: SessionToMain) => {
      const job = session.jobs.get(message.id);
      if (!job) return;
      session.jobs.delete(message.id);
      session.running--;
      job.resolve();
      session.closeWhenIdle(remove);
    });
    // An idle session must not keep the process alive; a running read keeps it alive anyway.
    channel.port1.unref();
    pool.run({ port: channel.port2 }, { transferList: [channel.port2] }).then(
      () => {
        remove();
        session.failAll(
          new SluiceError(
            'READER_THREAD_FAILED',
            'the reader thread ended its session with partitions still assigned',
          ),
        );
        channel.port1.close();
      },
      (error: unknown) => {
        remove();
        session.failAll(
          new SluiceError('READER_THREAD_FAILED', `reader thread failed: ${(error as Error).message}`, {
            cause: error,
          }),
        );
        channel.port1.close();
      },
    );
    return session;
  }

  /** Stops the threads (they also stop by themselves after 30 s idle). */
  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    for (const session of this.sessions.splice(0))
      session.failAll(new SluiceError('READ_ABORTED', 'the reader pool was closed'));
    await (await pool?.catch(() => undefined))?.destroy();
  }
}
