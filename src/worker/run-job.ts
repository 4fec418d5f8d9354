/**
 * Following one training run, off the extension host's thread: the log read as it grows (only
 * the new bytes, throttled, in slices), the rules applied to what has been read, the findings
 * placed in the .py files, and each snapshot posted. Plain node (no worker API) so the unit tests
 * drive it directly; run-worker.ts wires it to a worker thread's port.
 */
import { analyseRun } from '../analyse';
import type { RuleConfig } from '../rules/config';
import { RunFollower } from '../trace/run-log/follow';
import { readSource } from '../trace/run-log/read-source';
import { hasLogs, RunLogError, RunReader } from '../trace/run-log/reader';
import { HeldSteps } from '../trace/steps-delta';
import type { Trace } from '../trace/types';
import type { RunWatchReply, RunWatchRequest } from './run-messages';
import { resolveRun } from './run-findings';

/** Analysing and posting a snapshot may take at most 1/COST_FACTOR of the time. */
const COST_FACTOR = 10;

export interface RunJobOptions {
  path: string;
  throttleMs: number;
  config: RuleConfig;
  /** While no log is there yet, look this often, in ms (file-system events may never come). */
  idleMs?: number;
  /** Bytes read per slice (tests read small logs in several). */
  sliceBytes?: number;
}

export class RunWatchJob {
  private follower: RunFollower | undefined;
  private config: RuleConfig;
  private last: { trace: Trace; caughtUp: boolean } | undefined;
  private readonly idle: ReturnType<typeof setInterval>;
  private disposed = false;
  /** When the last analysis ended, and what it cost (ms). */
  private analysedAt = -Infinity;
  private cost = 0;
  private deferred: ReturnType<typeof setTimeout> | undefined;
  /** The last error told: a log that stays unreadable is looked at again, but not reported again. */
  private lastError: string | undefined;
  /** The steps the host holds: a snapshot carries only the new ones, not the whole run again. */
  private readonly sent = new HeldSteps();

  constructor(
    private readonly opts: RunJobOptions,
    private readonly post: (reply: RunWatchReply) => void,
  ) {
    this.config = opts.config;
    this.idle = setInterval(() => this.follower || this.kick(), opts.idleMs ?? 5000);
    this.kick();
  }

  handle(msg: RunWatchRequest): void {
    if (msg.type === 'config') {
      this.config = msg.config;
      this.analyse();
    } else if (msg.type === 'kick') this.kick();
    else if (msg.type === 'resend') {
      this.sent.forget();
      this.analyse();
    }
  }

  /** Something changed in the folder: read it, or start reading once a log is there. */
  kick(): void {
    if (this.disposed) return;
    if (this.follower) return this.follower.kick();
    if (!hasLogs(this.opts.path)) return;
    let reader: RunReader;
    try {
      reader = new RunReader(this.opts.path);
    } catch (e) {
      if (!(e instanceof RunLogError)) throw e;
      return this.error(e.message);
    }
    this.follower = new RunFollower(reader, {
      throttleMs: this.opts.throttleMs,
      sliceBytes: this.opts.sliceBytes,
      onUpdate: (trace, caughtUp) => {
        this.last = { trace, caughtUp };
        this.schedule();
      },
      onError: (e) => {
        // Stopped: the next event in the folder (a log replaced, a new run) starts reading again.
        this.follower = undefined;
        this.error(e.message);
      },
    });
  }

  /**
   * Analyses now, or once the gap since the last analysis is long enough: the rules and placing the
   * findings grow with a long run of a big model, and must stay a
   * small share of the time (at most a tenth of it, and never more often than the throttle).
   */
  private schedule(): void {
    if (this.deferred) return;
    const gap = Math.max(this.opts.throttleMs, COST_FACTOR * this.cost);
    const wait = this.analysedAt + gap - performance.now();
    if (wait <= 0) return this.analyse();
    this.deferred = setTimeout(() => {
      this.deferred = undefined;
      this.analyse();
    }, wait);
  }

  private error(message: string): void {
    if (message === this.lastError) return;
    this.lastError = message;
    this.post({ type: 'error', message });
  }

  private analyse(): void {
    if (!this.last || this.disposed) return;
    const { trace, caughtUp } = this.last;
    const started = performance.now();
    try {
      const resolved = resolveRun(analyseRun(trace, this.opts.path, readSource, this.config));
      this.lastError = undefined;
      // The run's id names its steps: a log replaced by another run's is sent whole.
      const delta = this.sent.next(trace.run?.id ?? '', trace.steps) ?? { keep: 0, steps: trace.steps };
      this.post({ type: 'update', trace: { ...trace, steps: delta.steps }, keep: delta.keep, caughtUp, ...resolved });
    } catch (e) {
      this.post({ type: 'internal', message: (e as Error).stack ?? String(e) });
    }
    this.analysedAt = performance.now();
    this.cost = this.analysedAt - started;
  }

  dispose(): void {
    this.disposed = true;
    clearInterval(this.idle);
    if (this.deferred) clearTimeout(this.deferred);
    this.follower?.dispose();
  }
}
