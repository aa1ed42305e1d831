/**
 * Logical plan nodes: plain, frozen data with a `kind`. A DataFrame verb makes a new node over
 * its input; the optimizer rewrites trees into new trees; nothing here knows SQL or Arrow.
 */
import type { Expr, SortKey } from './expr.ts';

/** A column of a plan's output: its name and, when known, the database's type for it. */
export interface Field {
  readonly name: string;
  /** The MySQL column type as information_schema spells it (`decimal(15,2)`, `int unsigned`), if known. */
  readonly sqlType?: string;
}

/** Options a scan carries down to the reader. */
export interface ScanOptions {
  /**
   * true: each step runs where it is estimated cheaper (in the database unless the database is
   * known to be slow at it, see optimizer/pushdown/window.ts); 'always': every step the database
   * can run is pushed (as a pushdown-only connector does); false: every step runs locally over
   * the whole table (the baseline mode).
   */
  readonly pushdown: boolean | 'always';
  readonly partitioning?: 'auto' | 'none' | { column: string; lower?: number; upper?: number; count: number };
  readonly parallelism?: number;
}

/** A table of one database connection (`source` names the connection, see `Database.id`). */
export interface ScanNode {
  readonly kind: 'scan';
  readonly source: string;
  readonly table: string;
  readonly fields: readonly Field[];
  readonly options: ScanOptions;
}

/** SQL text the parser could not turn into plan nodes: pushed as a derived table, as it is. */
export interface SqlTextNode {
  readonly kind: 'sqlText';
  readonly source: string;
  readonly sql: string;
  readonly fields: readonly Field[];
  readonly options: ScanOptions;
  /** Why the text is opaque (what the SQL planner did not translate), shown by explain. */
  readonly reason?: string;
}

/** Rows already on this side: an Arrow table given by the caller or computed earlier. */
export interface ValuesNode {
  readonly kind: 'values';
  readonly id: string;
  readonly fields: readonly Field[];
  /**
   * Where the rows come from when they are not a pushed query's result: a frame's `cache()`, or
   * an Arrow table the program gave (`db.fromArrow`).
   */
  readonly origin?: 'cache' | 'arrow';
}

export interface FilterNode {
  readonly kind: 'filter';
  readonly input: PlanNode;
  readonly predicate: Expr;
}

/** A JavaScript predicate over row objects: never pushed, runs locally. */
export interface JsFilterNode {
  readonly kind: 'jsFilter';
  readonly input: PlanNode;
  readonly predicate: (row: Record<string, unknown>) => boolean;
  readonly label: string;
}

/** The output columns, each a column or an aliased expression, in order. */
export interface ProjectNode {
  readonly kind: 'project';
  readonly input: PlanNode;
  readonly exprs: readonly Expr[];
}

/** GROUP BY `groupBy` (columns or aliased expressions) computing aliased aggregate expressions. */
export interface AggregateNode {
  readonly kind: 'aggregate';
  readonly input: PlanNode;
  readonly groupBy: readonly Expr[];
  readonly aggregates: readonly Expr[];
}

/** Appends aliased window expressions to every input row. */
export interface WindowNode {
  readonly kind: 'window';
  readonly input: PlanNode;
  readonly exprs: readonly Expr[];
}

export interface SortNode {
  readonly kind: 'sort';
  readonly input: PlanNode;
  readonly keys: readonly SortKey[];
}

export interface LimitNode {
  readonly kind: 'limit';
  readonly input: PlanNode;
  /** Undefined: no limit, only an offset. */
  readonly limit: number | undefined;
  readonly offset: number;
}

export interface DistinctNode {
  readonly kind: 'distinct';
  readonly input: PlanNode;
}

export const JOIN_TYPES = ['inner', 'left', 'right', 'full', 'semi', 'anti', 'cross'] as const;
export type JoinType = (typeof JOIN_TYPES)[number];

/**
 * A join on equal column names (`using`, each key once in the output, as Spark's
 * `join(other, 'id')`) or on an expression over the two sides' (distinct) column names.
 */
export interface JoinNode {
  readonly kind: 'join';
  readonly left: PlanNode;
  readonly right: PlanNode;
  readonly type: JoinType;
  readonly using: readonly string[];
  readonly on: Expr | undefined;
}

export interface UnionNode {
  readonly kind: 'union';
  readonly left: PlanNode;
  readonly right: PlanNode;
  /** UNION ALL keeps duplicates; UNION removes them. */
  readonly all: boolean;
}

/** A JavaScript function over Arrow record batches: never pushed, runs locally. */
export interface MapBatchesNode {
  readonly kind: 'mapBatches';
  readonly input: PlanNode;
  readonly fn: MapBatchesFn;
  readonly label: string;
}

/** Takes an Arrow table of the input and returns the new table (or plain row objects). */
// biome-ignore lint/suspicious/noExplicitAny: Arrow's Table generic is the caller's business.
export type MapBatchesFn = (batch: any) => any;

