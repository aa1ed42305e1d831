/**
 * Fused projections: every computed INT/DOUBLE output of one SELECT (arithmetic, comparisons,
 * AND/OR/NOT, IS NULL, negation, CASE, LEAST/GREATEST, SQRT over INT and DOUBLE columns and
 * numeric literals) in one generated loop per batch, each shared subexpression computed once
 * per row into a local, instead of one whole-column loop (and one new column) per node.
 *
 * The loop is JavaScript source built from the expression's shape and compiled once with
 * `new Function` (cached by that source): literals are not in the source but read from an array,
 * so the same shape with new constants (k-means centroids, each iteration) reuses the compiled
 * and optimized loop. The semantics are the kernels' (expressions.ts), value for value: the same
 * MariaDB typing, NULL when an operand is NULL, division by zero and non-finite DOUBLEs as NULL,
 * and an INT result beyond 2^53 sends the whole projection back to the unfused path.
 */

import { rememberRecent } from '../../base/recent.ts';
import type { Expr } from '../../plan/expr.ts';
import type { Batch, Values } from '../batch.ts';
import { type SqlType, T, type Value } from '../types.ts';
import { JS_COMPARISON } from './expressions.ts';
import { kernelsEnabled, type NumericVector, valuesOfVector, vectorOfLocalColumn } from './vectors.ts';

type Kind = 'int' | 'double' | 'decimal';

/** One node of the fused graph: a local variable `v<id>` (value) and `n<id>` (NULL flag). */
interface Node {
  readonly id: number;
  readonly kind: Kind;
  /** Statements computing v<id> and n<id> from earlier nodes. */
  readonly code: string;
  /**
   * A DOUBLE + - * whose non-finite result is not yet NULL: + - * of a non-finite operand is
   * non-finite again, so a chain of them checks once, where something else reads it (checked()).
   */
  readonly deferred?: boolean;
}

interface Graph {
  readonly nodes: Node[];
  readonly byExpr: Map<Expr, Node | null>;
  /** Column inputs: their values and validity, in parameter order. */
  readonly columns: NumericVector[];
  readonly columnIndex: Map<string, number>;
  readonly literals: number[];
  readonly batch: Batch;
  /** Nodes by shape (kind, operator, input ids): equal subtrees are one node (hash-consing). */
  readonly shapes: Map<string, Node>;
}

const newGraph = (batch: Batch): Graph => ({
  nodes: [],
  byExpr: new Map(),
  columns: [],
  columnIndex: new Map(),
  literals: [],
  batch,
  shapes: new Map(),
});

const ARITHMETIC = new Set(['+', '-', '*', '/']);

function literalKind(value: unknown): { kind: Kind; value: number } | undefined {
  if (typeof value === 'boolean') return { kind: 'int', value: value ? 1 : 0 };
  if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
  if (Number.isSafeInteger(value)) return { kind: 'int', value };
  if (Number.isInteger(value)) return undefined;
  return { kind: /e/i.test(String(value)) ? 'double' : 'decimal', value };
}

function add(graph: Graph, shape: string, kind: Kind, code: (id: number) => string, deferred = false): Node {
  const known = graph.shapes.get(shape);
  if (known) return known;
  const id = graph.nodes.length;
  const node = { id, kind, code: code(id), deferred };
  graph.nodes.push(node);
  graph.shapes.set(shape, node);
  return node;
}

/** The node with a non-finite value as NULL (the node itself unless it is deferred). */
function checked(graph: Graph, node: Node): Node {
  if (!node.deferred) return node;
  return add(
    graph,
    `finite ${node.id}`,
    node.kind,
    (id) => `const v${id} = v${node.id}; const n${id} = n${node.id} || !Number.isFinite(v${node.id});`,
  );
}

/** The node computing `expr` with non-finite values as NULL, or null when not fusable. */
function inputOf(graph: Graph, expr: Expr): Node | null {
  const node = nodeOf(graph, expr);
  return node && checked(graph, node);
}

/** The node computing `expr`, or null when the expression is not fusable. */
function nodeOf(graph: Graph, expr: Expr): Node | null {
  const known = graph.byExpr.get(expr);
  if (known !== undefined) return known;
  const node = build(graph, expr);
  graph.byExpr.set(expr, node);
  return node;
}

