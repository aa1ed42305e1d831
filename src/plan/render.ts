/**
 * Plans and expressions as text, for explain() and for tests that compare plans as text (the
 * way DataFusion's tests do). Literal values appear here for people to read; they never reach SQL
 * this way.
 */
import type { Expr, SortKey } from './expr.ts';
import type { PlanNode } from './nodes.ts';
import { planInputs } from './nodes.ts';

/** How a scan's pushdown setting shows (the default, true, shows nothing). */
const SCAN_PUSHDOWN: Record<string, string> = { false: ' pushdown=off', always: ' pushdown=always' };

const literal = (value: unknown): string => {
  if (value === null) return 'NULL';
  if (typeof value === 'string') return `'${value.replaceAll("'", "''")}'`;
  if (value instanceof Date) return `'${value.toISOString()}'`;
  return String(value);
};

export function renderExpr(expr: Expr): string {
  switch (expr.kind) {
    case 'column':
      return expr.name;
    case 'literal':
      return expr.decimal ? String(expr.value) : literal(expr.value);
    case 'binary':
      return `(${renderExpr(expr.left)} ${expr.op.toUpperCase()} ${renderExpr(expr.right)})`;
    case 'not':
      return `NOT ${renderExpr(expr.operand)}`;
    case 'negate':
      return `-${renderExpr(expr.operand)}`;
    case 'isNull':
      return `${renderExpr(expr.operand)} IS ${expr.negated ? 'NOT ' : ''}NULL`;
    case 'in':
      return `${renderExpr(expr.operand)} ${expr.negated ? 'NOT ' : ''}IN (${expr.list.map(renderExpr).join(', ')})`;
    case 'between':
      return `${renderExpr(expr.operand)} ${expr.negated ? 'NOT ' : ''}BETWEEN ${renderExpr(expr.low)} AND ${renderExpr(expr.high)}`;
    case 'like':
      return `${renderExpr(expr.operand)} ${expr.negated ? 'NOT ' : ''}LIKE ${renderExpr(expr.pattern)}`;
    case 'cast':
      return `CAST(${renderExpr(expr.operand)} AS ${expr.to}${expr.digits ? `(${expr.digits.precision},${expr.digits.scale})` : ''})`;
    case 'case':
      return `CASE ${expr.branches.map((b) => `WHEN ${renderExpr(b.when)} THEN ${renderExpr(b.result)}`).join(' ')}${
        expr.otherwise ? ` ELSE ${renderExpr(expr.otherwise)}` : ''
      } END`;
    case 'call':
      return `${expr.name}(${expr.args.map(renderExpr).join(', ')})`;
    case 'aggregate':
      return `${expr.fn}(${expr.arg ? renderExpr(expr.arg) : '*'})`;
    case 'window': {
      const parts: string[] = [];
      if (expr.partitionBy.length > 0)
        parts.push(`partitionBy=[${expr.partitionBy.map(renderExpr).join(', ')}]`);
      if (expr.orderBy.length > 0) parts.push(`orderBy=[${expr.orderBy.map(renderSortKey).join(', ')}]`);
      if (expr.frame)
        parts.push(`rows=[${expr.frame.start ?? 'unbounded'}, ${expr.frame.end ?? 'unbounded'}]`);
      return `${expr.fn}(${expr.args.map(renderExpr).join(', ')}) OVER (${parts.join(' ')})`;
    }
    case 'alias':
      return `${renderExpr(expr.expr)} AS ${expr.name}`;
    case 'outer':
      return `outer(${expr.name})`;
    case 'subquery': {
      // One line: the subquery's nodes from the top down, each over the next.
      const plan = renderPlan(expr.plan)
        .split('\n')
        .map((line) => line.trim())
        .join(' <- ');
      const not = expr.negated ? 'NOT ' : '';
      if (expr.mode === 'exists') return `${not}EXISTS(${plan})`;
      if (expr.mode === 'in') return `${renderExpr(expr.operand!)} ${not}IN(${plan})`;
      return `SCALAR(${plan})`;
    }
  }
}

export function renderSortKey(key: SortKey): string {
  return `${renderExpr(key.expr)} ${key.descending ? 'DESC' : 'ASC'} NULLS ${key.nullsFirst ? 'FIRST' : 'LAST'}`;
}

function nodeLine(node: PlanNode): string {
  switch (node.kind) {
    case 'scan':
      return `Scan ${node.table} source=${node.source}${SCAN_PUSHDOWN[String(node.options.pushdown)] ?? ''}`;
    case 'sqlText':
      return `SqlText source=${node.source}${node.reason ? ` (not planned: ${node.reason})` : ''}: ${node.sql.replace(/\s+/g, ' ').trim()}`;
    case 'values':
      return `${node.origin === 'cache' ? 'Cached' : node.origin === 'arrow' ? 'Arrow' : 'Query'} ${node.id} [${node.fields.map((f) => f.name).join(', ')}]`;
    case 'filter':
      return `Filter ${renderExpr(node.predicate)}`;
    case 'jsFilter':
      return `JsFilter ${node.label}`;
    case 'project':
      return `Project [${node.exprs.map(renderExpr).join(', ')}]`;
    case 'aggregate':
      return `Aggregate groupBy=[${node.groupBy.map(renderExpr).join(', ')}] aggregates=[${node.aggregates.map(renderExpr).join(', ')}]`;
    case 'window':
      return `Window [${node.exprs.map(renderExpr).join(', ')}]`;
    case 'sort':
      return `Sort [${node.keys.map(renderSortKey).join(', ')}]`;
    case 'limit':
      return `Limit ${node.limit ?? 'all'}${node.offset > 0 ? ` offset=${node.offset}` : ''}`;
    case 'distinct':
      return 'Distinct';
    case 'join':
      return `Join ${node.type}${node.using.length > 0 ? ` using=[${node.using.join(', ')}]` : ''}${
        node.on ? ` on=${renderExpr(node.on)}` : ''
      }`;
    case 'union':
      return node.all ? 'UnionAll' : 'Union';
    case 'mapBatches':
      return `MapBatches ${node.label}`;
  }
}

/** The plan as an indented tree, one node per line, inputs below their consumer. */
export function renderPlan(node: PlanNode, indent = ''): string {
  const lines = [`${indent}${nodeLine(node)}`];
  for (const input of planInputs(node)) lines.push(renderPlan(input, `${indent}  `));
  return lines.join('\n');
}
