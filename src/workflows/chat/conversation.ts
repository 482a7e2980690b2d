/**
 * One conversation's state: the dataset (kept on the host, so it can be uploaded again), the sandbox
 * session its scripts run in, the action waiting for a yes, and the last script shown or run. The session
 * starts with the first run; when its idle timeout (or anything else) closed it, the next run gets a new
 * one with the dataset uploaded again, without the user noticing.
 * (Each session run starts with an empty out/, so a chart drawn earlier never comes back with a later
 * analysis.)
 */
import type { RunResult } from '../../engine/result.js';
import { SessionClosedError, type Session } from '../../engine/session.js';
import { ScriptboxError } from '../../errors.js';
import { uploadDataset } from '../analysis/analyze.js';
import type { Dataset } from '../analysis/dataset.js';
import type { PendingAction } from './confirm.js';

/** A script the user can ask to see ("show the script"). */
export interface ShownScript {
  fileName: string;
  source: string;
  /** Where it came from: "the descriptive template", "your request", "stats_descriptive_001.py v2". */
  origin: string;
}

export interface RunInSessionOpts {
  /** Runs the script in the session given (pass the signal on to its run). */
  run: (session: Session) => Promise<RunResult>;
  /** Cancels a session start this run waits for. */
  signal?: AbortSignal;
}

const closedError = (): ScriptboxError => new ScriptboxError('ENGINE_CLOSED', 'this conversation is closed');

export class Conversation {
  dataset: Dataset | null = null;
  pending: PendingAction | null = null;
  lastScript: ShownScript | null = null;
  private session: Session | null = null;
  /** The dataset the current session holds. */
  private uploaded: Dataset | null = null;
  private closed = false;

  /** `openSession(signal)` starts a session; aborting `signal` cancels the start (nothing is left of it). */
  constructor(private readonly openSession: (signal?: AbortSignal) => Promise<Session>) {}

  /**
   * Runs a script in this conversation's session (`run` starts it), with the current dataset in the work
   * dir. A session found closed when the run starts (its idle timeout passed a moment ago)
   * is replaced once. Aborting `signal` while a session starts cancels the start (rejecting with code
   * CANCELLED); the next call starts another.
   */
  async runInSession(opts: RunInSessionOpts): Promise<RunResult> {
    try {
      return await this.runOnce(opts);
    } catch (err) {
      if (!(err instanceof SessionClosedError) || this.closed) throw err;
      return this.runOnce(opts);
    }
  }

  /** Ends the session; the conversation refuses to start another. */
  async close(): Promise<void> {
    this.closed = true;
    const session = this.session;
    this.session = null;
    await session?.close('the chat ended');
  }

  private async runOnce({ run, signal }: RunInSessionOpts): Promise<RunResult> {
    return run(await this.readySession(signal));
  }

  private async readySession(signal: AbortSignal | undefined): Promise<Session> {
    if (this.closed) throw closedError();
    if (!this.session || this.session.closed) {
      this.session = null;
      this.uploaded = null;
      const opened = await this.openSession(signal);
      if (this.closed) {
        await opened.close('the chat ended');
        throw closedError();
      }
      this.session = opened;
    }
    const session = this.session;
    if (this.dataset && this.uploaded !== this.dataset) {
      await uploadDataset(session, this.dataset);
      this.uploaded = this.dataset;
    }
    return session;
  }
}