function build(graph: Graph, expr: Expr): Node | null {
  switch (expr.kind) {
    case 'alias':
      return nodeOf(graph, expr.expr);
    case 'literal': {
      if (expr.decimal) return null;
      const literal = literalKind(expr.value);
      if (!literal) return null;
      const shape = `literal ${literal.kind} ${literal.value}`;
      const known = graph.shapes.get(shape);
      if (known) return known;
      const slot = graph.literals.push(literal.value) - 1;
      return add(graph, shape, literal.kind, (id) => `const v${id} = L${slot}; const n${id} = false;`);
    }
    case 'column': {
      let index = graph.columnIndex.get(expr.name);
      if (index === undefined) {
        const column = graph.batch.columns.find((c) => c.name === expr.name);
        const vector = column && vectorOfLocalColumn(column, graph.batch.length);
        if (!vector || (vector.kind !== 'int' && vector.kind !== 'double')) return null;
        index = graph.columns.push(vector) - 1;
        graph.columnIndex.set(expr.name, index);
      }
      const vector = graph.columns[index]!;
      const nulls = vector.valid ? `(B${index}[i >> 3] & (1 << (i & 7))) === 0` : 'false';
      return add(
        graph,
        `column ${index}`,
        vector.kind as Kind,
        (id) => `const v${id} = C${index}[i]; const n${id} = ${nulls};`,
      );
    }
    case 'binary': {
      let left = nodeOf(graph, expr.left);
      let right = left && nodeOf(graph, expr.right);
      if (!left || !right) return null;
      const defers =
        (expr.op === '+' || expr.op === '-' || expr.op === '*') &&
        (left.kind === 'double' || right.kind === 'double');
      if (!defers) {
        left = checked(graph, left);
        right = checked(graph, right);
      }
      const [a, b] = [left.id, right.id];
      const nullIf = `n${a} || n${b}`;
      const shape = `${expr.op} ${a} ${b}`;
      if (ARITHMETIC.has(expr.op)) {
        const double = left.kind === 'double' || right.kind === 'double';
        // DECIMAL operands and integer division (a DECIMAL) stay on the exact path.
        if (!double && (left.kind !== 'int' || right.kind !== 'int' || expr.op === '/')) return null;
        if (defers) {
          return add(
            graph,
            shape,
            'double',
            (id) => `const v${id} = v${a} ${expr.op} v${b}; const n${id} = ${nullIf};`,
            true,
          );
        }
        if (double) {
          return add(
            graph,
            shape,
            'double',
            (id) =>
              `const v${id} = v${a} / v${b}; const n${id} = ${nullIf} || !Number.isFinite(v${id}) || v${b} === 0;`,
          );
        }
        return add(
          graph,
          shape,
          'int',
          (id) =>
            `const v${id} = v${a} ${expr.op} v${b}; const n${id} = ${nullIf}; if (!n${id} && !Number.isSafeInteger(v${id})) return null;`,
        );
      }
      if (expr.op === 'and' || expr.op === 'or') {
        const decides = expr.op === 'and' ? 0 : 1;
        return add(
          graph,
          shape,
          'int',
          (id) =>
            `const x${id} = v${a} !== 0 ? 1 : 0; const y${id} = v${b} !== 0 ? 1 : 0; ` +
            `const d${id} = (!n${a} && x${id} === ${decides}) || (!n${b} && y${id} === ${decides}); ` +
            `const v${id} = d${id} ? ${decides} : ${1 - decides}; const n${id} = !d${id} && (n${a} || n${b});`,
        );
      }
      const op = (JS_COMPARISON as Record<string, string>)[expr.op];
      if (!op) return null;
      return add(
        graph,
        shape,
        'int',
        (id) => `const v${id} = v${a} ${op} v${b} ? 1 : 0; const n${id} = ${nullIf};`,
      );
    }
    case 'not': {
      const inner = inputOf(graph, expr.operand);
      if (!inner) return null;
      return add(
        graph,
        `not ${inner.id}`,
        'int',
        (id) => `const v${id} = v${inner.id} === 0 ? 1 : 0; const n${id} = n${inner.id};`,
      );
    }
    case 'negate': {
      const inner = inputOf(graph, expr.operand);
      if (!inner || inner.kind === 'decimal') return null;
      const x = `v${inner.id}`;
      return add(
        graph,
        `negate ${inner.id}`,
        inner.kind,
        (id) => `const v${id} = ${x} === 0 ? 0 : -${x}; const n${id} = n${inner.id};`,
      );
    }
    case 'isNull': {
      const inner = inputOf(graph, expr.operand);
      if (!inner) return null;
      const [whenNull, otherwise] = expr.negated ? [0, 1] : [1, 0];
      return add(
        graph,
        `isNull ${inner.id} ${whenNull}`,
        'int',
        (id) => `const v${id} = n${inner.id} ? ${whenNull} : ${otherwise}; const n${id} = false;`,
      );
    }
    case 'call':
      return call(graph, expr);
    case 'case':
      return caseWhen(graph, expr);
    default:
      return null;
  }
}

