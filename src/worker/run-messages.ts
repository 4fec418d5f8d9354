/**
 * What the extension host and a run-watch worker thread (run-worker.ts) say to each other: the
 * host names a training run's log to follow; the worker reads it as it grows and answers with
 * the run's trace and its findings placed in the .py files.
 */
import type { RuleConfig } from '../rules/config';
import type { Trace } from '../trace/types';
import type { ResolvedRun } from './run-findings';

export type RunWatchRequest =
  /** Start following `path` (a run folder, or one log file). Sent once. */
  | { type: 'watch'; path: string; throttleMs: number; config: RuleConfig }
  /** The rules' settings changed: apply them to what has been read. */
  | { type: 'config'; config: RuleConfig }
  /** A file-system event in the folder: read soon. */
  | { type: 'kick' }
  /** The host lost track of the steps (a bug of ours): the next snapshot carries all of them. */
  | { type: 'resend' };

export interface RunSnapshotMessage extends ResolvedRun {
  type: 'update';
  /** The run's trace with only the steps the host lacks: they follow the first `keep` of the steps it holds. */
  trace: Trace;
  /** How many steps of the previous snapshot stay (0: the trace's steps are all of them). */
  keep: number;
  /** False while a big log is still being read. */
  caughtUp: boolean;
}

export type RunWatchReply =
  | RunSnapshotMessage
  /** The log cannot be read (not a log, a newer format, gone). The message is for the user; following goes on in case it is replaced. */
  | { type: 'error'; message: string }
  /** A bug of ours (the rules threw): for the log, the last snapshot stays. */
  | { type: 'internal'; message: string };
