import { PlanError } from '../errors.ts';
import { type ConnectOptions, connectWith, type Database } from './database.ts';
import type { LocalExecutor } from './runtime.ts';

/** Until src/local lands, plans that need local steps say so. */
const localExecutor: LocalExecutor = async () => {
  throw new PlanError('this plan needs local execution, which is not available yet');
};

/**
 * Connects to a MySQL-wire database: `await connect({ url: 'mysql://root@127.0.0.1:3306/db', dialect: 'mariadb' })`.
 */
export function connect(options: ConnectOptions | string): Promise<Database> {
  return connectWith(options, localExecutor);
}
