/**
 * Where the rows of a MariaDB Spider table live. Spider keeps its connection parameters in the
 * table comment and in each partition's comment (`wrapper "mysql", srv "leaf1", table "t"`);
 * a `srv` names an entry of the head's `mysql.servers`. Reading each backing table directly on its
 * leaf skips the head, like the SingleStore connector's readFromLeaves.
 */

import { SluiceError } from '../base/errors.ts';
import type { DbEndpoint } from '../db/endpoint.ts';

/** Spider's parameter names and their abbreviations, mapped to one name each. */
const PARAMETER_ALIASES: Record<string, string> = {
  srv: 'server',
  server: 'server',
  tbl: 'table',
  table: 'table',
  database: 'database',
  db: 'database',
  host: 'host',
  port: 'port',
  user: 'user',
  username: 'user',
  password: 'password',
  pswd: 'password',
  wrapper: 'wrapper',
  wrap: 'wrapper',
};

/**
 * Parses a Spider comment: comma-separated `name "value"` (or `'value'`) pairs. Unknown
 * parameters are kept under their own name; values with several entries (Spider's HA lists,
 * space-separated) keep only the first.
 */
export function parseSpiderComment(comment: string): Record<string, string> {
  const parameters: Record<string, string> = {};
  const pattern = /\s*([A-Za-z_]+)\s+(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')\s*(?:,|$)/gy;
  let match: RegExpExecArray | null;
  // biome-ignore lint/suspicious/noAssignInExpressions: a sticky regex walks the comment pair by pair
  while ((match = pattern.exec(comment)) !== null) {
    const name = match[1]!.toLowerCase();
    const raw = (match[2] ?? match[3] ?? '').replace(/\\(.)/g, '$1');
    parameters[PARAMETER_ALIASES[name] ?? name] = raw.trim().split(/\s+/)[0] ?? '';
    if (pattern.lastIndex >= comment.length) break;
  }
  return parameters;
}

/** A row of the head's `mysql.servers`. */
export interface SpiderServer {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
}

/** Where one Spider partition's rows are: an endpoint and the backing table there. */
export interface SpiderTarget {
  readonly partition: string | null;
  readonly endpoint: DbEndpoint;
  readonly database: string;
  readonly table: string;
}

/**
 * Resolves a Spider table's partitions to leaf tables: partition comment over table comment
 * over the server entry over the head's own schema and table name.
 */
export function resolveSpiderTargets(
  head: DbEndpoint,
  schema: string,
  table: string,
  tableComment: string,
  partitions: readonly { readonly name: string | null; readonly comment: string }[],
  servers: readonly SpiderServer[],
): SpiderTarget[] {
  const tableParameters = parseSpiderComment(tableComment);
  const list = partitions.length > 0 ? partitions : [{ name: null, comment: '' }];
  return list.map((partition) => {
    const parameters = { ...tableParameters, ...parseSpiderComment(partition.comment) };
    const where =
      partition.name === null ? `Spider table '${table}'` : `partition ${partition.name} of '${table}'`;
    if (parameters.wrapper !== undefined && parameters.wrapper.toLowerCase() !== 'mysql') {
      throw new SluiceError(
        'CONFIG_INVALID',
        `${where} uses the Spider wrapper '${parameters.wrapper}'; only 'mysql' leaves can be read directly`,
      );
    }
    let server: SpiderServer | undefined;
    if (parameters.server !== undefined) {
      server = servers.find((entry) => entry.name === parameters.server);
      if (!server) {
        const known = servers.map((entry) => entry.name).join(', ') || 'none';
        throw new SluiceError(
          'CONFIG_INVALID',
          `${where} names server '${parameters.server}', which is not in the head's mysql.servers (known: ${known})`,
        );
      }
    }
    const host = parameters.host ?? server?.host;
    if (!host) {
      throw new SluiceError(
        'CONFIG_INVALID',
        `${where} names neither a server nor a host in its Spider comment`,
      );
    }
    const database = parameters.database || server?.database || schema;
    return {
      partition: partition.name,
      endpoint: {
        host,
        port: Number(parameters.port ?? server?.port ?? 3306),
        user: parameters.user ?? (server?.user || head.user),
        password: parameters.password ?? server?.password ?? head.password,
        database,
      },
      database,
      table: parameters.table || table,
    };
  });
}