function call(graph: Graph, expr: Extract<Expr, { kind: 'call' }>): Node | null {
  if ((expr.name === 'least' || expr.name === 'greatest') && expr.args.length > 0) {
    const args: Node[] = [];
    for (const arg of expr.args) {
      const node = inputOf(graph, arg);
      if (!node || node.kind === 'decimal') return null;
      args.push(node);
    }
    const kind: Kind = args.some((arg) => arg.kind === 'double') ? 'double' : 'int';
    const better = expr.name === 'greatest' ? '>' : '<';
    return add(graph, `${expr.name} ${args.map((arg) => arg.id).join(' ')}`, kind, (id) => {
      let code = `let v${id} = v${args[0]!.id};`;
      for (const arg of args.slice(1)) code += ` if (v${arg.id} ${better} v${id}) v${id} = v${arg.id};`;
      return `${code} const n${id} = ${args.map((arg) => `n${arg.id}`).join(' || ')};`;
    });
  }
  if (expr.name === 'sqrt' && expr.args.length === 1) {
    const inner = inputOf(graph, expr.args[0]!);
    if (!inner || inner.kind === 'decimal') return null;
    const x = `v${inner.id}`;
    return add(
      graph,
      `sqrt ${inner.id}`,
      'double',
      (id) => `const v${id} = ${x} >= 0 ? Math.sqrt(${x}) : 0; const n${id} = n${inner.id} || !(${x} >= 0);`,
    );
  }
  return null;
}

/** CASE with INT or DOUBLE results all of one kind (as the kernels take it: no conversion). */
function caseWhen(graph: Graph, expr: Extract<Expr, { kind: 'case' }>): Node | null {
  const branches: { when: Node; result: Node }[] = [];
  for (const branch of expr.branches) {
    const when = inputOf(graph, branch.when);
    const result = when && inputOf(graph, branch.result);
    if (!when || !result || when.kind === 'decimal' || result.kind === 'decimal') return null;
    branches.push({ when, result });
  }
  const otherwise = expr.otherwise ? inputOf(graph, expr.otherwise) : undefined;
  if (otherwise === null || otherwise?.kind === 'decimal') return null;
  const kind = branches[0]!.result.kind;
  if (branches.some((b) => b.result.kind !== kind) || (otherwise && otherwise.kind !== kind)) return null;
  const shape = `case ${branches.map((b) => `${b.when.id}:${b.result.id}`).join(' ')} ${otherwise?.id ?? ''}`;
  return add(graph, shape, kind, (id) => {
    let code = `let v${id} = 0; let n${id} = true;`;
    let prefix = '';
    for (const { when, result } of branches) {
      code += ` ${prefix}if (!n${when.id} && v${when.id} !== 0) { v${id} = v${result.id}; n${id} = n${result.id}; }`;
      prefix = 'else ';
    }
    if (otherwise) code += ` ${prefix}{ v${id} = v${otherwise.id}; n${id} = n${otherwise.id}; }`;
    return code;
  });
}

type Loop = (
  length: number,
  columns: readonly Float64Array[],
  validity: readonly (Uint8Array | undefined)[],
  literals: readonly number[],
  outputs: Float64Array[],
) => (Uint8Array | undefined)[] | null;

const loops = new Map<string, Loop>();
const MAX_LOOPS = 256;

/** How often fusion ran and compiled, for tests and explain: a fallback shows as no new run. */
export const fusionStats = { runs: 0, compiled: 0 };

