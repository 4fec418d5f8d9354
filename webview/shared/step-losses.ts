/**
 * A step's losses by name, one wording for the panel and the report: a step with several backward()
 * calls (a GAN) records one per backward, named by its variable (d_loss, g_loss); any other step has
 * its one `loss`, shown as before.
 */
import type { StepRecord } from '../../src/trace/types';

export function namedLosses(s: StepRecord): { name: string; value: number }[] {
  return s.losses ?? [{ name: 'loss', value: s.loss }];
}

/** Each loss's first and last value over the steps, in the first step's order. */
export function lossSeries(first: StepRecord, last: StepRecord): { name: string; from: number; to: number }[] {
  const end = namedLosses(last);
  return namedLosses(first).map((l, i) => ({ name: l.name, from: l.value, to: end.find((e) => e.name === l.name)?.value ?? end[i]?.value ?? NaN }));
}
