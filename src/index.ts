// Public API of sluice. Only re-exports live here.

export {
  ConfigError,
  DatabaseError,
  describeError,
  PlanError,
  SluiceError,
  StackError,
} from './base/errors.ts';
export {
  resolveStackConfig,
  type StackConfig,
  type StackOptions,
  TOPOLOGIES,
  type Topology,
} from './config/stack.ts';
export { type DbSession, openSession, withSession } from './db/driver.ts';
export { type DbEndpoint, endpointUrl, parseDbUrl } from './db/endpoint.ts';
export {
  type ClusterEndpoints,
  type ColumnSpec,
  createShardedTable,
  type ShardedTableOptions,
} from './db/sharding.ts';
export { Column, col, fn, lit, SortOrder, WindowFunctionCall } from './frame/column.ts';
export { connect } from './frame/connect.ts';
export type { ConnectOptions, Database, TableOptions } from './frame/database.ts';
export { GroupedFrame, LazyFrame } from './frame/lazy-frame.ts';
export { cellText, type FormatTableOptions, formatTable, showTable } from './frame/show.ts';
export {
  createPipeline,
  dropPipeline,
  getPipeline,
  listPipelines,
  pipelineErrors,
  pipelineStatus,
  setPipelineState,
  startPipeline,
  testPipeline,
} from './loader/pipeline.ts';
export { PipelineRunner, type RunnerStatus } from './loader/runner.ts';
export { type PipelineSpec, parsePipelineSpec } from './loader/spec.ts';
export { arrowSchema, type ColumnMeta, type TypeOptions } from './reader/arrow-types.ts';
export {
  concatBatches,
  limitBatches,
  type MergeKey,
  type MergeOptions,
  mergeSorted,
} from './reader/merge.ts';
export {
  closeReaderPool,
  type ParallelReadOptions,
  type ParallelReadStats,
  PartitionError,
  type ReadTask,
  readParallel,
  readParallelSorted,
  readPartitionStreams,
} from './reader/parallel.ts';
export {
  type KeyRange,
  type KeyRangePartitioning,
  type Partitioning,
  type PartitionPlan,
  type PartitionScan,
  type PlanPartitionsOptions,
  scanSql,
} from './reader/partitioning/scan.ts';
export { describePartitionPlan, planPartitions } from './reader/partitions.ts';
export { type ReadOptions, readArrow, readSchema } from './reader/read.ts';
export { planSqlRead, type ReadSqlOptions, readSql, type SqlReadPlan, streamSql } from './reader/read-sql.ts';
export { type StackReport, stackDown, stackStatus, stackUp } from './stack/stack.ts';
export type { ComponentStatus, StackEndpoints } from './stack/types.ts';
export { decimalToString } from './values/decimal.ts';
export {
  type BulkWriteOptions,
  type LoadOptions,
  load,
  writeBatch,
} from './writer/bulk-writer.ts';
export { type BulkWriteResult, WRITE_MODES, type WriteMode } from './writer/rows.ts';
