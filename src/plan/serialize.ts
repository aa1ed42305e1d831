/**
 * Plans as JSON, so a client can build a frame locally and send it (`LazyFrame.toJSON()` ─►
 * `db.fromPlan(json)`, `POST /v1/query {plan}`). Reading is a parse layer: every node and
 * expression is checked and rebuilt through the same factories the DataFrame verbs use, so a
 * plan from the wire is as well-formed as one built in-process, and anything else is a PlanError
 * naming the path of the bad part. Literals JSON cannot hold travel tagged: `{"$bigint": "…"}`,
 * `{"$date": "ISO"}`. JavaScript steps (filter/mapBatches with a function) and in-memory values
 * cannot travel.
 */
import { PlanError } from '../base/errors.ts';
import {
  AGGREGATE_FUNCTIONS,
  type AggregateFunction,
  type BinaryOp,
  CAST_TYPES,
  type CastType,
  type DecimalDigits,
  type Expr,
  type ExprKind,
  Exprs,
  type LiteralValue,
  type SortKey,
  type SubqueryMode,
  WINDOW_FUNCTIONS,
  type WindowFunction,
} from './expr.ts';
import { JOIN_TYPES, type JoinType, type PlanKind, type PlanNode, Plans, type ScanOptions } from './nodes.ts';

export const PLAN_FORMAT_VERSION = 1;

export interface PlanJson {
  readonly version: number;
  readonly plan: unknown;
}

/** The JSON form of a plan; throws a PlanError for steps that are JavaScript functions. */
export function planToJson(plan: PlanNode): PlanJson {
  return { version: PLAN_FORMAT_VERSION, plan: JSON.parse(JSON.stringify(plan, replacer)) };
}

function replacer(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const raw = this[key];
  if (typeof raw === 'bigint') return { $bigint: raw.toString() };
  if (raw instanceof Date) return { $date: raw.toISOString() };
  if (value && typeof value === 'object' && 'kind' in value) {
    const kind = (value as { kind: unknown }).kind;
    if (kind === 'jsFilter' || kind === 'mapBatches') {
      throw new PlanError(
        `a plan with a JavaScript step (${kind} '${(value as { label?: string }).label}') cannot be sent as JSON; run it locally`,
      );
    }
    if (kind === 'values') throw new PlanError('a plan over in-memory rows cannot be sent as JSON');
  }
  return value;
}

/** What the reader does with each table a plan names. */
export interface PlanBinding {
  /** The connection id every scan and SQL text of the plan is bound to. */
  readonly source: string;
  /** Connection ids for the plan's own source ids (a plan over several connections); others get `source`. */
  readonly sources?: ReadonlyMap<string, string>;
}

/**
 * Rebuilds a plan from its JSON form, bound to `binding.source`. Scans and SQL texts lose the
 * columns the client saw: the server's catalog fills them in, so the types are the server's.
 */
export function planFromJson(json: unknown, binding: PlanBinding): PlanNode {
  const doc = object(json, '$');
  if (doc.version !== PLAN_FORMAT_VERSION) {
    throw new PlanError(
      `plan format version ${JSON.stringify(doc.version)} is not supported; expected ${PLAN_FORMAT_VERSION}`,
    );
  }
  return new Reader(binding).plan(doc.plan, '$.plan', 0);
}

const MAX_DEPTH = 200;
type Obj = Record<string, unknown>;

function fail(path: string, message: string): never {
  throw new PlanError(`plan JSON at ${path}: ${message}`, { path });
}

function object(value: unknown, path: string): Obj {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(path, 'expected an object');
  return value as Obj;
}

function string(value: unknown, path: string): string {
  if (typeof value !== 'string') fail(path, 'expected a string');
  return value;
}

function boolean(value: unknown, path: string): boolean {
  if (typeof value !== 'boolean') fail(path, 'expected true or false');
  return value;
}

function integer(value: unknown, path: string, min = 0): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min)
    fail(path, `expected an integer >= ${min}`);
  return value;
}

function optionalInteger(value: unknown, path: string, min = 0): number | undefined {
  return value === undefined || value === null ? undefined : integer(value, path, min);
}

function array(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) fail(path, 'expected an array');
  return value;
}

