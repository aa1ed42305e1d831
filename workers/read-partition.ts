/**
 * Reads partitions on a reader thread: runs each partition's SQL on this thread's own connection
 * to the partition's server, decodes the rows into Arrow buffers, and posts each batch to the
 * main thread with its buffers transferred (not copied). A partition posts a batch only while it
 * holds a credit; without one it pauses its socket, so the server waits rather than memory
 * growing. A `cancel` message kills the statement on the server.
 */
import type { MessagePort } from 'node:worker_threads';
import { killQuery, type RawConnection } from '../src/db/raw-query.ts';
import { type BatchBuffers, transferList } from '../src/reader/batch-buffers.ts';
import { RawConnectionPool } from '../src/reader/connection-pool.ts';
import { decodeQuery } from '../src/reader/decode-query.ts';
import type {
  FromWorker,
  PartitionOutcome,
  PartitionTaskData,
  SessionToMain,
  SessionToWorker,
  ToWorker,
  WireError,
} from '../src/reader/protocol.ts';

type PartitionTask = PartitionTaskData;

/**
 * The piscina task: a session that reads the partitions the main thread sends over `port`, any
 * number at once, until told to close (see src/reader/scheduler.ts).
 */
export default function session({ port }: { port: MessagePort }): Promise<void> {
  return new Promise<void>((resolve) => {
    let running = 0;
    let closing = false;
    const finish = () => {
      port.close();
      resolve();
    };
    port.on('message', (message: SessionToWorker) => {
      if (message.type === 'read') {
        running++;
        void readPartition(message.task).finally(() => {
          running--;
          port.postMessage({ type: 'finished', id: message.id } satisfies SessionToMain);
          if (closing && running === 0) finish();
        });
      } else if (message.type === 'close') {
        closing = true;
        if (running === 0) finish();
      }
    });
  });
}

/** Idle connections of this worker, per server, reused by the next task on the same server. */
const pool = new RawConnectionPool({ idleMs: 10_000 });
/** How long a cancelled task waits for the server to confirm the kill before dropping the socket. */
const KILL_WAIT_MS = 5_000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** mysql2 formats a Buffer as a hex literal; a Buffer crosses threads as a plain Uint8Array. */
function reviveParams(params: readonly unknown[]): unknown[] {
  return params.map((param) =>
    param instanceof Uint8Array && !Buffer.isBuffer(param) ? Buffer.from(param) : param,
  );
}

function wireError(error: unknown): WireError {
  const e = error as {
    message?: string;
    code?: unknown;
    errno?: unknown;
    sqlState?: unknown;
    retriable?: unknown;
    cause?: unknown;
  };
  const cause = (e.cause ?? {}) as { code?: unknown; errno?: unknown; sqlState?: unknown; message?: unknown };
  return {
    message: String(e.message ?? error),
    code: typeof cause.code === 'string' ? cause.code : typeof e.code === 'string' ? e.code : undefined,
    errno: typeof e.errno === 'number' ? e.errno : typeof cause.errno === 'number' ? cause.errno : undefined,
    sqlState:
      typeof e.sqlState === 'string'
        ? e.sqlState
        : typeof cause.sqlState === 'string'
          ? cause.sqlState
          : undefined,
    retriable: e.retriable === true,
  };
}

async function readPartition(task: PartitionTask): Promise<PartitionOutcome> {
  const outcome = await read(task);
  task.port.postMessage({ type: 'done', outcome } satisfies FromWorker);
  task.port.close();
  return outcome;
}

async function read(task: PartitionTask): Promise<PartitionOutcome> {
  const { port, endpoint } = task;
  let credits = task.options.credits;
  let cancelled = false;
  let connection: RawConnection | undefined;
  const pending: BatchBuffers[] = [];
  let drained: (() => void) | undefined;
  const post = (message: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);
  const flush = () => {
    while (credits > 0 && pending.length > 0) {
      const batch = pending.shift()!;
      credits--;
      post({ type: 'batch', batch }, transferList(batch));
    }
    if (pending.length === 0) {
      connection?.resume();
      drained?.();
    }
  };
  let killing: Promise<void> | undefined;
  let reading: Promise<number> | undefined;
  port.on('message', (message: ToWorker) => {
    if (message.type === 'credit') {
      credits += message.count;
      flush();
    } else if (message.type === 'cancel' && !cancelled) {
      cancelled = true;
      pending.length = 0;
      drained?.();
      const running = connection;
      const statement = reading;
      if (running && statement) {
        killing = (async () => {
          // Kill on the server first: a dropped socket alone leaves a long statement running there.
          await killQuery(endpoint, running.threadId).catch(() => undefined);
          // Then read on until the server reports the statement over, so that once this task
          // returns no statement of it is left on the server.
          running.resume();
          await Promise.race([statement.catch(() => undefined), sleep(KILL_WAIT_MS)]);
          running.destroy();
        })();
      }
    }
  });
  try {
    connection = await pool.acquire(endpoint, {
      netWriteTimeoutSeconds: task.options.netWriteTimeoutSeconds,
    });
    if (cancelled) {
      connection.destroy();
      return { rows: 0, cancelled: true };
    }
    post({ type: 'started', threadId: connection.threadId });
    reading = decodeQuery(
      connection,
      task.sql,
      reviveParams(task.params),
      {
        columns: (columns) => post({ type: 'columns', columns }),
        batch: (batch) => {
          if (cancelled) return;
          pending.push(batch);
          flush();
          if (pending.length > 0) connection?.pause();
        },
      },
      task.options,
    );
    const rows = await reading;
    // The last batches go out as credits come back.
    while (pending.length > 0 && !cancelled) {
      await new Promise<void>((resolve) => {
        drained = resolve;
      });
      drained = undefined;
    }
    if (cancelled) return { rows, cancelled: true };
    pool.release(connection);
    return { rows, cancelled: false };
  } catch (error) {
    if (cancelled) {
      await killing;
      connection?.destroy();
      return { rows: 0, cancelled: true };
    }
    connection?.destroy();
    return { rows: 0, cancelled: false, error: wireError(error) };
  } finally {
    await killing;
    port.removeAllListeners('message');
  }
}
