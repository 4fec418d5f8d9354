/**
 * A gradient that grows on its way back (weights too large for their fan-in) or from step to step
 * (updates too large for the weights) makes the early layers' steps huge, and soon NaN.
 * Thresholds: AUTOTRAINER (‖∇W_first‖/‖∇W_last‖ > 70), a bound on any gradient norm.
 */
import type { LayerNode } from '../model/graph';
import type { Fix, Rule, RuleContext, RuleFinding, Severity } from './types';
import { activationAfter, activationOf, finiteStepsAndWeights, findingAt, initFor, lowerLearningRateFix, meanReductionFix, median, paramIndex, paramName, varianceKeepingInit, layerName } from './util';
import { shortNumber } from '../numbers';
import { optimizerDef } from '../model/catalogue';

/** Above the variance-keeping std by this factor, a written init is what multiplies the gradient at every layer. */
const OVERSIZE = 1.2;

/**
 * Weight layers whose written init starts above the variance-keeping one for the activation after
 * them. PyTorch's default init is below it for every activation, so it is never the cause.
 */
export function oversizedInits(ctx: RuleContext, layers: readonly LayerNode[]): LayerNode[] {
  const first = ctx.trace.steps[0];
  if (!first) return [];
  return layers.filter((l) => {
    const i = paramIndex(ctx.trace, paramName(l, 'weight'));
    const shape = l.params.find((p) => p.name === 'weight')?.shape;
    const written = l.init.weight && l.init.weight.scheme !== 'default';
    if (i < 0 || !shape || !written) return false;
    return first.params[i].weightStd > OVERSIZE * varianceKeepingInit(activationAfter(ctx.spec, l), shape).std;
  });
}

function fixesFor(ctx: RuleContext, weights: readonly LayerNode[], fromInit: boolean, grew: boolean, throughLayers: boolean): Fix[] {
  const fixes: Fix[] = [];
  const large = fromInit ? oversizedInits(ctx, weights) : [];
  if (large.length) {
    fixes.push({
      title: `Initialise ${large.length === 1 ? layerName(large[0]) : `the ${large.length} weight layers`} for the activation after ${large.length === 1 ? 'it' : 'each'} (xavier/He) instead of the large init that multiplies the gradient at every layer`,
      intents: large.map((l) => ({ kind: 'set-init', layer: l.path, init: { weight: initFor(ctx.spec, l) } })),
    });
  }
  if (grew) {
    const mean = meanReductionFix(ctx);
    if (mean) fixes.push(mean);
    const lr = lowerLearningRateFix(ctx, 'the gradient grew under the updates');
    if (lr) fixes.push(lr);
  }
  // LayerNorm before each hidden activation rescales the pre-activations: forward and backward, each
  // layer's gain returns to about one whatever the weights' scale. It does nothing for large inputs
  // or large updates, so only when the layers themselves multiply the gradient.
  if (fromInit && (throughLayers || large.length)) {
    const last = weights[weights.length - 1];
    const acts = weights
      .filter((l) => l !== last)
      .map((l) => activationAfter(ctx.spec, l))
      .filter((a): a is LayerNode => !!activationOf(a) && a!.inShape.length === 1);
    if (acts.length && acts.length === weights.length - 1) {
      fixes.push({
        title: `Insert LayerNorm before the ${acts.length} hidden activation${acts.length > 1 ? 's' : ''}, so each layer's output returns to unit scale`,
        intents: acts.map((a) => ({ kind: 'insert-layer', before: a.path, type: 'LayerNorm', args: { normalized_shape: a.inShape[0] } })),
      });
    }
  }
  if (fixes.length) fixes[0].preferred = true;
  return fixes;
}

/**
 * A gradient past the bound from the first step that training brings down: the loss and that
 * gradient never pass their first value again, and over the second half of the run are at half of
 * it or less (the median, as shuffled mini-batches make each step's value noisy). The gradient's
 * size was the loss's scale, not a growth: PyTorch's polynomial tutorial (MSELoss(reduction='sum')
 * over 2000 samples, ‖∇W‖ 2.9e5, lr 1e-6, the loss 8.7e4 → 9.0e3 in 5 steps), a summed loss over
 * batches of 200 windows under RMSprop (‖∇W‖ 3e4, the loss 4.6e4 → about 6e3 but up and down from
 * batch to batch). Updates that grow the gradient never bring it back under its start.
 */
function settling(losses: readonly number[], norms: readonly number[], adaptive: boolean): boolean {
  // An adaptive optimiser (Adam, RMSprop) moves each weight by about lr whatever the gradient's
  // size: there, the gradient and the loss coming down at all is enough (the polynomial tutorial
  // under RMSprop at lr 1e-3 falls by 30% in 20 steps and trains); under SGD the large step must
  // show it does no harm by halving them.
  const falling = (v: readonly number[]) =>
    v.length >= 3 &&
    v.every((x) => Number.isFinite(x) && x <= v[0]) &&
    (median(v.slice(Math.ceil(v.length / 2))) <= v[0] / 2 || (adaptive && v[v.length - 1] < v[0]));
  return falling(losses) && falling(norms);
}