function oneOf<T extends string>(value: unknown, valid: readonly T[], path: string): T {
  if (typeof value !== 'string' || !(valid as readonly string[]).includes(value))
    fail(path, `expected one of ${valid.join(', ')}`);
  return value as T;
}

/** DECIMAL(precision, scale) as MariaDB allows it: precision 1 to 65, scale 0 to 38 and at most the precision. */
function decimalDigits(value: unknown, path: string): DecimalDigits {
  const digits = object(value, path);
  const precision = integer(digits.precision, `${path}.precision`, 1);
  const scale = integer(digits.scale, `${path}.scale`);
  if (precision > 65 || scale > 38 || scale > precision)
    fail(path, 'expected DECIMAL digits with precision 1-65 and scale 0-38, at most the precision');
  return { precision, scale };
}

const SUBQUERY_MODES: readonly SubqueryMode[] = ['exists', 'in', 'scalar'];

const BINARY_OPS: readonly BinaryOp[] = [
  '=',
  '!=',
  '<',
  '<=',
  '>',
  '>=',
  '+',
  '-',
  '*',
  '/',
  '%',
  'and',
  'or',
];

class Reader {
  constructor(private readonly binding: PlanBinding) {}

  private sourceOf(node: Obj): string {
    return (typeof node.source === 'string' && this.binding.sources?.get(node.source)) || this.binding.source;
  }

  private readonly planReaders: Record<PlanKind, (node: Obj, path: string, depth: number) => PlanNode> = {
    scan: (n, p) =>
      Plans.scan(
        this.sourceOf(n),
        string(n.table, `${p}.table`),
        [],
        this.scanOptions(n.options, `${p}.options`),
      ),
    sqlText: (n, p) =>
      Plans.sqlText(
        this.sourceOf(n),
        string(n.sql, `${p}.sql`),
        [],
        this.scanOptions(n.options, `${p}.options`),
        n.reason === undefined ? undefined : string(n.reason, `${p}.reason`),
      ),
    values: (_n, p) => fail(p, 'in-memory rows cannot be sent as JSON'),
    jsFilter: (_n, p) => fail(p, 'JavaScript steps cannot be sent as JSON'),
    mapBatches: (_n, p) => fail(p, 'JavaScript steps cannot be sent as JSON'),
    filter: (n, p, d) => Plans.filter(this.input(n, p, d), this.expr(n.predicate, `${p}.predicate`, d)),
    project: (n, p, d) => Plans.project(this.input(n, p, d), this.exprs(n.exprs, `${p}.exprs`, d)),
    aggregate: (n, p, d) =>
      Plans.aggregate(
        this.input(n, p, d),
        this.exprs(n.groupBy, `${p}.groupBy`, d),
        this.exprs(n.aggregates, `${p}.aggregates`, d),
      ),
    window: (n, p, d) => Plans.window(this.input(n, p, d), this.exprs(n.exprs, `${p}.exprs`, d)),
    sort: (n, p, d) => Plans.sort(this.input(n, p, d), this.sortKeys(n.keys, `${p}.keys`, d)),
    limit: (n, p, d) =>
      Plans.limit(
        this.input(n, p, d),
        optionalInteger(n.limit, `${p}.limit`),
        integer(n.offset ?? 0, `${p}.offset`),
      ),
    distinct: (n, p, d) => Plans.distinct(this.input(n, p, d)),
    join: (n, p, d) =>
      Plans.join(
        this.plan(n.left, `${p}.left`, d + 1),
        this.plan(n.right, `${p}.right`, d + 1),
        oneOf<JoinType>(n.type, JOIN_TYPES, `${p}.type`),
        array(n.using ?? [], `${p}.using`).map((name, i) => string(name, `${p}.using[${i}]`)),
        n.on === undefined || n.on === null ? undefined : this.expr(n.on, `${p}.on`, d),
      ),
    union: (n, p, d) =>
      Plans.union(
        this.plan(n.left, `${p}.left`, d + 1),
        this.plan(n.right, `${p}.right`, d + 1),
        boolean(n.all, `${p}.all`),
      ),
  };

