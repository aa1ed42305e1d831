/** Small builders for local-execution tests: Arrow inputs from plain columns, rows out as SQL values. */
import { type DataType, Table, vectorFromArray } from 'apache-arrow';
import type { Column } from '../../../src/frame/column.ts';
import { batchFromArrow } from '../../../src/local/arrow-in.ts';
import { executeLocal, type LocalOptions } from '../../../src/local/execute.ts';
import type { Value } from '../../../src/local/types.ts';
import { type Field, type PlanNode, Plans, type ValuesNode } from '../../../src/plan/nodes.ts';

export type ColumnSpec = readonly [DataType, readonly unknown[]];

/** An Arrow table from columns given as [type, values]. */
export function arrowTable(columns: Record<string, ColumnSpec>): Table {
  const vectors = Object.fromEntries(
    Object.entries(columns).map(([name, [type, values]]) => [
      name,
      vectorFromArray(values as unknown[], type),
    ]),
  );
  return new Table(vectors);
}

/** A values node over a table and the inputs map that feeds it. */
export function source(
  id: string,
  table: Table,
  fields?: readonly Field[],
): { node: ValuesNode; inputs: Map<string, Table> } {
  const node = Plans.values(id, fields ?? table.schema.fields.map((field) => ({ name: field.name })));
  return { node, inputs: new Map([[id, table]]) };
}

/** Rows of an Arrow table as plain SQL values (integers as numbers, dates as text). */
export function rowsOf(table: Table): Record<string, Value>[] {
  const batch = batchFromArrow(table);
  return Array.from({ length: batch.length }, (_, row) =>
    Object.fromEntries(batch.columns.map((column) => [column.name, column.values[row]!])),
  );
}

export async function run(
  plan: PlanNode,
  inputs: ReadonlyMap<string, Table>,
  options?: LocalOptions,
): Promise<Record<string, Value>[]> {
  return rowsOf(await executeLocal(plan, inputs, options));
}

/** One column's values. */
export async function runColumn(
  plan: PlanNode,
  inputs: ReadonlyMap<string, Table>,
  name: string,
): Promise<Value[]> {
  return (await run(plan, inputs)).map((row) => row[name]!);
}

/**
 * Evaluates expressions over a one-row table with the columns MariaDB's expression test uses:
 * a = 7, s = 'Brass Widget', n = NULL (int), d = DATE '1995-03-15', x = 2.5 (DOUBLE).
 */
export async function evaluate(
  columns: Record<string, Column>,
  options?: LocalOptions,
): Promise<Record<string, Value>> {
  const { Int32, Utf8, DateDay, Float64 } = await import('apache-arrow');
  const table = arrowTable({
    a: [new Int32(), [7]],
    s: [new Utf8(), ['Brass Widget']],
    n: [new Int32(), [null]],
    d: [new DateDay(), [new Date(Date.UTC(1995, 2, 15))]],
    x: [new Float64(), [2.5]],
  });
  const { node, inputs } = source('one', table);
  const plan = Plans.project(
    node,
    Object.entries(columns).map(([name, column]) => column.as(name).node),
  );
  const [row] = await run(plan, inputs, options);
  return row!;
}

/** One expression's value. */
export async function valueOf(column: Column, options?: LocalOptions): Promise<Value> {
  return (await evaluate({ v: column }, options)).v!;
}
