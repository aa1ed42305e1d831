/**
 * Which tables a source lets queries read. Patterns are `schema.table`, `schema.*` or `*`; the
 * default is every table of the source's own database. System schemas and sluice's own state
 * tables (`sluice_*`) are denied unless a pattern names them without a wildcard.
 */
export const SYSTEM_SCHEMAS: ReadonlySet<string> = new Set([
  'mysql',
  'information_schema',
  'performance_schema',
  'sys',
]);

export class TableAllowlist {
  readonly patterns: readonly string[];

  constructor(
    readonly defaultSchema: string,
    patterns?: readonly string[],
  ) {
    this.patterns = Object.freeze([...(patterns ?? [`${defaultSchema}.*`])]);
  }

  /** Undefined when the table may be read; otherwise why not. */
  denies(schema: string | null | undefined, table: string): string | undefined {
    const db = (schema ?? this.defaultSchema).toLowerCase();
    const name = table.toLowerCase();
    const exact = this.patterns.some((p) => {
      const [ps, pt] = p.toLowerCase().split('.');
      return ps === db && (pt === name || (pt === '*' && !name.startsWith('sluice_')));
    });
    const internal = SYSTEM_SCHEMAS.has(db) || name.startsWith('sluice_');
    if (internal && !exact) {
      return `${db}.${table} is ${SYSTEM_SCHEMAS.has(db) ? 'in a system schema' : "one of sluice's own state tables"}, which queries may not read unless the source's allow list names it`;
    }
    const allowed =
      exact ||
      this.patterns.some((p) => {
        if (p === '*') return true;
        const [ps, pt] = p.toLowerCase().split('.');
        return ps === db && (pt === '*' || pt === name);
      });
    return allowed
      ? undefined
      : `${db}.${table} is not in the source's allow list (${this.patterns.join(', ')})`;
  }
}
