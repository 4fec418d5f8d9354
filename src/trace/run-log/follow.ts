/**
 * Following a training run's log while it is written: polls the reader at most every `throttleMs`
 * (a file-system event asks for a poll; a slow timer catches the events that never come, such as
 * writes over a network share), reads at most `sliceBytes` per poll and, while more is waiting,
 * continues on the next turn of the event loop so the host stays responsive. The caller hears of
 * new data once the reader has caught up (or every `throttleMs` while catching up a big log).
 * No `vscode`: the extension drives it, and the tests.
 */
import type { Trace } from '../types';
import { RunLogError, RunReader } from './reader';

export interface FollowOptions {
  /** Least time between two polls, in ms. */
  throttleMs: number;
  /** A poll without a file-system event at least this often, in ms. */
  idleMs?: number;
  /** Bytes read per poll. */
  sliceBytes?: number;
  /** New steps or information: the same Trace object, updated. `caughtUp` is false while a big log is still being read. */
  onUpdate(trace: Trace, caughtUp: boolean): void;
  /** The log cannot be read (not a log, a newer format); following stops. */
  onError(e: RunLogError): void;
}

export class RunFollower {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private idle: ReturnType<typeof setInterval> | undefined;
  private last = 0;
  private pendingChange = false;
  private lastReport = 0;
  private disposed = false;
  /** Polls done (for the status line and the tests' logs). */
  polls = 0;

  constructor(
    readonly reader: RunReader,
    private readonly opts: FollowOptions,
  ) {
    this.idle = setInterval(() => this.kick(), opts.idleMs ?? Math.max(5000, opts.throttleMs * 5));
    this.kick();
  }

  /** Something changed on disk (or might have): poll soon, no sooner than the throttle allows. */
  kick(): void {
    if (this.disposed || this.timer) return;
    const wait = Math.max(0, this.last + this.opts.throttleMs - Date.now());
    this.timer = setTimeout(() => this.poll(), wait);
  }

  private poll(): void {
    this.timer = undefined;
    if (this.disposed) return;
    this.last = Date.now();
    this.polls++;
    let more = false;
    try {
      const r = this.reader.poll(this.opts.sliceBytes ?? 16 << 20);
      more = r.more;
      this.pendingChange ||= r.changed;
    } catch (e) {
      // Whatever went wrong, it ends here, on a timer, where a throw would reach nobody.
      this.dispose();
      this.opts.onError(e instanceof RunLogError ? e : new RunLogError(`${this.reader.path}: ${(e as Error).message ?? String(e)}`));
      return;
    }
    const trace = this.reader.trace;
    // While a big log is read in slices, say something every throttle period, not on every slice.
    if (trace && this.pendingChange && (!more || this.last - this.lastReport >= this.opts.throttleMs)) {
      this.pendingChange = false;
      this.lastReport = this.last;
      this.opts.onUpdate(trace, !more);
    }
    if (more) this.timer = setTimeout(() => this.poll(), 0);
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.idle) clearInterval(this.idle);
    this.timer = this.idle = undefined;
  }
}
