import { LazyFrame } from '../../../src/frame/lazy-frame.ts';
import { FrameRuntime, type Source } from '../../../src/frame/runtime.ts';
import { type Field, Plans } from '../../../src/plan/nodes.ts';
import type { Dialect } from '../../../src/sql/dialect.ts';
import { mariadb } from '../../../src/sql/dialects/index.ts';

/**
 * A catalog-only source for plan and SQL text tests: it knows tables and columns and compiles,
 * but cannot run anything (tests that run queries use the real stack).
 */
export function fakeDatabase(
  tables: Record<string, string[]>,
  options: { id?: string; dialect?: Dialect } = {},
): { table(name: string, opts?: { pushdown?: boolean | 'always' }): LazyFrame } {
  const id = options.id ?? 'db1';
  const source: Source = {
    id,
    dialect: options.dialect ?? mariadb,
    label: `fake://${id}`,
    fieldsOf: (table) => tables[table]?.map((name): Field => ({ name })),
    tableNames: () => Object.keys(tables),
    refresh: async () => undefined,
    queryFields: async () => [],
    knownQueryFields: () => undefined,
    readArrow: () => {
      throw new Error('the fake source cannot run queries');
    },
  };
  const runtime = new FrameRuntime(new Map([[id, source]]), async () => {
    throw new Error('no local execution in plan tests');
  });
  return {
    table: (name, opts = {}) =>
      new LazyFrame(
        Plans.scan(id, name, source.fieldsOf(name) ?? [], { pushdown: opts.pushdown ?? true }),
        runtime,
      ),
  };
}

/** The pushed SQL statements of an explain() text. */
export function pushedSql(explain: string): string[] {
  const lines = explain.split('\n');
  const sql: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (/^q\d+ on /.test(lines[i]!)) sql.push(lines[i + 1]!.trim());
  }
  return sql;
}

export function localSteps(explain: string): string {
  return explain.split('== Local steps ==\n')[1]!.split('\nwhy local:')[0]!;
}
