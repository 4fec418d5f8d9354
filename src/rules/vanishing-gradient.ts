/**
 * A gradient that shrinks on its way back through the layers leaves the early weights untrained:
 * each activation and weight matrix multiplies it, and a product of many factors below one goes to
 * zero. Thresholds: AUTOTRAINER (‖∇W‖ ratio to the last layer < 1e-3 with ‖∇W‖ < 1e-4), SageMaker
 * Debugger (mean |grad| < 1e-7, on the model as written).
 *
 * A layer's gradient has vanished when it meets the criterion on most steps (a gradient that stays
 * starved), or on the step with the strongest evidence in the trace (the smallest ratio); the step
 * is named, with on how many steps it shows. The strongest step catches a deep sigmoid stack
 * whose output bias soon absorbs the targets' mean shows a first-layer ratio of 1e-6 on step 0 and
 * a normal-looking ratio from step 3 on, when every gradient has gone small (the model predicts the
 * mean); a median over the steps hid it (examples/bugs/deep-sigmoid/first-step-only). Measured on
 * the 55 healthy models of examples/trains and examples/healthy, the smallest ratio on any step is
 * 6.8e-4 with ‖∇W‖ = 4.5e-4 (four Xavier sigmoid layers with Adam, which train): the two
 * conditions together keep it silent.
 *
 * Where the gradient starts vanishing is the first layer, going back from the output, that meets
 * both conditions: the ratio alone would name a weight layer one or two closer to the output in
 * three of the four deep sigmoid stacks of examples/bugs, layers that still get ‖∇W‖ 2.5e-4 to
 * 8e-3 on the model as written. The ratios are a property of the stack (on those four, the
 * engine's step 0 and PyTorch's own run on its own data agree within 35% at the layer found), but
 * ‖∇W‖ scales with how far the batch's mean target is from the first prediction: the last layer's
 * norm differs 0.36–2× between the two. A layer whose norm sits within that factor of 1e-4 can be
 * named by one and not the other, so in a deep stack the layer found is exact to about one weight
 * layer; the message states its ratio and norm, and how many earlier layers are starved too.
 *
 * Steps after the model has fit its batch (loss at most 1e-6 of the first step's) are not judged:
 * their gradients are small because there is nothing left to learn. The seed article's 1000-step
 * loop on one sample is that case, said as information (examples/trains/seed-converged-single-sample:
 * its loss is 1.9e-7 of the first step's at step 6 and 1e-9 of it by step 8). Measured: within 20
 * steps no other model of examples/trains and examples/healthy gets below 2e-4 of its first loss
 * (an embedding classifier that fits its batch well), so 1e-6 claims only a fit that is complete.
 */
import type { LayerNode, ModelSpec } from '../model/graph';
import type { FixIntent } from '../model/fixes';
import type { StepRecord, Trace } from '../trace/types';
import { convergence, type Convergence } from './progress';
import type { Fix, Rule, RuleContext, RuleFinding, Severity } from './types';
import {
  activationAfter,
  activationOf,
  countByType,
  feedingLayer,
  finiteStepsAndWeights,
  findingAt,
  initFor,
  layerName,
  leafLayers,
  paramIndex,
  paramName,
  varianceKeepingInit,
} from './util';
import { shortNumber } from '../numbers';

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
    title: `Replace the ${countByType(saturating)} layer${saturating.length > 1 ? 's' : ''} after ${layerName(from)} with ReLU, and initialise the layers feeding them with He (kaiming_normal)`,
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
      title: `Initialise ${small.length === 1 ? layerName(small[0]) : `the ${small.length} weight layers`} for the activation after ${small.length === 1 ? 'it' : 'each'} (xavier/He) instead of the small init that shrinks the gradient`,
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

