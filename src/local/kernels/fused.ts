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
import {
  driveLoop,
  type LoopSources,
  type MorselLoop,
  morselBounds,
  outputArray,
  runMorsels,
  sharedArray,
} from './morsels.ts';
import { kernelsEnabled, type NumericVector, valuesOfVector, vectorOfLocalColumn } from './vectors.ts';

type Kind = 'int' | 'double' | 'decimal';

/** One node of the fused graph: a local variable `v<id>` (value) and `n<id>` (NULL flag). */
interface Node {
  readonly id: number;
  readonly kind: Kind;
  /** Statements computing v<id> and n<id> from earlier nodes. */
  readonly code: string;
  /**
   * The statements on the row loop's fast path, where they differ: there the row's columns are
   * not NULL and every checked value is finite (the loop tests both once per row, after the
   * nodes, and computes the row again with `code` when either fails).
   */
  readonly fast?: string;
  /** A finiteness check the fast path leaves to the loop's one test per row. */
  readonly checksFinite?: boolean;
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

function add(
  graph: Graph,
  shape: string,
  kind: Kind,
  code: (id: number) => string,
  deferred = false,
  fast?: { readonly code: (id: number) => string; readonly checksFinite?: boolean },
): Node {
  const known = graph.shapes.get(shape);
  if (known) return known;
  const id = graph.nodes.length;
  const node = { id, kind, code: code(id), deferred, fast: fast?.code(id), checksFinite: fast?.checksFinite };
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
    false,
    { code: (id) => `const v${id} = v${node.id}; const n${id} = n${node.id};`, checksFinite: true },
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
      return add(graph, shape, literal.kind, (id) => `const v${id} = l${slot}; const n${id} = false;`);
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
        false,
        vector.valid ? { code: (id) => `const v${id} = C${index}[i]; const n${id} = false;` } : undefined,
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
            `const v${id} = v${a} ${expr.op} v${b}; const n${id} = ${nullIf}; if (!n${id} && !Number.isSafeInteger(v${id})) return -1;`,
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

/**
 * Generated loops over rows [start, end): per row the nodes, then `tail` (the statements reading
 * them, which may advance `count`, the result). Every input is a parameter of its own (columns
 * `C<k>`, validity bitmaps `B<k>`, literals `L<k>`, then `params`), not read out of arrays at the
 * top, where V8 would have no feedback for the reads when it first optimizes the loop. A loop
 * gives up with -1 (an INT result beyond 2^53, a group key the table cannot hold): the caller
 * then takes the unfused path. The result stays a small integer on every path (a count that may
 * be null measured 60 instead of 38 ns per row for a k-means step).
 *
 * Most rows have no NULL column and only finite values, so the `fast` loop leaves out the NULL
 * flags those would give, and stops at a row whose columns are not all valid or with a checked
 * value not finite (one test per row covers every check: a non-finite value makes the sum of the
 * checked values non-finite; a sum overflowing only stops the loop). It returns -2 - count and the
 * row in `stop[0]`; the `full` loop, every flag computed, takes that row and the next ones of its
 * block (morsels.ts drives the two). The fast loop's body only breaks out: with a call to the full
 * body in it, or a return of the row or count, even never taken, the same k-means step measured
 * 65 instead of 40 ns per row.
 */
function loopSources(graph: Graph, tail: readonly string[]): LoopSources {
  const nodes = (fast: boolean) => graph.nodes.map((node) => `  ${(fast && node.fast) || node.code}`);
  const perRow = tail.map((line) => `  ${line}`);
  // Each literal as a number once, before the loop, not checked at each use in it.
  const literals = graph.literals.map((_, k) => `const l${k} = +L${k};`);
  const full = [
    ...literals,
    'for (let i = start; i < end; i++) {',
    ...nodes(false),
    ...perRow,
    '}',
    'return count;',
  ].join('\n');
  const fast = graph.nodes.filter((node) => node.fast !== undefined);
  if (fast.length === 0) return { fast: full };
  const tests: string[] = [];
  const bitmaps = graph.columns.flatMap((column, c) => (column.valid ? [`B${c}[i >> 3]`] : []));
  if (bitmaps.length > 0) tests.push(`(${bitmaps.join(' & ')} & (1 << (i & 7))) !== 0`);
  const checked = fast.filter((node) => node.checksFinite);
  if (checked.length > 0) tests.push(`Number.isFinite(${checked.map((node) => `v${node.id}`).join(' + ')})`);
  return {
    fast: [
      ...literals,
      'let i = start;',
      'for (; i < end; i++) {',
      ...nodes(true),
      `  if (!(${tests.join(' && ')})) break;`,
      ...perRow,
      '}',
      'if (i < end) { stop[0] = i; return -2 - count; }',
      'return count;',
    ].join('\n'),
    full,
  };
}

/** The loop's parameters for its columns (`C<k>`, and `B<k>` for a validity bitmap) and literals (`L<k>`). */
const inputNames = (graph: Graph): string[] => [
  ...graph.columns.map((_, k) => `C${k}`),
  ...graph.columns.flatMap((column, k) => (column.valid ? [`B${k}`] : [])),
  ...graph.literals.map((_, k) => `L${k}`),
];

/** The arguments for inputNames(graph): the columns' values (or `columns`) and bitmaps, the literals. */
const inputValues = (
  graph: Graph,
  columns: readonly Float64Array[] = graph.columns.map((column) => column.values),
  validity: readonly (Uint8Array | undefined)[] = graph.columns.map((column) => column.valid),
): unknown[] => [...columns, ...validity.filter((valid) => valid !== undefined), ...graph.literals];

/** (start, end, count, stop, ...inputs, ...params) → the new count, -1 when it gives up, or -2 - count when it stops. */
type Loop = (start: number, end: number, count: number, stop: Int32Array, ...args: unknown[]) => number;

/** A loop compiled from its sources (`full` only where the fast loop can stop). */
type CompiledLoop = MorselLoop<Loop>;

const loops = new Map<string, CompiledLoop>();
const MAX_LOOPS = 256;

/** How often fusion ran and compiled, for tests and explain: a fallback shows as no new run. */
export const fusionStats = { runs: 0, compiled: 0, split: 0 };

/** The loops for `tail` over the graph, compiled once per source (new literals reuse them). */
function compiledLoop(graph: Graph, params: readonly string[], tail: readonly string[]): CompiledLoop {
  const sources = loopSources(graph, tail);
  const key = `${sources.fast}\n${sources.full ?? ''}`;
  let known = loops.get(key);
  if (!known) {
    const all = ['start', 'end', 'count', 'stop', ...inputNames(graph), ...params];
    const compile = (source: string) => new Function(...all, source) as Loop;
    known = {
      params: all,
      sources,
      fast: compile(sources.fast),
      full: sources.full ? compile(sources.full) : undefined,
    };
    rememberRecent(loops, key, known, MAX_LOOPS);
    fusionStats.compiled++;
  }
  return known;
}

/** Runs the compiled loop over rows [start, end) with the arguments after `stop`. */
const runLoop = (compiled: CompiledLoop, start: number, end: number, args: readonly unknown[]): number =>
  driveLoop(compiled.fast, compiled.full, start, end, args);

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
  const compiled = compiledLoop(
    graph,
    ['length', 'nulls', ...fused.map((_, k) => `O${k}`)],
    fused.map(
      (node, k) =>
        `O${k}[i] = v${node.id}; if (n${node.id}) { const N = nulls[${k}] ?? (nulls[${k}] = new Uint8Array((length + 7) >> 3).fill(255)); N[i >> 3] &= ~(1 << (i & 7)); }`,
    ),
  );
  const values = fused.map(() => outputArray(batch.length));
  const nulls: (Uint8Array | undefined)[] = fused.map(() => undefined);
  if (runLoop(compiled, 0, batch.length, [...inputValues(graph), batch.length, nulls, ...values]) < 0) {
    return undefined;
  }
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
export async function fuseGroupedAggregate(
  key: Expr,
  calls: readonly FusedCall[],
  batch: Batch,
  others: readonly Expr[] = [],
): Promise<FusedGroups | undefined> {
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
  const compiled = compiledLoop(
    graph,
    ['groupOf', 'keys', ...calls.flatMap((_, c) => [`T${c}`, `S${c}`])],
    [
      `if (n${keyNode.id} || !(${k} >= 0 && ${k} < ${SMALL_KEYS} && (${k} | 0) === ${k})) return -1;`,
      `let g = groupOf[${k}];`,
      `if (g < 0) { g = count++; groupOf[${k}] = g; keys[g] = ${k}; }`,
      ...calls.map((call, c) => {
        const node = args[c];
        if (!node) return `S${c}[g]++;`;
        const add = call.fn === 'sum' ? ` T${c}[g] += v${node.id};` : '';
        return `if (!n${node.id}) { S${c}[g]++;${add} }`;
      }),
    ],
  );
  const groups = await groupedRun(compiled, graph, calls.length, batch.length);
  if (!groups) return undefined;
  fusionStats.runs++;
  const { count, totals, seen } = groups;
  const results = calls.map((call, c) => {
    const values = new Array<Value>(count);
    for (let g = 0; g < count; g++) {
      values[g] = call.fn === 'count' ? seen[c]![g]! : seen[c]![g] === 0 ? null : totals[c]![g]!;
    }
    return { type: call.fn === 'count' ? T.int : T.double, values };
  });
  return { keys: groups.keys.slice(0, count), count, results };
}

/** Groups of some rows: numbered by first appearance, the key, count and sum of each call per group. */
interface PartialGroups {
  count: number;
  readonly groupOf: Int32Array;
  readonly keys: Float64Array;
  readonly totals: Float64Array[];
  readonly seen: Float64Array[];
}

/** The loop's arguments after the inputs, where the groups go: the group table, the keys, per call its sums and counts. */
const emptyGroups = (calls: number): unknown[] => [
  new Int32Array(SMALL_KEYS).fill(-1),
  new Float64Array(SMALL_KEYS),
  ...Array.from({ length: 2 * calls }, () => new Float64Array(SMALL_KEYS)),
];

function groupsOf(count: number, filled: readonly unknown[]): PartialGroups {
  const [groupOf, keys, ...sums] = filled as [Int32Array, Float64Array, ...Float64Array[]];
  return {
    count,
    groupOf,
    keys,
    totals: sums.filter((_, k) => k % 2 === 0),
    seen: sums.filter((_, k) => k % 2 === 1),
  };
}

/**
 * The grouped loop over every row: on this thread, or in morsels on two threads
 * (kernels/morsels.ts) whose groups merge in morsel order, so the groups come in the order one
 * pass gives. Counts are the same; a DOUBLE sum is then the sum of the morsels' sums, which may
 * differ from the one-pass sum in the last bits (as any parallel engine's sums do), and is the
 * same whichever thread ran which morsel.
 */
async function groupedRun(
  compiled: CompiledLoop,
  graph: Graph,
  calls: number,
  length: number,
): Promise<PartialGroups | undefined> {
  const bounds = morselBounds(length, graph.nodes.length);
  if (!bounds) {
    const empty = emptyGroups(calls);
    const count = runLoop(compiled, 0, length, [...inputValues(graph), ...empty]);
    return count < 0 ? undefined : groupsOf(count, empty);
  }
  const inputs = inputValues(
    graph,
    graph.columns.map((column) => sharedArray(column.values)),
    graph.columns.map((column) => column.valid && sharedArray(column.valid)),
  );
  const runs = await runMorsels(compiled, bounds, inputs, emptyGroups(calls));
  if (runs.some(([, count]) => count < 0)) return undefined;
  const [first, ...rest] = runs.map(([, count, filled]) => groupsOf(count, filled));
  fusionStats.split++;
  for (const next of rest) {
    for (let g = 0; g < next.count; g++) {
      const key = next.keys[g]!;
      let into = first!.groupOf[key]!;
      if (into < 0) {
        into = first!.count++;
        first!.groupOf[key] = into;
        first!.keys[into] = key;
      }
      for (let c = 0; c < calls; c++) {
        first!.totals[c]![into]! += next.totals[c]![g]!;
        first!.seen[c]![into]! += next.seen[c]![g]!;
      }
    }
  }
  return first;
}
