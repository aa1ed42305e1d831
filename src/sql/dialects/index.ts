import { ConfigError } from '../../base/errors.ts';
import {
  type Dialect,
  type DialectName,
  mariadbLimitStatement,
  mysqlFamilyDialect,
  mysqlLimitStatement,
} from '../dialect.ts';

/**
 * MariaDB 10.11: the reference dialect. Window costs measured on 1M rows (100 partitions, ROWS
 * frames of 30): each function is a pass over a temporary table of the sorted rows.
 */
export const mariadb: Dialect = mysqlFamilyDialect('mariadb', {
  limitStatement: mariadbLimitStatement,
  windowCost: { ranking: 1.0, offset: 2.5, aggregate: 2.3 },
});

/** MySQL 8.0: same rendering as MariaDB for everything sluice emits today. */
export const mysql: Dialect = mysqlFamilyDialect('mysql', { limitStatement: mysqlLimitStatement });

/** SingleStore: has FULL OUTER JOIN; its partition reads come with the reader. */
export const singlestore: Dialect = mysqlFamilyDialect('singlestore', { fullOuterJoin: true });

const DIALECTS: Record<DialectName, Dialect> = { mariadb, mysql, singlestore };

export function dialectNamed(name: string): Dialect {
  const dialect = DIALECTS[name as DialectName];
  if (!dialect) {
    throw new ConfigError(`unknown dialect '${name}'; valid dialects: ${Object.keys(DIALECTS).join(', ')}`);
  }
  return dialect;
}