/** A weight layer's gradient on one step, where it meets the criterion. */
interface Hit {
  k: number;
  by: 'ratio' | 'mean';
  ratio: number;
  norm: number;
  meanAbs: number;
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
    const indices = weights.map((l) => paramIndex(trace, paramName(l, 'weight')));
    const ratiosOf = (k: number) => trace.steps.map((s, j) => (lastNorms[j] > 0 ? s.params[indices[k]].gradNorm / lastNorms[j] : NaN));
    // A model that has fit its batch has small gradients everywhere: judge the steps before that.
    const converged = convergence(trace, cfg.convergedLoss);
    const judged = (s: StepRecord) => !converged || s.step < converged.step;
    /** The weight layers (not the last: it has nothing to vanish through) that meet the criterion on step j. */
    const hitsOn = (j: number, which: (s: StepRecord) => boolean): Hit[] => {
      const s = trace.steps[j];
      if (!which(s) || !(lastNorms[j] > 0)) return [];
      const hits: Hit[] = [];
      for (let k = 0; k < weights.length - 1; k++) {
        const p = s.params[indices[k]];
        // A gradient exactly zero throughout is cut (disconnected, dead units, flushed underflow:
        // each rule tells its own apart), not small.
        if (!p.reached || !Number.isFinite(p.gradNorm) || p.zeroFraction >= 1) continue;
        const ratio = p.gradNorm / lastNorms[j];
        const byRatio = ratio < cfg.ratio && p.gradNorm < cfg.firstNorm;
        // Mean |∇W| on the model as written: later, a model near a fit has small gradients everywhere.
        const byMean = j === 0 && p.gradMeanAbs < cfg.meanAbs;
        if (byRatio || byMean) hits.push({ k, by: byRatio ? 'ratio' : 'mean', ratio, norm: p.gradNorm, meanAbs: p.gradMeanAbs });
      }
      return hits;
    };
    // The step with the strongest evidence: the smallest ratio to the last layer on any step, else
    // the smallest mean |∇W| of the model as written.
    const raw = trace.steps.map((_, j) => hitsOn(j, judged));
    // A layer that meets the criterion on one step between two that do not has recovered by the
    // next step: a momentary dip (a ReLU network fitting one sample passes through one), not a
    // gradient that vanished. The model as written and the last step have no neighbour to recover on.
    const isolated = (j: number, k: number) =>
      j > 0 && j < raw.length - 1 && !raw[j - 1].some((h) => h.k === k) && !raw[j + 1].some((h) => h.k === k) && judged(trace.steps[j + 1]);
    const perStep = raw.map((hits, j) => hits.filter((h) => !isolated(j, h.k)));
    let best = -1;
    let strength = Infinity;
    perStep.forEach((hits, j) => {
      for (const h of hits) {
        const v = h.by === 'ratio' ? h.ratio : 1 + h.meanAbs;
        if (v < strength) {
          strength = v;
          best = j;
        }
      }
    });
    if (best < 0) return converged ? convergedFinding(ctx, trace, weights, converged) : [];
    const severity: Severity = 'warning';
    const judgedCount = trace.steps.filter(judged).length;
    // A layer's gradient has vanished when it meets the criterion on that step, or on most steps (a
    // gradient that stays starved once the loss has plateaued).
    const stepsOf = (k: number) => perStep.map((hits, j) => ({ j, hit: hits.find((h) => h.k === k) })).filter((x) => x.hit);
    const vanished = (k: number) => perStep[best].some((h) => h.k === k) || stepsOf(k).length > judgedCount / 2;
    // Going back from the output, the first weight layer where the gradient has vanished: where it starts.
    let k = weights.length - 2;
    while (k >= 0 && !vanished(k)) k--;
    const layer = weights[k];
    // Its own strongest step: the smallest ratio among the steps where it meets the criterion.
    const own = stepsOf(k).reduce((a, b) => (b.hit!.by === 'ratio' && (a.hit!.by !== 'ratio' || b.hit!.ratio < a.hit!.ratio) ? b : a));
    const at = own.hit!;
    const earlierOnes = weights.slice(0, k).filter((_, i) => vanished(i));
    const more = earlierOnes.length ? `; ${earlierOnes.length} weight layer${earlierOnes.length > 1 ? 's' : ''} before it too` : '';
    const through = layersAfter(spec, layer).filter((l) => activationOf(l));
    const via = through.length ? `, through ${countByType(through)} layer${through.length > 1 ? 's' : ''}` : '';
    const showing = stepsOf(k).length;
    const step = trace.steps[own.j].step;
    const when = `at step ${step}${step === 0 ? ' (the model as written)' : ''}`;
    const often = judgedCount > 1 ? `; on ${showing} of ${judgedCount} steps` : '';
    const lastNorm = lastNorms[own.j];
    const message =
      at.by === 'ratio'
        ? `gradient vanishes at ${layerName(layer)} ${when}: its ‖∇W‖ = ${shortNumber(at.norm)} is ${shortNumber(at.ratio)} of the last layer's ${shortNumber(lastNorm)}${via}${often}${more}`
        : `gradient vanishes at ${layerName(layer)} ${when}: mean |∇W| = ${shortNumber(at.meanAbs)}, ‖∇W‖ = ${shortNumber(at.norm)}${via}${more}`;
    const f = findingAt('vanishing-gradient', severity, layer, message);
    f.evidence.push({ label: '‖∇W‖', values: trace.steps.map((s) => s.params[indices[at.k]].gradNorm) }, { label: 'ratio to the last layer', values: ratiosOf(at.k) });
    f.related.push({ range: last.typeRange, message: `the last weight layer, ${layerName(last)}: ‖∇W‖ = ${shortNumber(lastNorm)} at step ${step}` });
    // The fix has to carry the gradient back to the earliest starved layer, not just to this one.
    f.fixes = gradientFlowFixes({ ...ctx, trace }, earlierOnes[0] ?? layer, last, weights);
    return [f];
  },
};

/**
 * The seed article's case: gradients are tiny because the loss is, not because they vanished on
 * their way back. Said as information on the first weight layer, where a user looking for a
 * vanishing gradient looks, when the steps after the fit have small or zero gradients.
 */
function convergedFinding(ctx: RuleContext, trace: Trace, weights: readonly LayerNode[], c: Convergence): RuleFinding[] {
  const first = weights[0];
  const i = paramIndex(trace, paramName(first, 'weight'));
  const after = trace.steps.filter((s) => s.step >= c.step);
  const small = after.filter((s) => s.params[i].gradMeanAbs < ctx.config.vanishingGradient.meanAbs);
  if (!small.length) return [];
  const severity: Severity = 'info';
  const final = after[after.length - 1].loss;
  const f = findingAt(
    'vanishing-gradient',
    severity,
    first,
    `gradients are small because the loss is ${final === 0 ? 'down to 0' : shortNumber(final)}: the model has fit this batch (the loss fell from ${shortNumber(c.initialLoss)} at step ${c.initialStep} to ${shortNumber(c.loss)} at step ${c.step}), not a vanishing gradient; mean |∇W| of ${layerName(first)} is below ${shortNumber(ctx.config.vanishingGradient.meanAbs)} on ${small.length} of the ${after.length} steps after that`,
  );
  f.evidence.push({ label: 'loss', values: trace.steps.map((s) => s.loss) }, { label: 'mean |∇W|', values: trace.steps.map((s) => s.params[i].gradMeanAbs) });
  return [f];
}
