/**
 * The runner's link to its row in sluice_pipelines: what the user wants it to be (running,
 * paused, stopped: `pipeline pause` and the HTTP API only write that row) and, back, what it is
 * and who runs it. It owns its own connection to the state server and reopens it when a beat
 * fails, because that server may be restarting; the writers have retries of their own.
 */
import { SluiceError } from '../base/errors.ts';
import { type DbSession, openSession } from '../db/driver.ts';
import type { DbEndpoint } from '../db/endpoint.ts';
import { type DesiredState, readPipeline, reportState } from './state.ts';

export class StateHeartbeat {
  private session: DbSession | undefined;

  constructor(
    private readonly endpoint: DbEndpoint,
    private readonly pipeline: string,
    private readonly owner: string,
  ) {}

  async open(): Promise<void> {
    this.session = await openSession(this.endpoint);
  }

  /**
   * Reads the desired state and lets `follow` act on it; then, unless told to stop, reports the
   * runner's state as `state()` gives it after that. A failed beat reopens the connection for the
   * next one and throws.
   */
  async beat(follow: (desired: DesiredState) => void, state: () => string): Promise<void> {
    const session = this.session;
    if (!session) return;
    try {
      const record = await readPipeline(session, this.pipeline).catch((error: unknown) => {
        // A pipeline started from a spec that was never created has no row; it runs until stopped.
        if (error instanceof SluiceError && error.code === 'PIPELINE_NOT_FOUND') return undefined;
        throw error;
      });
      const desired: DesiredState = record?.desiredState ?? 'running';
      follow(desired);
      if (desired !== 'stopped' && record) await reportState(session, this.pipeline, state(), this.owner);
    } catch (error) {
      this.session = undefined;
      await session.close().catch(() => undefined);
      this.session = await openSession(this.endpoint).catch(() => undefined);
      throw error;
    }
  }

  /** Reports the final state, with no owner, and closes the connection. */
  async close(state: 'stopped' | 'error', lastError: string | null): Promise<void> {
    if (!this.session) return;
    await reportState(this.session, this.pipeline, state, null, lastError).catch(() => undefined);
    await this.session.close();
  }
}
