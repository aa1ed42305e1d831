/**
 * The type local execution gives an expression over a row-wise plan (scan or rows read, filter,
 * project) before any row is read: the expression is compiled against an empty batch whose
 * columns have the declared types. A partitioned read uses it to know how many digits a DECIMAL
 * partial carries inside the server (a quotient keeps more than it shows).
 */
import { type Expr, exprName } from '../plan/expr.ts';
import type { PlanNode } from '../plan/nodes.ts';
import { type Batch, makeBatch } from './batch.ts';
import { DEFAULT_COLLATION } from './collation.ts';
import { compileExpr } from './expr/compile.ts';
import { type SqlType, typeFromSqlName } from './types.ts';

/** The columns a row-wise plan gives, typed and empty; undefined when a type is unknown. */
function emptyBatch(node: PlanNode): Batch | undefined {
  switch (node.kind) {
    case 'scan':
    case 'values': {
      const columns = [];
      for (const field of node.fields) {
        const type = typeFromSqlName(field.sqlType);
        if (type === undefined) return undefined;
        columns.push({ name: field.name, type, values: [] });
      }
      return makeBatch(columns, 0);
    }
    case 'filter':
      return emptyBatch(node.input);
    case 'project': {
      const input = emptyBatch(node.input);
      if (input === undefined) return undefined;
      const columns = [];
      for (const expr of node.exprs) {
        const type = staticTypeIn(expr, input);
        const name = exprName(expr);
        if (type === undefined || name === undefined) return undefined;
        columns.push({ name, type, values: [] });
      }
      return makeBatch(columns, 0);
    }
    default:
      return undefined;
  }
}

function staticTypeIn(expr: Expr, batch: Batch): SqlType | undefined {
  try {
    return compileExpr(expr, { batch, collation: DEFAULT_COLLATION, where: 'type' }).type;
  } catch {
    // A function local execution does not know, or an aggregate: no static type.
    return undefined;
  }
}

/** The type of `expr` over the rows of `input` (a scan or rows read, under filters and projections), if known. */
export function staticType(expr: Expr, input: PlanNode): SqlType | undefined {
  const batch = emptyBatch(input);
  return batch === undefined ? undefined : staticTypeIn(expr, batch);
}
