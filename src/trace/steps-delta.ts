/**
 * Sending a growing training run without sending it again: a receiver (the extension host, a
 * webview) already holds the run's earlier steps, so each update carries only the steps it lacks.
 *
 * A run's merged steps are fixed once merged (run-log/merge.ts), so a step number names one
 * record for the life of a run. What changes is at the edges: new steps at the end, the last step
 * replaced while it is only the latest of a thinned stretch, and, when a long run is thinned, every
 * other step dropped. The delta is the longest stretch at the start both sides share, plus the
 * rest. A traced model's steps are not fixed (a re-trace numbers its steps 0… again), so only runs
 * are sent this way. The receiver puts an update together with applyStepsDelta (src/protocol.ts,
 * which the webviews import).
 */
import type { StepRecord, Trace } from './types';

export interface StepsDelta {
  /** How many of the steps the receiver holds stay: the update's steps follow them. */
  keep: number;
  steps: StepRecord[];
}

/** What one receiver holds of a run's steps: each update to it is what it lacks. */
export class HeldSteps {
  private key: string | undefined;
  private held: number[] = [];

  /**
   * The part of `steps` (of the run `key` names) the receiver lacks, and from then on held by it;
   * null when the receiver holds nothing of this run, and gets every step.
   */
  next(key: string, steps: readonly StepRecord[]): StepsDelta | null {
    const known = this.key === key;
    const held = this.held;
    this.key = key;
    this.held = steps.map((s) => s.step);
    if (!known) return null;
    let keep = 0;
    const n = Math.min(held.length, steps.length);
    while (keep < n && held[keep] === steps[keep].step) keep++;
    return { keep, steps: steps.slice(keep) };
  }

  /** The receiver lost what it held (a webview page torn down): the next update sends everything. */
  forget(): void {
    this.key = undefined;
    this.held = [];
  }
}

/** The name of the run a trace was read from (steps of another run or a traced model are never kept), or undefined for a traced model. */
export function runKey(where: string, trace: Trace): string | undefined {
  return trace.run ? `${where}\n${trace.run.id}` : undefined;
}
