/**
 * The server's named sources: one `Database` per name, connected on first use and kept (its
 * catalog is read once; a table made later is found by the runtime's refresh). Only what is safe
 * to show leaves this module: URLs without passwords.
 */

import { RequestError } from '../base/errors.ts';
import { withSession } from '../db/driver.ts';
import { type DbEndpoint, endpointUrl, parseDbUrl } from '../db/endpoint.ts';
import { connect } from '../frame/connect.ts';
import type { Database } from '../frame/database.ts';
import { TableAllowlist } from './allowlist.ts';
import type { SourceConfig } from './config.ts';

export interface SourceInfo {
  readonly name: string;
  readonly url: string;
  readonly dialect: string;
  readonly allow: readonly string[];
}

export interface SourceHealth extends SourceInfo {
  readonly ok: boolean;
  readonly latencyMs: number;
  readonly error?: string;
}

interface Entry {
  readonly name: string;
  readonly config: SourceConfig;
  readonly endpoint: DbEndpoint;
  readonly allowlist: TableAllowlist;
  db?: Promise<Database>;
}

export class SourceRegistry {
  private readonly entries = new Map<string, Entry>();
  private readonly others = new Map<string, ReadonlyMap<string, TableAllowlist>>();

  /** `idleConnections`: pooled connections kept per source, as many as the server runs queries at once. */
  constructor(
    sources: Readonly<Record<string, SourceConfig>>,
    private readonly idleConnections = 32,
  ) {
    for (const [name, config] of Object.entries(sources)) {
      const endpoint = parseDbUrl(config.url, `source '${name}' url`);
      this.entries.set(name, {
        name,
        config,
        endpoint,
        allowlist: new TableAllowlist(endpoint.database, config.allow),
      });
    }
  }

  get names(): string[] {
    return [...this.entries.keys()];
  }

  private entry(name: string | undefined): Entry & { readonly name: string } {
    const chosen = name ?? (this.entries.size === 1 ? this.names[0] : undefined);
    if (chosen === undefined) {
      throw new RequestError(
        'SOURCE_NOT_FOUND',
        `name a source; sources: ${this.names.join(', ') || '(none)'}`,
        {
          sources: this.names,
        },
      );
    }
    const entry = this.entries.get(chosen);
    if (!entry) {
      throw new RequestError(
        'SOURCE_NOT_FOUND',
        `no source '${chosen}'; sources: ${this.names.join(', ') || '(none)'}`,
        {
          sources: this.names,
        },
      );
    }
    return entry;
  }

  /** The source's connection (made once; a failed connect is tried again on the next call). */
  async database(
    name: string | undefined,
  ): Promise<{ name: string; db: Database; allowlist: TableAllowlist }> {
    const entry = this.entry(name);
    if (!entry.db) {
      entry.db = connect({
        url: entry.config.url,
        dialect: entry.config.dialect,
        idleConnections: this.idleConnections,
      });
      entry.db.catch(() => {
        entry.db = undefined;
      });
    }
    return { name: entry.name, db: await entry.db, allowlist: entry.allowlist };
  }

  /** The allowlists of every source except `name`, by source name (for federated queries). */
  otherAllowlists(name: string): ReadonlyMap<string, TableAllowlist> {
    const cached = this.others.get(name);
    if (cached) return cached;
    const others = new Map([...this.entries].filter(([n]) => n !== name).map(([n, e]) => [n, e.allowlist]));
    this.others.set(name, others);
    return others;
  }

  endpoint(name: string | undefined): DbEndpoint {
    return this.entry(name).endpoint;
  }

  info(): SourceInfo[] {
    return [...this.entries].map(([name, entry]) => ({
      name,
      url: endpointUrl(entry.endpoint),
      dialect: entry.config.dialect ?? 'mariadb',
      allow: entry.allowlist.patterns,
    }));
  }

  /** Every source asked `SELECT 1`, with a bound on how long each may take. */
  async health(timeoutMs = 3000): Promise<SourceHealth[]> {
    return Promise.all(
      this.info().map(async (info) => {
        const started = performance.now();
        try {
          await withSession(this.entries.get(info.name)!.endpoint, (session) => session.query('SELECT 1'), {
            connectTimeoutMs: timeoutMs,
          });
          return { ...info, ok: true, latencyMs: Math.round(performance.now() - started) };
        } catch (error) {
          // The driver's message names host and user, never the password.
          return {
            ...info,
            ok: false,
            latencyMs: Math.round(performance.now() - started),
            error: (error as Error).message,
          };
        }
      }),
    );
  }

  async close(): Promise<void> {
    await Promise.allSettled(
      [...this.entries.values()].map(async (entry) => {
        const db = await entry.db?.catch(() => undefined);
        await db?.close();
      }),
    );
  }
}
