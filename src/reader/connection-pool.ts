/**
 * Idle raw connections kept per server, so a short read (a point lookup, a partition task on a
 * worker) skips the handshake and session setup of a new connection. A connection goes back only
 * after a statement that ran to its end; one that was killed, failed or dropped is not reused.
 * Idle connections close after `idleMs` and never keep the process (or thread) alive.
 */
import type { DbEndpoint } from '../db/endpoint.ts';
import { openRawConnection, type RawConnection, type RawConnectionOptions } from '../db/raw-query.ts';

export interface ConnectionPoolOptions {
  /** Idle connections kept per server (default 8). */
  readonly maxIdle?: number;
  /** How long an idle connection is kept (default 10 s). */
  readonly idleMs?: number;
}

const endpointKey = (endpoint: DbEndpoint) =>
  `${endpoint.user}@${endpoint.host}:${endpoint.port}/${endpoint.database}`;

export class RawConnectionPool {
  private readonly idle = new Map<string, { connection: RawConnection; timer: NodeJS.Timeout }[]>();
  private readonly maxIdle: number;
  private readonly idleMs: number;
  private closed = false;

  constructor(options: ConnectionPoolOptions = {}) {
    this.maxIdle = options.maxIdle ?? 8;
    this.idleMs = options.idleMs ?? 10_000;
  }

  async acquire(endpoint: DbEndpoint, options: RawConnectionOptions = {}): Promise<RawConnection> {
    const idle = this.idle.get(endpointKey(endpoint));
    while (idle && idle.length > 0) {
      const { connection, timer } = idle.pop()!;
      clearTimeout(timer);
      if (connection.usable) {
        connection.keepAlive(true);
        return connection;
      }
    }
    return openRawConnection(endpoint, options);
  }

  /** Gives back a connection whose last statement ran to its end; anything else is closed. */
  release(connection: RawConnection): void {
    const key = endpointKey(connection.endpoint);
    const idle = this.idle.get(key) ?? [];
    if (this.closed || !connection.usable || idle.length >= this.maxIdle) {
      void connection.close();
      return;
    }
    connection.keepAlive(false);
    const entry = {
      connection,
      timer: setTimeout(() => {
        const at = idle.indexOf(entry);
        if (at >= 0) idle.splice(at, 1);
        void connection.close();
      }, this.idleMs).unref(),
    };
    idle.push(entry);
    this.idle.set(key, idle);
  }

  async close(): Promise<void> {
    this.closed = true;
    const entries = [...this.idle.values()].flat();
    this.idle.clear();
    await Promise.all(
      entries.map(({ connection, timer }) => {
        clearTimeout(timer);
        return connection.close();
      }),
    );
  }
}