function loopFor(graph: Graph, outputs: readonly Node[]): Loop {
  const lines = [
    ...graph.columns.map(
      (column, k) => `const C${k} = columns[${k}];${column.valid ? ` const B${k} = validity[${k}];` : ''}`,
    ),
    ...graph.literals.map((_, k) => `const L${k} = literals[${k}];`),
    ...outputs.map((_, k) => `const O${k} = outputs[${k}]; let N${k};`),
    'for (let i = 0; i < length; i++) {',
    ...graph.nodes.map((node) => `  ${node.code}`),
    ...outputs.map(
      (node, k) =>
        `  O${k}[i] = v${node.id}; if (n${node.id}) { if (N${k} === undefined) N${k} = new Uint8Array((length + 7) >> 3).fill(255); N${k}[i >> 3] &= ~(1 << (i & 7)); }`,
    ),
    '}',
    `return [${outputs.map((_, k) => `N${k}`).join(', ')}];`,
  ];
  const source = lines.join('\n');
  let loop = loops.get(source);
  if (!loop) {
    loop = new Function('length', 'columns', 'validity', 'literals', 'outputs', source) as Loop;
    rememberRecent(loops, source, loop, MAX_LOOPS);
    fusionStats.compiled++;
  }
  return loop;
}

export interface FusedColumn {
  readonly type: SqlType;
  readonly values: Values;
}

/**
 * The computed outputs of a projection in one loop: an entry per expression (undefined for a
 * bare column, or an expression the loop cannot compute, which the caller computes one by one),
 * or undefined when nothing is fused.
 */
export function fuseProjection(
  exprs: readonly Expr[],
  batch: Batch,
): (FusedColumn | undefined)[] | undefined {
  if (!kernelsEnabled()) return undefined;
  const graph = newGraph(batch);
  const outputs: (Node | undefined)[] = exprs.map((expr) => {
    const inner = expr.kind === 'alias' ? expr.expr : expr;
    if (inner.kind === 'column' || inner.kind === 'literal') return undefined;
    const mark = graph.nodes.length;
    const node = inputOf(graph, inner);
    if (node) return node;
    // Not fusable: the nodes it added are dropped, so the loop computes only what it outputs.
    graph.nodes.length = mark;
    for (const [shape, added] of graph.shapes) if (added.id >= mark) graph.shapes.delete(shape);
    for (const [expr, added] of graph.byExpr) if (added && added.id >= mark) graph.byExpr.delete(expr);
    return undefined;
  });
  const fused = outputs.filter((node): node is Node => node !== undefined && node.kind !== 'decimal');
  if (fused.length === 0) return undefined;
  const loop = loopFor(graph, fused);
  const values = fused.map(() => new Float64Array(batch.length));
  const nulls = loop(
    batch.length,
    graph.columns.map((column) => column.values),
    graph.columns.map((column) => column.valid),
    graph.literals,
    values,
  );
  if (nulls === null) return undefined;
  fusionStats.runs++;
  const results = new Map<Node, FusedColumn>();
  fused.forEach((node, k) => {
    const kind = node.kind === 'double' ? 'double' : 'int';
    const vector: NumericVector = {
      kind,
      type: kind === 'double' ? T.double : T.int,
      values: values[k]!,
      valid: nulls[k],
      length: batch.length,
    };
    results.set(node, { type: vector.type, values: valuesOfVector(vector) });
  });
  return outputs.map((node) => (node ? results.get(node) : undefined));
}

/** An aggregate the grouped loop computes: COUNT(*), or COUNT / SUM of an expression over the input. */
export interface FusedCall {
  readonly fn: 'count' | 'sum';
  readonly arg?: Expr;
}

export interface FusedGroups {
  /** The group key of each group, in order of first appearance (as the hash grouping numbers them). */
  readonly keys: Float64Array;
  readonly count: number;
  /** Per call: its type and one value per group. */
  readonly results: readonly { readonly type: SqlType; readonly values: Value[] }[];
}

/** Keys the grouped loop numbers through a table: small non-negative integers (cluster numbers, flags). */
const SMALL_KEYS = 1024;

type GroupedLoop = (
  length: number,
  columns: readonly Float64Array[],
  validity: readonly (Uint8Array | undefined)[],
  literals: readonly number[],
  groupOf: Int32Array,
  keys: Float64Array,
  totals: Float64Array[],
  seen: Float64Array[],
) => number;

