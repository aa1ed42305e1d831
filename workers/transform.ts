/**
 * piscina worker: runs a user's JS transform module over a slice of a batch. The module exports
 * `transform(record)` (called per record) or `transformBatch(records)` (returns one answer per
 * record, in order). An exception in `transform` fails that record only; one in `transformBatch`
 * fails the slice.
 */
import { pathToFileURL } from 'node:url';
import { ConfigError, SluiceError } from '../src/base/errors.ts';
import type {
  TransformInput,
  TransformOutput,
  TransformResult,
  TransformTask,
} from '../src/loader/record.ts';

interface TransformModule {
  transform?: (record: TransformInput) => TransformOutput | Promise<TransformOutput>;
  transformBatch?: (records: TransformInput[]) => TransformOutput[] | Promise<TransformOutput[]>;
}

const modules = new Map<string, Promise<TransformModule>>();

function loadModule(path: string): Promise<TransformModule> {
  let loaded = modules.get(path);
  if (!loaded) {
    loaded = import(pathToFileURL(path).href) as Promise<TransformModule>;
    modules.set(path, loaded);
  }
  return loaded;
}

function outputsOf(answer: TransformOutput): TransformResult {
  if (answer === null || answer === undefined) return { outputs: [] };
  return { outputs: Array.isArray(answer) ? answer : [answer] };
}

export default async function runTransform(task: TransformTask): Promise<TransformResult[]> {
  const module = await loadModule(task.module);
  if (task.per === 'batch') {
    if (typeof module.transformBatch !== 'function') {
      throw new ConfigError(`transform module ${task.module} does not export transformBatch(records)`);
    }
    const answers = await module.transformBatch(task.records);
    if (!Array.isArray(answers) || answers.length !== task.records.length) {
      throw new SluiceError(
        'TRANSFORM_FAILED',
        `transformBatch must return one answer per record (${task.records.length})`,
      );
    }
    return answers.map(outputsOf);
  }
  if (typeof module.transform !== 'function') {
    throw new ConfigError(`transform module ${task.module} does not export transform(record)`);
  }
  const results: TransformResult[] = [];
  for (const record of task.records) {
    try {
      results.push(outputsOf(await module.transform(record)));
    } catch (error) {
      results.push({ error: error instanceof Error ? error.message : String(error) });
    }
  }
  return results;
}
