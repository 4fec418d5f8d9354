/**
 * A gradient that shrinks on its way back through the layers leaves the early weights untrained:
 * each activation and weight matrix multiplies it, and a product of many factors below one goes to
 * zero. Thresholds: AUTOTRAINER (‖∇W‖ ratio to the last layer < 1e-3 with ‖∇W‖ < 1e-4), SageMaker
 * Debugger (mean |grad| < 1e-7).
 */
import type { LayerNode, ModelSpec } from '../model/graph';
import type { FixIntent } from '../model/fixes';
import type { Fix, Rule, RuleContext } from './types';
import {
  activationAfter,
  activationOf,
  countByType,
  feedingLayer,
  finiteStepsAndWeights,
  findingAt,
  initFor,
  leafLayers,
  median,
  num,
  paramIndex,
  paramName,
  severityFor,
  varianceKeepingInit,
} from './util';

/** Leaf layers after `layer` in forward order. */
function layersAfter(spec: ModelSpec, layer: LayerNode): LayerNode[] {
  const leaves = leafLayers(spec);
  return leaves.slice(leaves.findIndex((l) => l.path === layer.path) + 1);
}

/**
 * Sigmoid/tanh layers the gradient crosses between `from` and the last weight layer (a bounded
 * activation after the last weight layer is the output's, chosen for the loss, so it stays).
 */
export function hiddenSaturating(spec: ModelSpec, from: LayerNode, last: LayerNode): LayerNode[] {
  const after = layersAfter(spec, from);
  const end = after.findIndex((l) => l.path === last.path);
  return after.slice(0, end < 0 ? after.length : end).filter((l) => activationOf(l)?.derivative === 'saturating');
}

/**
 * Replaces each saturating activation with ReLU and gives the weight layer feeding it He init: the
 * pairing that keeps a gradient's scale through depth (He et al. 2015). One fix, all the layers.
 */
export function reluFix(ctx: RuleContext, saturating: readonly LayerNode[], from: LayerNode): Fix | undefined {
  if (!saturating.length) return undefined;
  const intents: FixIntent[] = [];
  const feeders = new Set<string>();
  for (const act of saturating) {
    intents.push({ kind: 'replace-layer', layer: act.path, with: 'ReLU', args: {} });
    const feeder = feedingLayer(ctx.spec, act);
    if (feeder && !feeders.has(feeder.path)) {
      feeders.add(feeder.path);
      const { scheme, args } = varianceKeepingInit({ type: 'ReLU', args: {} }, feeder.params.find((p) => p.name === 'weight')?.shape ?? [1, 1]);
      intents.push({ kind: 'set-init', layer: feeder.path, init: { weight: { scheme, args } } });
    }
  }
  return {
    title: `Replace the ${countByType(saturating)} layer${saturating.length > 1 ? 's' : ''} after ${from.type} ${from.path} with ReLU, and initialise the layers feeding them with He (kaiming_normal)`,
    intents,
  };
}

/** Weight layers between `from` (inclusive) and `last` whose init is far below the variance-keeping one: the shrinking factor. */
function undersizedInits(ctx: RuleContext, layers: readonly LayerNode[]): LayerNode[] {
  const first = ctx.trace.steps[0];
  if (!first) return [];
  return layers.filter((l) => {
    const i = paramIndex(ctx.trace, paramName(l, 'weight'));
    const shape = l.params.find((p) => p.name === 'weight')?.shape;
    if (i < 0 || !shape) return false;
    return first.params[i].weightStd < varianceKeepingInit(activationAfter(ctx.spec, l), shape).std / 4;
  });
}

/** Fixes for a gradient that shrinks between `layer` and `last`: the init, the saturating activations, their inputs. */
export function gradientFlowFixes(ctx: RuleContext, layer: LayerNode, last: LayerNode, weights: readonly LayerNode[]): Fix[] {
  const fixes: Fix[] = [];
  const saturating = hiddenSaturating(ctx.spec, layer, last);
  const between = weights.slice(weights.indexOf(layer), weights.indexOf(last));
  const small = undersizedInits(ctx, between);
  // With a derivative capped below 1 (sigmoid's 1/4), no init keeps a deep stack's gradient; for
  // tanh and ReLU the variance-keeping init does.
  if (small.length && !saturating.some((l) => (activationOf(l)?.derivativePeak ?? 1) < 1)) {
    fixes.push({
      title: `Initialise ${small.length === 1 ? `${small[0].type} ${small[0].path}` : `the ${small.length} weight layers`} for the activation after ${small.length === 1 ? 'it' : 'each'} (xavier/He) instead of the small init that shrinks the gradient`,
      intents: small.map((l) => ({ kind: 'set-init', layer: l.path, init: { weight: initFor(ctx.spec, l) } })),
    });
  }
  const relu = reluFix(ctx, saturating, layer);
  if (relu) fixes.push(relu);
  // Saturated units are what normalising the pre-activations removes; depth alone it does not.
  const saturatedOnes = saturating.filter((l) => meanSaturated(ctx, l.path) > ctx.config.saturatedActivation.share && l.inShape.length === 1);
  if (saturatedOnes.length && saturatedOnes.length === saturating.length) {
    fixes.push({
      title: `Insert LayerNorm before the ${countByType(saturatedOnes)} layer${saturatedOnes.length > 1 ? 's' : ''} to keep their inputs out of the flat ends`,
      intents: saturatedOnes.map((l) => ({ kind: 'insert-layer', before: l.path, type: 'LayerNorm', args: { normalized_shape: l.inShape[0] } })),
    });
  }
  if (fixes.length) fixes[0].preferred = true;
  return fixes;
}