  private readonly exprReaders: Record<ExprKind, (e: Obj, path: string, depth: number) => Expr> = {
    column: (e, p) => Exprs.column(string(e.name, `${p}.name`)),
    outer: (e, p) => Exprs.outer(string(e.name, `${p}.name`)),
    subquery: (e, p, d) =>
      Exprs.subquery(
        oneOf<SubqueryMode>(e.mode, SUBQUERY_MODES, `${p}.mode`),
        this.plan(e.plan, `${p}.plan`, d + 1),
        array(e.correlated ?? [], `${p}.correlated`).map((name, i) => string(name, `${p}.correlated[${i}]`)),
        e.operand === undefined || e.operand === null ? undefined : this.expr(e.operand, `${p}.operand`, d),
        boolean(e.negated ?? false, `${p}.negated`),
      ),
    literal: (e, p) => Exprs.literal(literal(e.value, `${p}.value`)),
    binary: (e, p, d) =>
      Exprs.binary(
        oneOf(e.op, BINARY_OPS, `${p}.op`),
        this.expr(e.left, `${p}.left`, d),
        this.expr(e.right, `${p}.right`, d),
      ),
    not: (e, p, d) => Exprs.not(this.expr(e.operand, `${p}.operand`, d)),
    negate: (e, p, d) => Exprs.negate(this.expr(e.operand, `${p}.operand`, d)),
    isNull: (e, p, d) =>
      Exprs.isNull(this.expr(e.operand, `${p}.operand`, d), boolean(e.negated ?? false, `${p}.negated`)),
    in: (e, p, d) =>
      Exprs.in(
        this.expr(e.operand, `${p}.operand`, d),
        this.exprs(e.list, `${p}.list`, d),
        boolean(e.negated ?? false, `${p}.negated`),
      ),
    between: (e, p, d) =>
      Exprs.between(
        this.expr(e.operand, `${p}.operand`, d),
        this.expr(e.low, `${p}.low`, d),
        this.expr(e.high, `${p}.high`, d),
        boolean(e.negated ?? false, `${p}.negated`),
      ),
    like: (e, p, d) =>
      Exprs.like(
        this.expr(e.operand, `${p}.operand`, d),
        this.expr(e.pattern, `${p}.pattern`, d),
        boolean(e.negated ?? false, `${p}.negated`),
      ),
    cast: (e, p, d) =>
      Exprs.cast(
        this.expr(e.operand, `${p}.operand`, d),
        oneOf<CastType>(e.to, CAST_TYPES, `${p}.to`),
        e.digits === undefined ? undefined : decimalDigits(e.digits, `${p}.digits`),
      ),
    case: (e, p, d) =>
      Exprs.case(
        array(e.branches, `${p}.branches`).map((branch, i) => {
          const b = object(branch, `${p}.branches[${i}]`);
          return {
            when: this.expr(b.when, `${p}.branches[${i}].when`, d),
            result: this.expr(b.result, `${p}.branches[${i}].result`, d),
          };
        }),
        e.otherwise === undefined || e.otherwise === null
          ? undefined
          : this.expr(e.otherwise, `${p}.otherwise`, d),
      ),
    call: (e, p, d) => Exprs.call(string(e.name, `${p}.name`), this.exprs(e.args, `${p}.args`, d)),
    aggregate: (e, p, d) =>
      Exprs.aggregate(
        oneOf<AggregateFunction>(e.fn, AGGREGATE_FUNCTIONS, `${p}.fn`),
        e.arg === undefined || e.arg === null ? undefined : this.expr(e.arg, `${p}.arg`, d),
      ),
    window: (e, p, d) => {
      const frame = e.frame === undefined || e.frame === null ? undefined : object(e.frame, `${p}.frame`);
      return Exprs.window(
        oneOf<WindowFunction | AggregateFunction>(
          e.fn,
          [...WINDOW_FUNCTIONS, ...AGGREGATE_FUNCTIONS],
          `${p}.fn`,
        ),
        this.exprs(e.args ?? [], `${p}.args`, d),
        this.exprs(e.partitionBy ?? [], `${p}.partitionBy`, d),
        this.sortKeys(e.orderBy ?? [], `${p}.orderBy`, d),
        frame && {
          start:
            frame.start === undefined || frame.start === null
              ? undefined
              : finiteInteger(frame.start, `${p}.frame.start`),
          end:
            frame.end === undefined || frame.end === null
              ? undefined
              : finiteInteger(frame.end, `${p}.frame.end`),
        },
      );
    },
    alias: (e, p, d) => Exprs.alias(this.expr(e.expr, `${p}.expr`, d), string(e.name, `${p}.name`)),
  };

