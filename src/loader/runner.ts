/**
 * Runs one pipeline: a kafkajs consumer group whose batches go to one PartitionWriter per Kafka
 * partition, in parallel. The database holds the offsets; Kafka's committed offsets follow them
 * for lag tools only.
 *
 * This module owns the runner's life (start, pause, stop, status) and wires the parts that each
 * own one concern: the consumer's settings (group-consumer.ts), positioning after every join
 * (assignment.ts), handing batches to writers (batch-dispatch.ts), starting a new consumer after
 * a crash (crash-restart.ts), the desired/reported state in the database (state-heartbeat.ts),
 * and the per-partition writers and figures (partition-table.ts, partition-metrics.ts).
 */
import os from 'node:os';
import type { Admin, Consumer, Kafka } from 'kafkajs';
import { describeError } from '../base/errors.ts';
import { type AssignmentHost, positionAssignment } from './assignment.ts';
import { type DispatchHost, dispatchBatch } from './batch-dispatch.ts';
import {
  kafkaClient,
  prepareTables,
  startOffsetResolver,
  targetEndpoints,
  writerContext,
} from './context.ts';
import { type RestartHost, restartAfterCrash } from './crash-restart.ts';
import { startGroupConsumer } from './group-consumer.ts';
import type { PartitionStatus } from './partition-metrics.ts';
import { PartitionTable } from './partition-table.ts';
import type { BatchReport, WriterContext } from './partition-writer.ts';
import type { PipelineSpec } from './spec.ts';
import { StateHeartbeat } from './state-heartbeat.ts';

export interface RunnerStatus {
  readonly pipeline: string;
  readonly state: 'starting' | 'running' | 'paused' | 'stopping' | 'stopped' | 'error';
  readonly partitions: readonly PartitionStatus[];
  readonly lastError: string | null;
}

export interface RunnerOptions {
  /** How often the desired state is read and a heartbeat written (ms). */
  readonly pollMs?: number;
  /** Called when the group has given this process its partitions (before they are positioned). */
  readonly onAssigned?: (assignment: Readonly<Record<string, readonly number[]>>) => void;
  /** Called with each committed batch. */
  readonly onBatch?: (topic: string, partition: number, report: BatchReport) => void;
  readonly log?: (line: string) => void;
  /** Stop by itself once every assigned partition has reached Kafka's latest offset. */
  readonly untilCaughtUp?: boolean;
}

const TRACE = process.env.SLUICE_TRACE_LOADER === '1';

export class PipelineRunner {
  private readonly kafka: Kafka;
  private consumer: Consumer | undefined;
  private admin: Admin | undefined;
  private heartbeat: StateHeartbeat | undefined;
  private context: WriterContext | undefined;
  private readonly partitions = new PartitionTable(() => this.context!);
  private state: RunnerStatus['state'] = 'starting';
  private lastError: string | null = null;
  private poller: NodeJS.Timeout | undefined;
  private settle!: { resolve: () => void; reject: (error: unknown) => void };
  private stopping: Promise<void> | undefined;
  private paused = false;
  readonly owner = `${os.hostname()}:${process.pid}`;
  /** Resolves when the runner has stopped; rejects when it stopped on an error. */
  readonly done: Promise<void>;

  /** What the consumer-side modules see of this runner. */
  private readonly host: AssignmentHost & DispatchHost & RestartHost = {
    partitions: this.partitions,
    isCurrent: (consumer) => consumer === this.consumer,
    isPaused: () => this.paused,
    isStopping: () => this.stopping !== undefined,
    admin: () => this.connectedAdmin(),
    trace: (line) => this.trace(line),
    log: (line) => this.log(line),
    committed: (topic, partition, report) => this.options.onBatch?.(topic, partition, report),
    advanced: () => this.stopIfCaughtUp(),
    failed: (error) => void this.fail(error),
    fail: (error) => this.fail(error),
    discardConsumer: async () => {
      const old = this.consumer;
      this.consumer = undefined;
      await old?.disconnect().catch(() => undefined);
      for (const writer of this.partitions.writers()) writer.resetPosition();
    },
    startConsumer: async () => {
      await this.startConsumer();
      if (this.paused) this.applyPause(true);
    },
    noteError: (error) => {
      this.lastError = error;
    },
  };

