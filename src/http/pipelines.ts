/**
 * Pipelines the server runs: started over HTTP, each a `PipelineRunner` in this process, restarted
 * with backoff when it stops on an error while it is still wanted running. A restart is safe for
 * exactly-once: every batch commits its rows with its offsets, and a new runner resumes from the
 * offsets in the database, so a batch that was in flight is either in the table or read again.
 * Stop, pause and resume go through the pipeline's desired state in the database, which any runner
 * (here or in `sluice pipeline start`) follows within a second.
 */
import type { FastifyBaseLogger } from 'fastify';
import { SluiceError } from '../base/errors.ts';
import { withSession } from '../db/driver.ts';
import { dropPipeline, startPipeline } from '../loader/pipeline.ts';
import type { PipelineRunner, RunnerStatus } from '../loader/runner.ts';
import { listPipelineNames, readPipeline } from '../loader/state.ts';
import { backoffDelay } from '../runtime/retry.ts';
import type { ServiceMetrics } from './metrics.ts';
import type { SourceRegistry } from './sources.ts';

interface Supervised {
  runner: PipelineRunner | undefined;
  restarts: number;
  wanted: boolean;
  lastError: string | null;
  timer?: NodeJS.Timeout;
}

/** Between restarts: 1 s doubling to 30 s, jittered like every retry (runtime/retry.ts). */
const RESTART_BACKOFF = { initialMs: 1000, maxMs: 30_000 } as const;

export class PipelineSupervisor {
  private readonly supervised = new Map<string, Supervised>();
  private stateSource: string | undefined;

  constructor(
    private readonly sources: SourceRegistry,
    private readonly metrics: ServiceMetrics,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** The source whose database holds the pipelines' state. */
  useState(source: string | undefined): void {
    this.stateSource = source;
  }

  state() {
    if (this.stateSource === undefined) {
      throw new SluiceError(
        'CONFIG_INVALID',
        'no source holds pipeline state: configure a source (pipelineState)',
      );
    }
    return this.sources.endpoint(this.stateSource);
  }

  async names(): Promise<string[]> {
    return withSession(this.state(), async (session) => {
      try {
        return await listPipelineNames(session);
      } catch (error) {
        // No pipeline was ever created on this database: sluice's tables do not exist yet.
        if ((error as { errno?: number; cause?: { errno?: number } }).cause?.errno === 1146) return [];
        throw error;
      }
    });
  }

  async record(name: string) {
    return withSession(this.state(), (session) => readPipeline(session, name));
  }

  /**
   * Starts the pipeline here (it must exist) and returns once it is supervised: joining the
   * consumer group takes seconds, and a start that fails (a broker not answering yet) is tried
   * again with backoff, like a crash. A second start of a supervised pipeline does nothing.
   */
  async start(name: string): Promise<void> {
    await this.record(name);
    const existing = this.supervised.get(name);
    if (existing?.wanted) return;
    const entry: Supervised = existing ?? { runner: undefined, restarts: 0, wanted: true, lastError: null };
    entry.wanted = true;
    this.supervised.set(name, entry);
    this.launchOrRetry(name, entry);
  }

  private launchOrRetry(name: string, entry: Supervised): void {
    this.launch(name, entry).catch((error: unknown) => {
      entry.lastError = (error as Error).message;
      this.log.warn({ pipeline: name, err: error }, 'pipeline did not start');
      this.retry(name, entry);
    });
  }

  private retry(name: string, entry: Supervised): void {
    if (!entry.wanted) return;
    entry.restarts++;
    const delay = backoffDelay(entry.restarts, RESTART_BACKOFF);
    this.metrics.pipelineRestarts.inc({ pipeline: name });
    entry.timer = setTimeout(() => {
      if (entry.wanted) this.launchOrRetry(name, entry);
    }, delay);
    entry.timer.unref();
  }

  private async launch(name: string, entry: Supervised): Promise<void> {
    const runner = await startPipeline(this.state(), name, {
      log: (line) => this.log.info({ pipeline: name }, line),
    });
    entry.runner = runner;
    runner.done.then(
      () => {
        if (entry.runner === runner) entry.runner = undefined;
      },
      (error: unknown) => {
        if (entry.runner === runner) entry.runner = undefined;
        entry.lastError = (error as Error).message;
        this.log.warn({ pipeline: name, err: error }, 'pipeline stopped on an error; restarting');
        this.retry(name, entry);
      },
    );
  }

  /** Stops supervising and stops the runner here (the desired state is set by the caller). */
  async release(name: string): Promise<void> {
    const entry = this.supervised.get(name);
    if (!entry) return;
    entry.wanted = false;
    clearTimeout(entry.timer);
    await entry.runner?.stop();
    this.supervised.delete(name);
  }

  async drop(name: string): Promise<void> {
    await this.release(name);
    await dropPipeline(this.state(), name);
  }

  /** What this server knows of a pipeline it runs (undefined when it runs elsewhere or not at all). */
  local(
    name: string,
  ): (Partial<RunnerStatus> & { restarts: number; supervisedError: string | null }) | undefined {
    const entry = this.supervised.get(name);
    if (!entry?.wanted) return undefined;
    const status = entry.runner?.status() ?? { state: 'starting', partitions: [] };
    return { ...status, restarts: entry.restarts, supervisedError: entry.lastError };
  }

  updateMetrics(): void {
    this.metrics.pipelineLag.reset();
    this.metrics.pipelineRows.reset();
    for (const [name, entry] of this.supervised) {
      for (const p of entry.runner?.status().partitions ?? []) {
        const labels = { pipeline: name, topic: p.topic, partition: String(p.partition) };
        if (p.lag !== null) this.metrics.pipelineLag.set(labels, p.lag);
        this.metrics.pipelineRows.set(labels, p.rowsPerSecond);
      }
    }
  }

  async stopAll(): Promise<void> {
    await Promise.allSettled([...this.supervised.keys()].map((name) => this.release(name)));
  }
}