  plan(value: unknown, path: string, depth: number): PlanNode {
    if (depth > MAX_DEPTH) fail(path, `nested deeper than ${MAX_DEPTH}`);
    const node = object(value, path);
    const kind = node.kind;
    if (typeof kind !== 'string' || !Object.hasOwn(this.planReaders, kind))
      fail(`${path}.kind`, `expected a plan node kind (${Object.keys(this.planReaders).join(', ')})`);
    return this.planReaders[kind as PlanKind](node, path, depth);
  }

  private input(node: Obj, path: string, depth: number): PlanNode {
    return this.plan(node.input, `${path}.input`, depth + 1);
  }

  expr(value: unknown, path: string, depth: number): Expr {
    if (depth > MAX_DEPTH) fail(path, `nested deeper than ${MAX_DEPTH}`);
    const e = object(value, path);
    const kind = e.kind;
    if (typeof kind !== 'string' || !Object.hasOwn(this.exprReaders, kind))
      fail(`${path}.kind`, `expected an expression kind (${Object.keys(this.exprReaders).join(', ')})`);
    return this.exprReaders[kind as ExprKind](e, path, depth + 1);
  }

  private exprs(value: unknown, path: string, depth: number): Expr[] {
    return array(value, path).map((item, i) => this.expr(item, `${path}[${i}]`, depth));
  }

  private sortKeys(value: unknown, path: string, depth: number): SortKey[] {
    return array(value, path).map((item, i) => {
      const key = object(item, `${path}[${i}]`);
      const descending = boolean(key.descending ?? false, `${path}[${i}].descending`);
      return Exprs.sortKey(
        this.expr(key.expr, `${path}[${i}].expr`, depth),
        descending,
        boolean(key.nullsFirst ?? !descending, `${path}[${i}].nullsFirst`),
      );
    });
  }

  private scanOptions(value: unknown, path: string): ScanOptions {
    const options = value === undefined ? {} : object(value, path);
    const pushdown = options.pushdown ?? true;
    if (pushdown !== 'always' && typeof pushdown !== 'boolean')
      fail(`${path}.pushdown`, "expected true, false or 'always'");
    const parallelism = optionalInteger(options.parallelism, `${path}.parallelism`, 1);
    let partitioning: ScanOptions['partitioning'];
    if (options.partitioning === 'auto' || options.partitioning === 'none')
      partitioning = options.partitioning;
    else if (options.partitioning !== undefined) {
      const p = object(options.partitioning, `${path}.partitioning`);
      partitioning = {
        column: string(p.column, `${path}.partitioning.column`),
        count: integer(p.count, `${path}.partitioning.count`, 1),
        ...(p.lower === undefined ? {} : { lower: finiteNumber(p.lower, `${path}.partitioning.lower`) }),
        ...(p.upper === undefined ? {} : { upper: finiteNumber(p.upper, `${path}.partitioning.upper`) }),
      };
    }
    return {
      pushdown,
      ...(partitioning === undefined ? {} : { partitioning }),
      ...(parallelism === undefined ? {} : { parallelism }),
    };
  }
}

function finiteNumber(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(path, 'expected a finite number');
  return value;
}

function finiteInteger(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) fail(path, 'expected an integer');
  return value;
}

function literal(value: unknown, path: string): LiteralValue {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') return finiteNumber(value, path);
  const tagged = object(value, path);
  if (typeof tagged.$bigint === 'string' && /^-?\d{1,40}$/.test(tagged.$bigint))
    return BigInt(tagged.$bigint);
  if (typeof tagged.$date === 'string') {
    const date = new Date(tagged.$date);
    if (!Number.isNaN(date.getTime())) return date;
  }
  return fail(
    path,
    'expected null, a boolean, a number, a string, {"$bigint": "digits"} or {"$date": "ISO time"}',
  );
}
