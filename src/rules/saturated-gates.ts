/**
 * The gates of an LSTM or GRU (sigmoids) and its candidate (tanh) pass the gradient through time
 * only where their derivative is not flat: a gate stuck at 0 or 1 stops learning when to open, and
 * a saturated candidate passes nothing back to the weights that feed it. Same measure and default
 * as the saturated-activation rule (derivative below 1% of its peak, more than half of the entries).
 */
import type { LayerNode } from '../model/graph';
import { defaultInitFix, finiteSteps, RECURRENT_DEFAULT, specLayerOf, when, worstOfStartAndMedian } from './sequence-util';
import type { Rule, RuleFinding, Severity } from './types';
import { findingAt, mean, layerName } from './util';
import { percent } from '../numbers';

const GATE_NAMES = { sigmoid: 'sigmoid gate', tanh: 'tanh candidate' } as const;

export const saturatedGates: Rule = {
  id: 'saturated-gates',
  title: "Saturated gates: a recurrent layer's sigmoid gates or tanh candidates sit where their derivative is near zero",
  defaultSeverity: 'warning',
  check(ctx) {
    const share = ctx.config.saturatedGates.share;
    const steps = finiteSteps(ctx.trace.steps);
    // per spec layer and gate kind, per trace step: the mean share over the layer's ops
    const byLayer = new Map<string, { layer: LayerNode; kinds: Map<'sigmoid' | 'tanh', number[]> }>();
    steps.forEach((s, j) => {
      const perStep = new Map<string, Map<'sigmoid' | 'tanh', number[]>>();
      for (const r of s.recurrent ?? []) {
        const layer = specLayerOf(ctx.spec, r.layer);
        if (!layer) continue;
        if (!byLayer.has(layer.path)) byLayer.set(layer.path, { layer, kinds: new Map() });
        const kinds = perStep.get(layer.path) ?? new Map();
        perStep.set(layer.path, kinds);
        for (const g of r.gates) kinds.set(g.kind, [...(kinds.get(g.kind) ?? []), g.saturatedShare]);
      }
      for (const [path, kinds] of perStep) {
        const entry = byLayer.get(path)!;
        for (const [kind, shares] of kinds) {
          const series = entry.kinds.get(kind) ?? [];
          series[j] = mean(shares);
          entry.kinds.set(kind, series);
        }
      }
    });
    const out: RuleFinding[] = [];
    for (const { layer, kinds } of byLayer.values()) {
      const judged = [...kinds].map(([kind, series]) => ({ kind, series, ...worstOfStartAndMedian(series, (a, b) => a > b) })).filter((k) => k.value > share);
      if (!judged.length) continue;
      const severity: Severity = 'warning';
      const parts = judged.map((k) => `${percent(k.value)} of ${GATE_NAMES[k.kind]} entries (${when(k.atStart, steps.length)})`);
      const f = findingAt(
        'saturated-gates',
        severity,
        layer,
        `${layerName(layer)}'s gates are saturated: ${parts.join(' and ')} pass less than 1% of their peak derivative, so little gradient flows through them`,
      );
      for (const k of judged) f.evidence.push({ label: `saturated ${GATE_NAMES[k.kind]} share`, values: k.series });
      // resetting a written init to PyTorch's default is the fix to offer first
      f.fixes = defaultInitFix(layer, /^weight/, RECURRENT_DEFAULT, true);
      out.push(f);
    }
    return out;
  },
};