function meanSaturated(ctx: RuleContext, path: string): number {
  const shares = ctx.trace.steps.flatMap((s) => s.activations.filter((a) => a.layer === path).map((a) => a.saturatedShare));
  return shares.length ? shares.reduce((a, b) => a + b, 0) / shares.length : 0;
}

export const vanishingGradient: Rule = {
  id: 'vanishing-gradient',
  title: 'Vanishing gradient: the early layers receive a gradient too small to train them',
  defaultSeverity: 'warning',
  check(ctx) {
    const { spec, config } = ctx;
    const { trace, weights } = finiteStepsAndWeights(ctx);
    if (!weights.length || !trace.steps.length) return [];
    const last = weights[weights.length - 1];
    const lastIndex = paramIndex(trace, paramName(last, 'weight'));
    const lastNorms = trace.steps.map((s) => s.params[lastIndex].gradNorm);
    const cfg = config.vanishingGradient;
    const measure = (layer: LayerNode) => {
      const i = paramIndex(trace, paramName(layer, 'weight'));
      // Steps where the gradient is exactly zero throughout are cut (disconnected, dead units, flushed
      // underflow: each rule tells its own apart), not small: measure the others.
      const steps = trace.steps.filter((s) => s.params[i].reached && Number.isFinite(s.params[i].gradNorm) && s.params[i].zeroFraction < 1);
      const norms = trace.steps.map((s) => s.params[i].gradNorm);
      const ratios = trace.steps.map((s, j) => (lastNorms[j] > 0 ? s.params[i].gradNorm / lastNorms[j] : NaN));
      const norm = median(steps.map((s) => s.params[i].gradNorm));
      const ratio = median(steps.map((s) => ratios[trace.steps.indexOf(s)]).filter((r) => Number.isFinite(r)));
      // The mean |grad| of the model as written: a model that has fit its batch has small gradients everywhere.
      const meanAbs = steps[0] === trace.steps[0] ? steps[0].params[i].gradMeanAbs : NaN;
      const live = steps.length > 0;
      const byRatio = live && layer !== last && ratio < cfg.ratio && norm < cfg.firstNorm;
      // The last layer has nothing to vanish through: its small gradient is a small loss gradient.
      const byMean = live && layer !== last && meanAbs < cfg.meanAbs;
      return { norms, ratios, norm, ratio, meanAbs, byRatio, byMean };
    };
    // Going back from the output, the first weight layer where the gradient has vanished: where it starts.
    for (let k = weights.length - 1; k >= 0; k--) {
      const layer = weights[k];
      const { norms, ratios, norm, ratio, meanAbs, byRatio, byMean } = measure(layer);
      if (!byRatio && !byMean) continue;
      const earlierOnes = weights.slice(0, k).filter((l) => {
        const m = measure(l);
        return m.byRatio || m.byMean;
      });
      const earlier = earlierOnes.length;
      const more = earlier ? `; ${earlier} weight layer${earlier > 1 ? 's' : ''} before it too` : '';
      const severity = severityFor(ctx, 'vanishing-gradient', 'warning');
      if (severity === 'off') return [];
      const through = layersAfter(spec, layer).filter((l) => activationOf(l));
      const via = through.length ? `, through ${countByType(through)} layer${through.length > 1 ? 's' : ''}` : '';
      const lastNorm = median(lastNorms.filter((n) => Number.isFinite(n)));
      const message = byRatio
        ? `gradient vanishes at ${layer.type} ${layer.path}: its ‖∇W‖ = ${num(norm)} is ${num(ratio)} of the last layer's ${num(lastNorm)}${via}${more}`
        : `gradient vanishes at ${layer.type} ${layer.path}: mean |∇W| = ${num(meanAbs)}, ‖∇W‖ = ${num(norm)}${via}${more}`;
      const f = findingAt('vanishing-gradient', severity, layer, message);
      f.evidence.push({ label: '‖∇W‖', values: norms }, { label: 'ratio to the last layer', values: ratios });
      if (layer !== last) f.related.push({ range: last.typeRange, message: `the last weight layer, ${last.type} ${last.path}: ‖∇W‖ = ${num(lastNorm)}` });
      // The fix has to carry the gradient back to the earliest starved layer, not just to this one.
      f.fixes = gradientFlowFixes({ ...ctx, trace }, earlierOnes[0] ?? layer, last, weights);
      return [f];
    }
    return [];
  },
};