  constructor(
    readonly spec: PipelineSpec,
    private readonly options: RunnerOptions = {},
  ) {
    this.kafka = kafkaClient(spec);
    this.done = new Promise((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    // Callers that only use stop() must not see an unhandled rejection.
    this.done.catch(() => undefined);
  }

  /** Step-by-step trace of batches and their outcomes, with SLUICE_TRACE_LOADER=1. */
  private trace(line: string): void {
    if (TRACE) this.options.log?.(`[${this.spec.name}] ${line}`);
  }

  private log(line: string): void {
    this.options.log?.(`[${this.spec.name}] ${line}`);
  }

  async start(): Promise<void> {
    const started = performance.now();
    const since = () => `${((performance.now() - started) / 1000).toFixed(1)}s`;
    try {
      const endpoints = targetEndpoints(this.spec);
      await prepareTables(endpoints);
      this.heartbeat = new StateHeartbeat(endpoints.state, this.spec.name, this.owner);
      await this.heartbeat.open();
      this.context = await writerContext(
        this.spec,
        startOffsetResolver(this.spec, () => this.connectedAdmin()),
      );
      await this.context.batches.warm();
      this.log(`tables and writers ready (${since()}); joining consumer group ${this.spec.source.groupId}`);
      // kafkajs's run() returns once the group has been joined.
      await this.startConsumer();
      this.log(`consuming (${since()})`);
    } catch (error) {
      // Nothing may stay open when the pipeline cannot start (a missing topic, a server down).
      this.lastError = describeError(error);
      await this.shutdown('error');
      throw error;
    }
    this.state = 'running';
    await this.beat();
    this.poller = setInterval(() => void this.beat(), this.options.pollMs ?? 1000);
  }

  private async connectedAdmin(): Promise<Admin> {
    if (!this.admin) {
      this.admin = this.kafka.admin();
      await this.admin.connect();
    }
    return this.admin;
  }

  private async startConsumer(): Promise<void> {
    await startGroupConsumer(
      this.kafka,
      this.spec,
      {
        onJoin: (consumer, assignment) => void this.onAssignment(consumer, assignment),
        onBatch: (consumer, payload) => dispatchBatch(this.host, consumer, payload),
        onCrash: (error) => void restartAfterCrash(this.host, error),
      },
      (consumer) => {
        this.consumer = consumer;
      },
    );
  }

  private async onAssignment(consumer: Consumer, assignment: Record<string, number[]>): Promise<void> {
    this.options.onAssigned?.(assignment);
    const count = Object.values(assignment).reduce((sum, partitions) => sum + partitions.length, 0);
    this.log(`assigned ${count} partition(s)`);
    await positionAssignment(this.host, consumer, assignment);
    this.stopIfCaughtUp();
  }

  private stopIfCaughtUp(): void {
    if (this.options.untilCaughtUp && this.partitions.caughtUp()) void this.stop();
  }

  /** Follows the desired state in the database and reports this runner's. */
  private async beat(): Promise<void> {
    if (!this.heartbeat || this.stopping) return;
    try {
      await this.heartbeat.beat(
        (desired) => {
          if (desired === 'stopped') void this.stop();
          else this.applyPause(desired === 'paused');
        },
        () => this.state,
      );
    } catch (error) {
      this.lastError = describeError(error);
    }
  }

  private applyPause(pause: boolean): void {
    if (pause === this.paused && this.state !== 'starting') return;
    this.paused = pause;
    const topics = this.spec.source.topics.map((topic) => ({ topic }));
    if (pause) this.consumer?.pause(topics);
    else this.consumer?.resume(topics);
    this.state = pause ? 'paused' : 'running';
    for (const metrics of this.partitions.metrics())
      if (metrics.state !== 'error') metrics.state = pause ? 'paused' : 'idle';
    this.log(pause ? 'paused' : 'running');
  }

  pause(): void {
    this.applyPause(true);
  }

  resume(): void {
    this.applyPause(false);
  }

  private async fail(error: unknown): Promise<void> {
    this.lastError = describeError(error);
    this.log(`stopping on error: ${this.lastError}`);
    await this.shutdown('error');
    this.settle.reject(error);
  }

  /** Stops consuming, closes every connection; resolves `done`. */
  async stop(): Promise<void> {
    await this.shutdown('stopped');
    this.settle.resolve();
  }

  private shutdown(final: 'stopped' | 'error'): Promise<void> {
    this.stopping ??= (async () => {
      this.state = 'stopping';
      clearInterval(this.poller);
      await this.consumer?.disconnect().catch(() => undefined);
      await this.admin?.disconnect().catch(() => undefined);
      await Promise.all(this.partitions.writers().map((writer) => writer.close()));
      await this.context?.transformer?.close().catch(() => undefined);
      await this.context?.batches.close().catch(() => undefined);
      await this.context?.deadLetters?.close();
      this.state = final;
      await this.heartbeat?.close(final, this.lastError);
    })();
    return this.stopping;
  }

  status(): RunnerStatus {
    return {
      pipeline: this.spec.name,
      state: this.state,
      partitions: this.partitions.statuses(),
      lastError: this.lastError,
    };
  }
}
