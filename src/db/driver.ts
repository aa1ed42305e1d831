/**
 * The only module that imports mysql2. Everything else talks to a database through the small
 * `DbSession` shape below, so the driver can be swapped or wrapped in one place.
 */
import mysql from 'mysql2/promise';
import { DatabaseError } from '../errors.ts';
import type { DbEndpoint } from './endpoint.ts';

export type Row = Record<string, unknown>;

export interface DbSession {
  /** Runs one statement; values travel as parameters (`?`), never inside the SQL text. */
  query<T extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

export interface SessionOptions {
  /** Connect without selecting a schema (to create it, for instance). */
  withoutDatabase?: boolean;
  connectTimeoutMs?: number;
}

export async function openSession(endpoint: DbEndpoint, options: SessionOptions = {}): Promise<DbSession> {
  let connection: mysql.Connection;
  try {
    connection = await mysql.createConnection({
      host: endpoint.host,
      port: endpoint.port,
      user: endpoint.user,
      password: endpoint.password,
      database: options.withoutDatabase ? undefined : endpoint.database,
      connectTimeout: options.connectTimeoutMs ?? 10_000,
      supportBigNumbers: true,
      bigNumberStrings: true,
      dateStrings: true,
      charset: 'utf8mb4_general_ci',
    });
  } catch (cause) {
    throw new DatabaseError(`cannot connect to ${endpoint.host}:${endpoint.port} as ${endpoint.user}`, cause);
  }
  return {
    async query<T extends Row = Row>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
      try {
        const [rows] = await connection.query(sql, params as unknown[]);
        return (Array.isArray(rows) ? rows : [rows]) as T[];
      } catch (cause) {
        const message = (cause as Error).message;
        throw new DatabaseError(`query failed on ${endpoint.host}:${endpoint.port}: ${message}`, cause);
      }
    },
    async close(): Promise<void> {
      await connection.end().catch(() => connection.destroy());
    },
  };
}

/** Opens a session, runs `work`, and always closes the session. */
export async function withSession<T>(
  endpoint: DbEndpoint,
  work: (session: DbSession) => Promise<T>,
  options?: SessionOptions,
): Promise<T> {
  const session = await openSession(endpoint, options);
  try {
    return await work(session);
  } finally {
    await session.close();
  }
}

/** Quotes an identifier with backticks (dialect escaping, for DDL where parameters cannot go). */
export function quoteIdentifier(name: string): string {
  return mysql.escapeId(name);
}

/** Escapes a literal for DDL, where parameters are not accepted (e.g. CREATE SERVER OPTIONS). */
export function escapeLiteral(value: string | number): string {
  return mysql.escape(value);
}
