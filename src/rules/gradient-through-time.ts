/**
 * Through time, a recurrent layer multiplies the gradient by its recurrent Jacobian at every step
 * back: above one on average (a recurrent weight too large for the gates) and the gradient at the
 * first step is far larger than at the last, which makes steps huge and soon NaN (Pascanu et al.,
 * "On the difficulty of training recurrent neural networks": clip the gradient norm); below one and
 * the first steps barely reach the loss. Measured as ‖∂loss/∂h_first‖/‖∂loss/∂h_last‖ in the order
 * the backward walks (the reverse direction's first step is the sequence's last), with the thresholds
 * of the layer-wise rule (AUTOTRAINER's 70, 1e-3).
 */
import type { LayerNode } from '../model/graph';
import { defaultInitFix, finiteSteps, RECURRENT_DEFAULT, specLayerOf, when, worstOfStartAndMedian } from './sequence-util';
import type { Fix, Rule, RuleContext, RuleFinding, Severity } from './types';
import { findingAt, fix, layerName } from './util';
import { shortNumber } from '../numbers';

/** What a fix clips the total gradient norm to: the value the literature and most training loops use. */
export const CLIP_MAX_NORM = 1;

interface LayerTime {
  layer: LayerNode;
  /** Per trace step: the most extreme first/last ratio of the layer's ops (largest, or smallest). */
  largest: number[];
  smallest: number[];
  steps: number;
  norms: { first: number; last: number }[];
}

function ratiosByLayer(ctx: RuleContext): LayerTime[] {
  const byLayer = new Map<string, LayerTime>();
  const steps = finiteSteps(ctx.trace.steps);
  steps.forEach((s, j) => {
    for (const r of s.recurrent ?? []) {
      const g = r.gradNorms;
      if (!g || g.length < 2) continue;
      const layer = specLayerOf(ctx.spec, r.layer);
      if (!layer) continue;
      const first = r.reverse ? g[g.length - 1] : g[0];
      const last = r.reverse ? g[0] : g[g.length - 1];
      const ratio = last > 0 && Number.isFinite(first) ? first / last : NaN;
      const entry = byLayer.get(layer.path) ?? { layer, largest: [], smallest: [], steps: r.steps, norms: [] };
      byLayer.set(layer.path, entry);
      if (entry.largest.length <= j) {
        entry.largest.push(ratio);
        entry.smallest.push(ratio);
        entry.norms.push({ first, last });
      } else {
        if (ratio > entry.largest[j]) Object.assign(entry.norms[j], { first, last });
        entry.largest[j] = Math.max(entry.largest[j], ratio);
        entry.smallest[j] = Math.min(entry.smallest[j], ratio);
      }
    }
  });
  return [...byLayer.values()];
}

function explodingFixes(ctx: RuleContext, layer: LayerNode): Fix[] {
  const fixes = [fix(`Clip the gradient norm to ${CLIP_MAX_NORM} before each step (torch.nn.utils.clip_grad_norm_)`, [{ kind: 'set-gradient-clip', maxNorm: CLIP_MAX_NORM }], true)];
  fixes.push(...defaultInitFix(layer, /^weight_hh/, RECURRENT_DEFAULT));
  return fixes;
}

function vanishingFixes(layer: LayerNode): Fix[] {
  if (layer.type !== 'RNN') return [];
  // an LSTM keeps a cell state the gradient crosses without the recurrent weight's product
  const { nonlinearity: _drop, ...args } = layer.args;
  return [fix(`Replace RNN ${layer.path} with an LSTM (same sizes), whose cell state carries the gradient across steps`, [{ kind: 'replace-layer', layer: layer.path, with: 'LSTM', args }], true)];
}

export const gradientThroughTime: Rule = {
  id: 'gradient-through-time',
  title: 'Gradient explodes or vanishes through time: a recurrent layer multiplies it at every step back',
  defaultSeverity: 'warning',
  check(ctx) {
    const cfg = ctx.config.gradientThroughTime;
    const out: RuleFinding[] = [];
    for (const t of ratiosByLayer(ctx)) {
      const n = t.largest.length;
      const big = worstOfStartAndMedian(t.largest, (a, b) => a > b);
      const small = worstOfStartAndMedian(t.smallest, (a, b) => a < b);
      const span = t.steps - 1;
      if (big.value > cfg.explodingRatio) {
        // With clipping the steps are bounded whatever the gradient: the remedy is in place.
        if (ctx.trace.optimizer.clip) continue;
        const severity: Severity = 'warning';
        const at = big.atStart ? t.norms[0] : undefined;
        const norms = at ? ` ${shortNumber(at.first)} at the first time step, ` : ' ';
        const f = findingAt(
          'gradient-through-time',
          severity,
          t.layer,
          `gradient explodes through time in ${layerName(t.layer)}: ‖∂loss/∂h‖ is${norms}${shortNumber(big.value)}× the last time step's (${when(big.atStart, n)}): each of the ${span} steps back multiplies it by about ${shortNumber(Math.pow(big.value, 1 / span))}`,
        );
        f.evidence.push({ label: '‖∂loss/∂h_first‖/‖∂loss/∂h_last‖', values: t.largest });
        f.fixes = explodingFixes(ctx, t.layer);
        out.push(f);
      } else if (small.value < cfg.vanishingRatio) {
        // Information: a model that needs only the recent steps trains fine with it.
        const severity: Severity = 'info';
        const f = findingAt(
          'gradient-through-time',
          severity,
          t.layer,
          `gradient vanishes through time in ${layerName(t.layer)}: ‖∂loss/∂h‖ at the first time step is ${shortNumber(small.value)}× the last step's (${when(small.atStart, n)}): the first of its ${t.steps} inputs barely reach the loss, so dependencies that long cannot be learned`,
        );
        f.evidence.push({ label: '‖∂loss/∂h_first‖/‖∂loss/∂h_last‖', values: t.smallest });
        f.fixes = vanishingFixes(t.layer);
        out.push(f);
      }
    }
    return out;
  },
};
