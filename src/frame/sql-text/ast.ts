/**
 * The parts of node-sql-parser's AST that SQL-text planning reads, and the signal that a
 * statement uses something the planner does not translate (it then runs as the text it is).
 */
import parserModule from 'node-sql-parser/build/mariadb.js';
import { rememberRecent } from '../../base/recent.ts';

/** node-sql-parser's AST is loosely typed JSON whose shapes vary by node; it is read defensively. */
// biome-ignore lint/suspicious/noExplicitAny: untyped parser output, checked field by field where read.
export type Ast = Record<string, any>;

/**
 * The statement is valid SQL (or may be) but uses a form the planner does not translate into plan
 * nodes. Never shown as an error: the statement falls back to an opaque `sqlText` node.
 */
export class NotTranslated extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'NotTranslated';
  }
}

export const notTranslated = (reason: string): never => {
  throw new NotTranslated(reason);
};

// The MariaDB-only build: a tenth of the size of the all-dialects bundle.
const parser = new parserModule.Parser();

/** How many texts' syntax trees are kept (the latest ones). */
const MAX_PARSED = 256;
const parsed = new Map<string, Ast | Ast[]>();

/**
 * The AST of `text` in the MariaDB grammar; throws the parser's error on text it cannot read.
 * The trees of the latest texts are kept, frozen (planning only reads them): a tree depends on
 * nothing but its text, and the parser takes milliseconds on a TPC-H query where planning the
 * tree takes less (a dashboard's or a service's repeated statement is parsed once).
 */
export function parseSql(text: string): Ast | Ast[] {
  let ast = parsed.get(text);
  if (ast === undefined) {
    ast = deepFreeze(parser.astify(text, { database: 'MariaDB' }) as Ast | Ast[]);
    rememberRecent(parsed, text, ast, MAX_PARSED);
  }
  return ast;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/** A function or aggregate name in upper case; undefined for qualified (`schema.fn`) names. */
export function functionName(node: Ast): string | undefined {
  if (typeof node.name === 'string') return node.name.toUpperCase();
  const parts = node.name?.name;
  if (!Array.isArray(parts) || parts.length !== 1 || typeof parts[0]?.value !== 'string') return undefined;
  return parts[0].value.toUpperCase();
}

/** The arguments of a `function` node. */
export function functionArgs(node: Ast): Ast[] {
  const args = node.args;
  if (args === null || args === undefined) return [];
  if (args.type === 'expr_list' && Array.isArray(args.value)) return args.value;
  return notTranslated('function arguments of an unknown shape');
}

/** A subquery appears as an object holding `ast` (in IN lists, EXISTS, scalar positions). */
export const isSubquery = (node: Ast): boolean =>
  node !== null && typeof node === 'object' && node.ast !== undefined && node.type === undefined;