export const explodingGradient: Rule = {
  id: 'exploding-gradient',
  title: 'Exploding gradient: the early layers receive a gradient far larger than the last one, or gradients grow without bound',
  defaultSeverity: 'warning',
  check(ctx) {
    const { config } = ctx;
    const { trace, weights } = finiteStepsAndWeights(ctx);
    if (!weights.length || !trace.steps.length) return [];
    const cfg = config.explodingGradient;
    const normsOf = (l: LayerNode) => {
      const i = paramIndex(trace, paramName(l, 'weight'));
      return trace.steps.map((s) => s.params[i].gradNorm);
    };
    const first = weights[0];
    const last = weights[weights.length - 1];
    const firstNorms = normsOf(first);
    const lastNorms = normsOf(last);
    const ratios = firstNorms.map((n, j) => (lastNorms[j] > 0 && Number.isFinite(n) ? n / lastNorms[j] : NaN));
    // The first step measures the model as written; the median, what the updates keep doing to it.
    const ratio = Math.max(ratios[0] ?? NaN, median(ratios.filter((r) => Number.isFinite(r))));

    // The bound: the first step on which a weight's gradient norm passed it, on the first such layer
    // (where the growth has gone furthest back), with the largest norm of that step.
    let crossed: { layer: LayerNode; step: number; norm: number; norms: number[]; largest: number; largestAt: LayerNode } | undefined;
    for (let j = 0; j < trace.steps.length && !crossed; j++) {
      for (const l of weights) {
        const norms = normsOf(l);
        if (!(Number.isFinite(norms[j]) && norms[j] > cfg.normBound)) continue;
        if (!crossed) crossed = { layer: l, step: j, norm: norms[j], norms, largest: norms[j], largestAt: l };
        else if (norms[j] > crossed.largest) Object.assign(crossed, { largest: norms[j], largestAt: l });
      }
    }
    const byRatio = first !== last && ratio > cfg.ratio;
    const adaptive = optimizerDef(trace.optimizer.type)?.traits.adaptive === true;
    if (crossed && !byRatio && settling(trace.steps.map((st) => st.loss), crossed.norms, adaptive)) crossed = undefined;
    if (!byRatio && !crossed) return [];
    const severity: Severity = 'warning';

    let f: RuleFinding;
    let grew: boolean;
    let fromInit: boolean;
    if (byRatio) {
      const atStart = ratios[0] === ratio;
      const firstNorm = atStart ? firstNorms[0] : median(firstNorms.filter((n) => Number.isFinite(n)));
      const lastNorm = atStart ? lastNorms[0] : median(lastNorms.filter((n) => Number.isFinite(n)));
      const when = atStart ? 'at step 0' : `median over ${trace.steps.length} steps`;
      f = findingAt(
        'exploding-gradient',
        severity,
        first,
        `gradient explodes towards ${layerName(first)}: its ‖∇W‖ = ${shortNumber(firstNorm)} is ${shortNumber(ratio)}× the last layer's ${shortNumber(lastNorm)} (${when})`,
      );
      f.related.push({ range: last.typeRange, message: `the last weight layer, ${layerName(last)}: ‖∇W‖ = ${shortNumber(lastNorm)}` });
      f.evidence.push({ label: '‖∇W_first‖/‖∇W_last‖', values: ratios }, { label: `‖∇W‖ of ${first.path}`, values: firstNorms });
      // Large already at step 0: the weights as initialised multiply it.
      fromInit = ratios[0] > cfg.ratio;
      grew = !fromInit;
    } else {
      const c = crossed!;
      const start = c.norms[0];
      fromInit = c.step === 0;
      grew = c.step > 0 && c.norm > 10 * start;
      // The step as the run numbers it (a training run records some steps only).
      const history = c.step > 0 ? `grew from ${shortNumber(start)} at step ${trace.steps[0].step} to ${shortNumber(c.norm)} at step ${trace.steps[c.step].step}` : `is ${shortNumber(c.norm)} at step ${trace.steps[0].step}`;
      const largest = c.largestAt !== c.layer ? `; ${shortNumber(c.largest)} at ${layerName(c.largestAt)}` : '';
      f = findingAt(
        'exploding-gradient',
        severity,
        c.layer,
        `gradient explodes at ${layerName(c.layer)}: its ‖∇W‖ ${history}, past the bound ${shortNumber(cfg.normBound)}${largest}`,
      );
      f.evidence.push({ label: `‖∇W‖ of ${c.layer.path}`, values: c.norms });
    }
    f.fixes = fixesFor({ ...ctx, trace }, weights, fromInit, grew, byRatio);
    return [f];
  },
};
