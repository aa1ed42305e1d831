/**
 * The first of three read-only layers: the text must be one SELECT that node-sql-parser reads,
 * writing nowhere (no INTO OUTFILE/DUMPFILE/variables), taking no locks (FOR UPDATE, LOCK IN SHARE
 * MODE), calling no function that reaches outside the query (LOAD_FILE, BENCHMARK, GET_LOCK, …),
 * and reading only tables the source allows. The database enforces the other two layers on every
 * statement (`tx_read_only` for the statement, see `Dialect.limitStatement`) and through the
 * account the source logs in with.
 */
import parserModule from 'node-sql-parser/build/mariadb.js';
import { RequestError } from '../base/errors.ts';
import { rememberRecent } from '../base/recent.ts';
import type { TableAllowlist } from './allowlist.ts';

const parser = new parserModule.Parser();

/** Functions with effects outside the statement, or that read the server's files or state. */
const DENIED_FUNCTIONS = new Set([
  'LOAD_FILE',
  'BENCHMARK',
  'GET_LOCK',
  'RELEASE_LOCK',
  'RELEASE_ALL_LOCKS',
  'IS_FREE_LOCK',
  'IS_USED_LOCK',
  'MASTER_POS_WAIT',
  'MASTER_GTID_WAIT',
  'SYS_EXEC',
  'SYS_EVAL',
  'NEXTVAL',
  'SETVAL',
  'LASTVAL',
]);

type Node = Record<string, unknown>;

const reject = (message: string, context: Record<string, unknown> = {}): never => {
  throw new RequestError('NOT_READ_ONLY', message, context);
};

/** A table a statement reads: in the request's source, or in another source it names. */
export interface TableRead {
  /** Another source's name, for a table written `source.table`. */
  readonly source?: string;
  readonly schema: string;
  readonly table: string;
}

/**
 * Throws a RequestError naming why `sql` may not run; returns the tables it reads. A qualifier
 * that is the name of one of `others` (other sources) means that source's table, checked
 * against that source's allowlist.
 */
export function checkReadOnly(
  sql: string,
  allowlist: TableAllowlist,
  others: ReadonlyMap<string, TableAllowlist> = new Map(),
): TableRead[] {
  const text = sql.trim().replace(/;\s*$/, '');
  let ast: unknown;
  let tables: string[];
  try {
    ast = parser.astify(text, { database: 'MariaDB' });
    tables = parser.tableList(text, { database: 'MariaDB' });
  } catch (error) {
    throw new RequestError(
      'SQL_UNREADABLE',
      `the SQL text cannot be parsed, so it cannot be checked to be a read: ${String((error as Error).message).slice(0, 300)}`,
    );
  }
  const statements = Array.isArray(ast) ? ast : [ast];
  if (statements.length !== 1) reject(`one statement per query; this text has ${statements.length}`);
  const statement = statements[0] as Node;
  if (statement?.type !== 'select')
    reject(`only SELECT is allowed; this statement is ${String(statement?.type).toUpperCase()}`);
  walk(statement, 0);
  const read: TableRead[] = [];
  for (const entry of tables) {
    const [kind, db, table = ''] = entry.split('::');
    if (kind !== 'select')
      reject(`only reads are allowed; this statement does ${kind?.toUpperCase()} on ${table}`);
    const other = db && db !== 'null' ? others.get(db) : undefined;
    const list = other ?? allowlist;
    const schema = other || db === 'null' ? null : db!;
    const why = list.denies(schema, table);
    if (why)
      throw new RequestError('FORBIDDEN', why, {
        table: `${other ? `${db}:` : ''}${schema ?? list.defaultSchema}.${table}`,
      });
    read.push({ ...(other ? { source: db } : {}), schema: schema ?? list.defaultSchema, table });
  }
  return read;
}

const MAX_CHECKED = 1000;
const checked = new WeakMap<TableAllowlist, Map<string, TableRead[]>>();

/**
 * `checkReadOnly`, remembering texts that passed (per allowlist), so repeated text is parsed
 * once. `others` must be the same for one allowlist (a server's other sources).
 */
export function checkReadOnlyCached(
  sql: string,
  allowlist: TableAllowlist,
  others: ReadonlyMap<string, TableAllowlist> = new Map(),
): TableRead[] {
  const passed = checked.get(allowlist) ?? new Map<string, TableRead[]>();
  checked.set(allowlist, passed);
  const known = passed.get(sql);
  if (known) return known;
  const tables = checkReadOnly(sql, allowlist, others);
  rememberRecent(passed, sql, tables, MAX_CHECKED);
  return tables;
}

function walk(node: unknown, depth: number): void {
  if (depth > 500) reject('the statement is nested too deeply to check');
  if (Array.isArray(node)) {
    for (const item of node) walk(item, depth + 1);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const n = node as Node;
  if (n.type === 'select' || n.ast !== undefined) {
    const into = n.into as Node | undefined;
    if (into && into.position !== null && into.position !== undefined) {
      reject(
        `SELECT … INTO ${String(into.keyword ?? '').toUpperCase() || 'a variable'} writes outside the query and is not allowed`,
      );
    }
    if (n.locking_read) reject('locking reads (FOR UPDATE, LOCK IN SHARE MODE) are not allowed');
  } else if (
    n.type &&
    n.type !== 'select' &&
    typeof n.type === 'string' &&
    ['insert', 'update', 'delete', 'replace', 'create', 'drop', 'alter', 'set'].includes(n.type)
  ) {
    reject(`only SELECT is allowed; found ${n.type.toUpperCase()}`);
  }
  if (n.type === 'function' || n.type === 'aggr_func') {
    const name = functionName(n);
    if (name && DENIED_FUNCTIONS.has(name))
      reject(`the function ${name} is not allowed in queries`, { function: name });
  }
  if (n.type === 'assign') reject('assigning variables is not allowed');
  for (const value of Object.values(n))
    if (value !== null && typeof value === 'object') walk(value, depth + 1);
}

function functionName(node: Node): string | undefined {
  const name = node.name as unknown;
  if (typeof name === 'string') return name.toUpperCase();
  const parts = (name as { name?: { value?: unknown }[] } | undefined)?.name;
  if (Array.isArray(parts))
    return parts
      .map((p) => String(p?.value ?? ''))
      .join('.')
      .toUpperCase();
  return undefined;
}
