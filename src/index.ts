// Public API of sluice. Only re-exports live here.
export {
  resolveStackConfig,
  type StackConfig,
  type StackOptions,
  TOPOLOGIES,
  type Topology,
} from './config.ts';
export { type DbSession, openSession, withSession } from './db/driver.ts';
export { type DbEndpoint, endpointUrl, parseDbUrl } from './db/endpoint.ts';
export {
  type ClusterEndpoints,
  type ColumnSpec,
  createShardedTable,
  type ShardedTableOptions,
} from './db/sharding.ts';
export { ConfigError, DatabaseError, describeError, SluiceError, StackError } from './errors.ts';
export {
  type BulkWriteOptions,
  type BulkWriteResult,
  type LoadOptions,
  load,
  WRITE_MODES,
  type WriteMode,
  writeBatch,
} from './loader/bulk-writer.ts';
export {
  createPipeline,
  dropPipeline,
  getPipeline,
  pipelineErrors,
  pipelineStatus,
  setPipelineState,
  startPipeline,
  testPipeline,
} from './loader/pipeline.ts';
export { PipelineRunner, type RunnerStatus } from './loader/runner.ts';
export { type PipelineSpec, parsePipelineSpec } from './loader/spec.ts';
export { type StackReport, stackDown, stackStatus, stackUp } from './stack/stack.ts';
export type { ComponentStatus, StackEndpoints } from './stack/types.ts';
