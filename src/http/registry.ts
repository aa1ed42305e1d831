/**
 * The queries running now, by id: what DELETE /v1/query/:id cancels, what the console lists, and
 * the concurrency limit. Cancelling aborts the query's signal; the reader then kills its statement
 * on every server and partition it runs on.
 */
import { randomUUID } from 'node:crypto';
import { RequestError } from '../base/errors.ts';

export type CancelReason = 'disconnect' | 'delete' | 'timeout' | 'shutdown';

export interface RunningQuery {
  readonly id: string;
  readonly source: string;
  readonly format: string;
  readonly startedAt: number;
  readonly controller: AbortController;
  /** Who started it (a token's name), for DELETE by someone else. */
  readonly principal: string;
  rows: number;
  bytes: number;
  cancelled?: CancelReason;
  /** Settles once the query's reads have ended (statements killed where it was cancelled). */
  done?: Promise<void>;
  /** Cuts the response stream (a client that does not read cannot be sent the error trailer). */
  stop?: () => void;
}

const QUERY_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

export class QueryRegistry {
  private readonly running = new Map<string, RunningQuery>();

  constructor(private readonly maxConcurrent: number) {}

  get size(): number {
    return this.running.size;
  }

  /** Registers a query; a client-given id must be new and well-formed. */
  begin(init: { id?: string; source: string; format: string; principal: string }): RunningQuery {
    if (init.id !== undefined && !QUERY_ID.test(init.id)) {
      throw new RequestError('CONFIG_INVALID', 'query_id must be 1-128 letters, digits or _ . : -', {
        query_id: init.id,
      });
    }
    const id = init.id ?? randomUUID();
    if (this.running.has(id))
      throw new RequestError('CONFIG_INVALID', `a query with id '${id}' is running`, { query_id: id });
    if (this.running.size >= this.maxConcurrent) {
      throw new RequestError(
        'TOO_MANY_QUERIES',
        `${this.running.size} queries are running, the limit is ${this.maxConcurrent}; retry later`,
      );
    }
    const query: RunningQuery = {
      id,
      source: init.source,
      format: init.format,
      principal: init.principal,
      startedAt: Date.now(),
      controller: new AbortController(),
      rows: 0,
      bytes: 0,
    };
    this.running.set(id, query);
    return query;
  }

  end(query: RunningQuery): void {
    if (this.running.get(query.id) === query) this.running.delete(query.id);
  }

  get(id: string): RunningQuery | undefined {
    return this.running.get(id);
  }

  list(): RunningQuery[] {
    return [...this.running.values()];
  }

  /** Aborts a query; false when it was already stopping. */
  cancel(query: RunningQuery, reason: CancelReason): boolean {
    if (query.controller.signal.aborted) return false;
    query.cancelled = reason;
    query.controller.abort(
      reason === 'timeout'
        ? new RequestError('QUERY_TIMEOUT', `query ${query.id} ran past its time limit`, { reason })
        : new RequestError('QUERY_CANCELLED', `query ${query.id} was cancelled (${reason})`, { reason }),
    );
    return true;
  }

  cancelAll(reason: CancelReason): void {
    for (const query of this.running.values()) this.cancel(query, reason);
  }
}