export type PlanNode =
  | ScanNode
  | SqlTextNode
  | ValuesNode
  | FilterNode
  | JsFilterNode
  | ProjectNode
  | AggregateNode
  | WindowNode
  | SortNode
  | LimitNode
  | DistinctNode
  | JoinNode
  | UnionNode
  | MapBatchesNode;

export type PlanKind = PlanNode['kind'];
export type LeafNode = ScanNode | SqlTextNode | ValuesNode;

const freezeList = <T>(items: readonly T[]): readonly T[] => Object.freeze([...items]);

/** Node factories: the only way nodes are made, so every node is frozen. */
export const Plans = {
  scan: (source: string, table: string, fields: readonly Field[], options: ScanOptions): ScanNode =>
    Object.freeze({
      kind: 'scan',
      source,
      table,
      fields: freezeList(fields),
      options: Object.freeze({ ...options }),
    }),
  sqlText: (
    source: string,
    sql: string,
    fields: readonly Field[],
    options: ScanOptions,
    reason?: string,
  ): SqlTextNode =>
    Object.freeze({
      kind: 'sqlText',
      source,
      sql,
      fields: freezeList(fields),
      options: Object.freeze({ ...options }),
      ...(reason === undefined ? {} : { reason }),
    }),
  values: (id: string, fields: readonly Field[], origin?: 'cache' | 'arrow'): ValuesNode =>
    Object.freeze({
      kind: 'values',
      id,
      fields: freezeList(fields),
      ...(origin === undefined ? {} : { origin }),
    }),
  filter: (input: PlanNode, predicate: Expr): FilterNode =>
    Object.freeze({ kind: 'filter', input, predicate }),
  jsFilter: (input: PlanNode, predicate: JsFilterNode['predicate'], label: string): JsFilterNode =>
    Object.freeze({ kind: 'jsFilter', input, predicate, label }),
  project: (input: PlanNode, exprs: readonly Expr[]): ProjectNode =>
    Object.freeze({ kind: 'project', input, exprs: freezeList(exprs) }),
  aggregate: (input: PlanNode, groupBy: readonly Expr[], aggregates: readonly Expr[]): AggregateNode =>
    Object.freeze({
      kind: 'aggregate',
      input,
      groupBy: freezeList(groupBy),
      aggregates: freezeList(aggregates),
    }),
  window: (input: PlanNode, exprs: readonly Expr[]): WindowNode =>
    Object.freeze({ kind: 'window', input, exprs: freezeList(exprs) }),
  sort: (input: PlanNode, keys: readonly SortKey[]): SortNode =>
    Object.freeze({ kind: 'sort', input, keys: freezeList(keys) }),
  limit: (input: PlanNode, limit: number | undefined, offset = 0): LimitNode =>
    Object.freeze({ kind: 'limit', input, limit, offset }),
  distinct: (input: PlanNode): DistinctNode => Object.freeze({ kind: 'distinct', input }),
  join: (left: PlanNode, right: PlanNode, type: JoinType, using: readonly string[], on?: Expr): JoinNode =>
    Object.freeze({ kind: 'join', left, right, type, using: freezeList(using), on }),
  union: (left: PlanNode, right: PlanNode, all: boolean): UnionNode =>
    Object.freeze({ kind: 'union', left, right, all }),
  mapBatches: (input: PlanNode, fn: MapBatchesFn, label: string): MapBatchesNode =>
    Object.freeze({ kind: 'mapBatches', input, fn, label }),
};

/** The node's inputs, left to right. */
export function planInputs(node: PlanNode): readonly PlanNode[] {
  switch (node.kind) {
    case 'scan':
    case 'sqlText':
    case 'values':
      return [];
    case 'join':
    case 'union':
      return [node.left, node.right];
    default:
      return [node.input];
  }
}

/** The same node over new inputs (a copy; the node itself never changes). */
export function withInputs(node: PlanNode, inputs: readonly PlanNode[]): PlanNode {
  switch (node.kind) {
    case 'scan':
    case 'sqlText':
    case 'values':
      return node;
    case 'join':
    case 'union':
      return Object.freeze({ ...node, left: inputs[0]!, right: inputs[1]! });
    default:
      return Object.freeze({ ...node, input: inputs[0]! });
  }
}

/** Rewrites a tree bottom-up: `rewrite` sees each node with its inputs already rewritten. */
export function transformUp(node: PlanNode, rewrite: (node: PlanNode) => PlanNode): PlanNode {
  const inputs = planInputs(node);
  const newInputs = inputs.map((input) => transformUp(input, rewrite));
  const rebuilt = newInputs.every((input, index) => input === inputs[index])
    ? node
    : withInputs(node, newInputs);
  return rewrite(rebuilt);
}

/** Every leaf of a tree, left to right. */
export function planLeaves(node: PlanNode): LeafNode[] {
  if (node.kind === 'scan' || node.kind === 'sqlText' || node.kind === 'values') return [node];
  return planInputs(node).flatMap(planLeaves);
}
