import { col, type Database } from '../../../src/index.ts';

/**
 * Whether this build can run plan steps locally (src/local). Until it can, sluice says so with a
 * PlanError, and the suites skip the runs that need it instead of failing them.
 */
export async function localExecutionAvailable(db: Database, table: string, column: string): Promise<boolean> {
  try {
    // A scan with pushdown off is still read with SQL; a filter over it is a local step.
    await db.table(table, { pushdown: false }).filter(col(column).isNotNull()).limit(1).collect();
    return true;
  } catch (error) {
    if (/not available yet/.test((error as Error).message)) return false;
    throw error;
  }
}