const groupedLoops = new Map<string, GroupedLoop>();

/**
 * GROUP BY one INT expression with COUNT and DOUBLE SUM aggregates over a projection, in one
 * generated loop over the projection's input: the key and the arguments are computed per row as
 * the fused projection computes them, and added into their group at once, with no projected
 * column in between (a k-means step: distances, nearest centroid, and the per-cluster sums in one
 * pass). The sums add in row order, as the group-by kernels and the row path do, so the results
 * are the same bits. Undefined (the caller projects, then groups) unless every key is an integer
 * in [0, 1024) and not NULL, and every argument fuses (SUM of DOUBLE only: an INT sum needs the
 * exactness check of the kernels), and every expression of `others` (the projection's outputs
 * nobody groups on or aggregates) fuses as well.
 */
export function fuseGroupedAggregate(
  key: Expr,
  calls: readonly FusedCall[],
  batch: Batch,
  others: readonly Expr[] = [],
): FusedGroups | undefined {
  if (!kernelsEnabled()) return undefined;
  const graph = newGraph(batch);
  // The projection's other computed outputs must fuse too (then they cannot fail either).
  for (const expr of others) if (!inputOf(graph, expr)) return undefined;
  const keyNode = inputOf(graph, key);
  if (keyNode?.kind !== 'int') return undefined;
  const args: (Node | undefined)[] = [];
  for (const call of calls) {
    if (!call.arg) {
      if (call.fn !== 'count') return undefined;
      args.push(undefined);
      continue;
    }
    const node = inputOf(graph, call.arg);
    if (!node || node.kind === 'decimal' || (call.fn === 'sum' && node.kind !== 'double')) return undefined;
    args.push(node);
  }
  const k = `v${keyNode.id}`;
  const lines = [
    ...graph.columns.map(
      (column, c) => `const C${c} = columns[${c}];${column.valid ? ` const B${c} = validity[${c}];` : ''}`,
    ),
    ...graph.literals.map((_, c) => `const L${c} = literals[${c}];`),
    ...calls.map((_, c) => `const T${c} = totals[${c}]; const S${c} = seen[${c}];`),
    'let count = 0;',
    'for (let i = 0; i < length; i++) {',
    ...graph.nodes.map((node) => `  ${node.code}`),
    `  if (n${keyNode.id} || !(${k} >= 0 && ${k} < ${SMALL_KEYS} && (${k} | 0) === ${k})) return -1;`,
    `  let g = groupOf[${k}];`,
    `  if (g < 0) { g = count++; groupOf[${k}] = g; keys[g] = ${k}; }`,
    ...calls.map((call, c) => {
      const node = args[c];
      if (!node) return `  S${c}[g]++;`;
      const add = call.fn === 'sum' ? ` T${c}[g] += v${node.id};` : '';
      return `  if (!n${node.id}) { S${c}[g]++;${add} }`;
    }),
    '}',
    'return count;',
  ];
  const source = lines.join('\n');
  let loop = groupedLoops.get(source);
  if (!loop) {
    loop = new Function(
      'length',
      'columns',
      'validity',
      'literals',
      'groupOf',
      'keys',
      'totals',
      'seen',
      source,
    ) as GroupedLoop;
    rememberRecent(groupedLoops, source, loop, MAX_LOOPS);
    fusionStats.compiled++;
  }
  const keys = new Float64Array(SMALL_KEYS);
  const totals = calls.map(() => new Float64Array(SMALL_KEYS));
  const seen = calls.map(() => new Float64Array(SMALL_KEYS));
  const count = loop(
    batch.length,
    graph.columns.map((column) => column.values),
    graph.columns.map((column) => column.valid),
    graph.literals,
    new Int32Array(SMALL_KEYS).fill(-1),
    keys,
    totals,
    seen,
  );
  if (count < 0) return undefined;
  fusionStats.runs++;
  const results = calls.map((call, c) => {
    const values = new Array<Value>(count);
    for (let g = 0; g < count; g++) {
      values[g] = call.fn === 'count' ? seen[c]![g]! : seen[c]![g] === 0 ? null : totals[c]![g]!;
    }
    return { type: call.fn === 'count' ? T.int : T.double, values };
  });
  return { keys: keys.slice(0, count), count, results };
}
