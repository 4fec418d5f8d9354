/**
 * What a view says about a training run read from its log (not a trace Gradient Lens ran): its
 * id, the real steps it spans, ranks, and whether it is still being written. One wording for the
 * report, the panel and the sidebar.
 */
import type { Trace } from '../../src/trace/types';
import { formatNumber } from './dom';

/** "steps 0–4096 (12 recorded)", or that none is recorded yet. */
export function stepSpan(t: Trace): string {
  const first = t.steps[0];
  const last = t.steps[t.steps.length - 1];
  return first && last ? `steps ${first.step}–${last.step} (${t.steps.length} recorded)` : t.run?.ended ? 'no step recorded' : 'no step recorded yet';
}

/** The run's facts for a header line; `live` when the log is still being followed. */
export function runFacts(t: Trace): string[] {
  const run = t.run;
  if (!run) return [];
  const last = t.steps[t.steps.length - 1];
  return [
    `training run ${run.id}`,
    stepSpan(t),
    ...(run.worldSize > 1 ? [`${run.worldSize} ranks`] : []),
    `batch ${t.batchSize}`,
    `${t.optimizer.type} lr ${formatNumber(last?.lr ?? t.optimizer.lr)}`,
    ...(last ? [`loss ${formatNumber(last.loss)}`] : []),
    `torch ${run.torch}`,
    run.ended ? `ended: ${run.ended}` : 'still running',
  ];
}
