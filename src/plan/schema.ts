/**
 * The output columns of a plan, and the check that every column an expression names exists in
 * its input. A plan that names a missing column fails here, naming it and the available ones.
 */
import { PlanError } from '../base/errors.ts';
import { didYouMean } from '../base/suggest.ts';
import { type Expr, exprName, referencedColumns, unalias } from './expr.ts';
import type { Field, PlanNode } from './nodes.ts';

/**
 * The fields of each node worked out so far. Nodes are frozen plain data, so a node's fields
 * never change: the optimizer and local execution ask for the same subtrees' fields again and
 * again (each join's sides, each rule's pass), which would otherwise walk the subtree each time.
 */
const known = new WeakMap<PlanNode, readonly Field[]>();

/** The columns a node outputs, in order (the plan checked on the way: a missing column throws). */
export function outputFields(node: PlanNode): readonly Field[] {
  let fields = known.get(node);
  if (fields === undefined) {
    fields = fieldsOfNode(node);
    known.set(node, fields);
  }
  return fields;
}

function fieldsOfNode(node: PlanNode): readonly Field[] {
  switch (node.kind) {
    case 'scan':
    case 'sqlText':
    case 'values':
      return node.fields;
    case 'filter': {
      const fields = outputFields(node.input);
      requireColumns(node.predicate, fields, 'filter');
      return fields;
    }
    case 'jsFilter':
    case 'sort':
    case 'limit':
    case 'distinct':
      if (node.kind === 'sort') {
        const fields = outputFields(node.input);
        for (const key of node.keys) requireColumns(key.expr, fields, 'orderBy');
        return fields;
      }
      return outputFields(node.input);
    case 'mapBatches':
      // Unknown until the function runs; later steps are checked against the real batches.
      return [];
    case 'project': {
      const input = outputFields(node.input);
      return node.exprs.map((expr) => {
        requireColumns(expr, input, 'select');
        return fieldOf(expr, input);
      });
    }
    case 'aggregate': {
      const input = outputFields(node.input);
      return [...node.groupBy, ...node.aggregates].map((expr) => {
        requireColumns(expr, input, 'groupBy/agg');
        return fieldOf(expr, input);
      });
    }
    case 'window': {
      const input = outputFields(node.input);
      const added = node.exprs.map((expr) => {
        requireColumns(expr, input, 'window');
        return fieldOf(expr, input);
      });
      return [...input.filter((field) => !added.some((a) => a.name === field.name)), ...added];
    }
    case 'join': {
      const left = outputFields(node.left);
      const right = outputFields(node.right);
      for (const key of node.using) {
        if (!left.some((f) => f.name === key) || !right.some((f) => f.name === key)) {
          throw new PlanError(
            `join key '${key}' must be a column of both sides; left has ${names(left)}; right has ${names(right)}`,
          );
        }
      }
      if (node.type === 'semi' || node.type === 'anti') {
        if (node.on) requireColumns(node.on, [...left, ...right], 'join condition');
        return left;
      }
      const rightRest = right.filter((field) => !node.using.includes(field.name));
      const clash = rightRest.filter((field) => left.some((l) => l.name === field.name));
      if (clash.length > 0) {
        throw new PlanError(
          `both sides of the join have column(s) ${clash.map((f) => `'${f.name}'`).join(', ')}; ` +
            'rename one side (select(col(x).as(...))) or join on those names',
        );
      }
      const all = [...left, ...rightRest];
      if (node.on) requireColumns(node.on, all, 'join condition');
      return all;
    }
    case 'union': {
      const left = outputFields(node.left);
      const right = outputFields(node.right);
      if (left.length !== right.length && left.length > 0 && right.length > 0) {
        throw new PlanError(
          `union needs the same number of columns on both sides: ${names(left)} vs ${names(right)}`,
        );
      }
      return left;
    }
  }
}

/** Every column `expr` reads must be in `fields`; the error names the missing and the available. */
export function requireColumns(expr: Expr, fields: readonly Field[], where: string): void {
  if (fields.length === 0) return; // after mapBatches: checked when the batches exist
  for (const name of referencedColumns(expr)) {
    if (!fieldNamed(fields, name)) {
      const suggestion = didYouMean(
        name,
        fields.map((field) => field.name),
      );
      throw new PlanError(`${where}: no column '${name}'${suggestion}; available columns: ${names(fields)}`, {
        column: name,
        available: fields.map((field) => field.name),
      });
    }
  }
}

function fieldOf(expr: Expr, input: readonly Field[]): Field {
  const name = exprName(expr);
  if (name === undefined) throw new PlanError('every computed column needs a name (use .as(name))');
  const inner = unalias(expr);
  const sqlType = inner.kind === 'column' ? fieldNamed(input, inner.name)?.sqlType : undefined;
  return sqlType === undefined ? { name } : { name, sqlType };
}

/** Up to this many fields a list is searched; longer lists get a map by name. */
const SEARCHED_FIELDS = 16;

/** Each long field list's fields by name (the first of a name), made once per list (lists are never changed). */
const byName = new WeakMap<readonly Field[], ReadonlyMap<string, Field>>();

/** The first field named `name`, found in a map for long lists (wide tables, joins of many). */
function fieldNamed(fields: readonly Field[], name: string): Field | undefined {
  if (fields.length <= SEARCHED_FIELDS) {
    for (const field of fields) if (field.name === name) return field;
    return undefined;
  }
  let map = byName.get(fields);
  if (!map) {
    const named = new Map<string, Field>();
    for (const field of fields) if (!named.has(field.name)) named.set(field.name, field);
    byName.set(fields, named);
    map = named;
  }
  return map.get(name);
}

const names = (fields: readonly Field[]) => fields.map((field) => field.name).join(', ') || '(none)';
