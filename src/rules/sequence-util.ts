/** Readers of the trace's recurrent and attention records shared by the sequence rules. */
import { traitsOf } from '../model/catalogue';
import type { LayerNode, ModelSpec } from '../model/graph';
import type { StepRecord } from '../trace/types';
import type { Fix } from './types';
import { fix, layersInOrder, median, layerName } from './util';

/**
 * The spec layer an op ran in: the deepest layer whose path is the module's or a prefix of it (the
 * self-attention of `1.layers.0.self_attn` belongs to the TransformerEncoder at `1`).
 */
export function specLayerOf(spec: ModelSpec, modulePath: string): LayerNode | undefined {
  let best: LayerNode | undefined;
  for (const l of layersInOrder(spec)) {
    if (traitsOf(l.type).container) continue;
    if (modulePath !== l.path && !modulePath.startsWith(`${l.path}.`)) continue;
    if (!best || l.path.length > best.path.length) best = l;
  }
  return best;
}

/** What a rule judges a measure by: the model as written (step 0), or what the updates keep doing (the median), whichever is worse. */
export function worstOfStartAndMedian(values: readonly number[], worse: (a: number, b: number) => boolean): { value: number; atStart: boolean } {
  const finite = values.filter((v) => Number.isFinite(v));
  if (!finite.length) return { value: NaN, atStart: true };
  const start = values[0];
  const mid = median(finite);
  if (!Number.isFinite(start) || worse(mid, start)) return { value: mid, atStart: false };
  return { value: start, atStart: true };
}

/** Steps whose loss is finite: after a NaN, the records measure the NaN, not the model. */
export function finiteSteps(steps: readonly StepRecord[]): StepRecord[] {
  return steps.filter((s) => Number.isFinite(s.loss));
}

/** "step 0" or "median over 20 steps". */
export function when(atStart: boolean, steps: number): string {
  return atStart ? 'step 0' : `median over ${steps} steps`;
}

/** PyTorch's default init of a recurrent layer's weights, in a fix's words. */
export const RECURRENT_DEFAULT = 'uniform ±1/√hidden_size';

/**
 * "Initialise <layer>'s <params> with PyTorch's default (<what the default is>)" for the parameters
 * whose name matches `which` and whose init the spec writes; none when it writes none.
 */
export function defaultInitFix(layer: LayerNode, which: RegExp, theDefault: string, preferred = false): Fix[] {
  const written = Object.keys(layer.init).filter((p) => which.test(p) && layer.init[p].scheme !== 'default');
  if (!written.length) return [];
  return [
    fix(
      `Initialise ${layerName(layer)}'s ${written.join(', ')} with PyTorch's default (${theDefault})`,
      [{ kind: 'set-init', layer: layer.path, init: Object.fromEntries(written.map((p) => [p, { scheme: 'default', args: {} }])) }],
      preferred,
    ),
  ];
}
