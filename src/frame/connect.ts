import { executeLocal } from '../local/index.ts';
import { type ConnectOptions, connectWith, type Database } from './database.ts';

/**
 * Connects to a MySQL-wire database: `await connect({ url: 'mysql://root@127.0.0.1:3306/db', dialect: 'mariadb' })`.
 * Steps that cannot run in the database (and everything, with `pushdown: false`) run locally on Arrow.
 */
export function connect(options: ConnectOptions | string): Promise<Database> {
  return connectWith(options, executeLocal);
}
