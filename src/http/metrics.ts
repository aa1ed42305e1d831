/**
 * Prometheus metrics of one server (a registry of its own, so several servers in one process,
 * as in tests, do not share counters).
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export class ServiceMetrics {
  readonly registry = new Registry();
  readonly queries = new Counter({
    name: 'sluice_queries_total',
    help: 'Queries by final status (ok, truncated, error, cancelled, rejected)',
    labelNames: ['status', 'format'] as const,
    registers: [this.registry],
  });
  readonly pointReads = new Counter({
    name: 'sluice_query_point_reads_total',
    help: 'Queries read as point reads: one statement, a few rows, written from the row bytes',
    registers: [this.registry],
  });
  readonly firstByte = new Histogram({
    name: 'sluice_query_first_byte_seconds',
    help: 'Time from request to the first result byte',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly bytesOut = new Counter({
    name: 'sluice_query_bytes_out_total',
    help: 'Encoded result bytes written (before compression)',
    labelNames: ['format'] as const,
    registers: [this.registry],
  });
  readonly rowsOut = new Counter({
    name: 'sluice_query_rows_out_total',
    help: 'Result rows written',
    labelNames: ['format'] as const,
    registers: [this.registry],
  });
  readonly active = new Gauge({
    name: 'sluice_queries_active',
    help: 'Queries running now',
    registers: [this.registry],
  });
  readonly cancellations = new Counter({
    name: 'sluice_query_cancellations_total',
    help: 'Queries stopped before their end, by reason (disconnect, delete, timeout, shutdown)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly pipelineLag = new Gauge({
    name: 'sluice_pipeline_lag_records',
    help: 'Records behind the latest offset, per supervised pipeline partition',
    labelNames: ['pipeline', 'topic', 'partition'] as const,
    registers: [this.registry],
  });
  readonly pipelineRows = new Gauge({
    name: 'sluice_pipeline_rows_per_second',
    help: 'Rows loaded per second over the last 10 s, per supervised pipeline partition',
    labelNames: ['pipeline', 'topic', 'partition'] as const,
    registers: [this.registry],
  });
  readonly pipelineRestarts = new Counter({
    name: 'sluice_pipeline_restarts_total',
    help: 'Supervised pipelines restarted after they stopped on an error',
    labelNames: ['pipeline'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'sluice_process_' });
  }
}
