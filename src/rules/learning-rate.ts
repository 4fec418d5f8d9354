/**
 * The update/weight ratio ‖Δw‖/‖w‖ says what a learning rate does to this model: around 1e-3 per step
 * the weights move steadily; far below they never move, far above they are overwritten each step.
 * Thresholds: SageMaker Debugger and DeepDiagnosis ([1e-8, 10], "too small" below 1e-5).
 *
 * Too large is also read from what the updates do: training diverges when the loss grows past 10×
 * its first value (or overflows) while a weight's norm grows past 10× and some update is at least
 * as large as its weight. Measured on examples/: none of the 55 healthy models ever has a loss
 * above its first step's within 20 steps (their weights grow up to 13×, with first updates up to
 * 1.9× the weights, when targets far from zero are being fit), while every diverging bug grows its
 * loss 10× to 1e36× within three steps — among them SGD whose updates are 2–7× the weights on every
 * step, below the ratio threshold of 10 (examples/bugs/huge-lr).
 *
 * Too small is judged on the steps before the model has fit its batch (a converged model's updates
 * are tiny because its gradients are): not from the step where the loss is 1e-6 of the first's
 * (vanishingGradient.convergedLoss), nor on any step whose loss is at most 1% of the first's
 * (fittedLoss: a real run at step 20,000 on a memorised batch, seed_xavier's one sample). Measured
 * over 20 steps on the 117 models of examples/ that train a step: 4 ever get to 1% of their first
 * loss (an embedding classifier and the seed's single sample that train, two bugs of other rules),
 * and the learning-rate bugs stay at 69–100% of it. And, with SGD, it is judged on the steps whose
 * gradient is not itself tiny: some weight's ‖∇W‖/‖w‖ must reach 1e-3. Measured on the first step: every healthy and buggy
 * model of examples/ with a gradient has 2.7e-2 or more, except an 8-layer tanh stack at std 0.01
 * (3.4e-8), whose small updates are its init's doing (poor-initialisation, vanishing-gradient); a
 * deep sigmoid stack stuck at its targets' mean drops to 1e-5 from step 3 (vanishing-gradient).
 */
import { optimizerDef } from '../model/catalogue';
import { convergence, divergence, type Divergence } from './progress';
import type { Fix, Rule, RuleContext, RuleFinding, Severity } from './types';
import { fix, weightParams } from './util';
import { percent, shortNumber } from '../numbers';


function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The nearest of 1, 2, 5 × 10^k in log scale: a learning rate a person would write. */
export function readableRate(v: number): number {
  const k = Math.floor(Math.log10(v));
  let best = 10 ** k;
  for (const m of [1, 2, 5, 10]) {
    const c = m * 10 ** k;
    if (Math.abs(Math.log(c / v)) < Math.abs(Math.log(best / v))) best = c;
  }
  // 2 × 1e-5 computed in floating point is 2.0000000000000003e-5; write it as the person would.
  return Number(best.toPrecision(1));
}

/**
 * Ratios of the weights that are actually trained: a parameter without gradient (disconnected) or
 * without weights (zero init, ratio infinite) says nothing about the learning rate. `rounded` counts
 * the updates float32 rounded away entirely (w − Δ == w): there the ratio is the update the
 * optimiser meant, lr·‖g‖/‖w‖ for SGD (momentum only adds to it) and about lr·√n/‖w‖ for Adam.
 */
function ratiosPerStep(ctx: RuleContext): { ratios: number[][]; rounded: number } {
  const { trace } = ctx;
  const lr = trace.optimizer.lr;
  // An adaptive optimiser (Adam) moves each entry by about lr whatever its gradient.
  const adaptive = optimizerDef(trace.optimizer.type)?.traits.adaptive === true;
  let rounded = 0;
  const ratios = trace.steps.map((s) => {
    const out: number[] = [];
    for (const { index, param } of weightParams(trace)) {
      const p = s.params[index];
      if (!(p.gradNorm > 0 && p.weightNorm > 0 && Number.isFinite(p.updateRatio) && Number.isFinite(p.gradNorm))) continue;
      if (p.updateRatio > 0) {
        out.push(p.updateRatio);
        continue;
      }
      const n = param.shape.reduce((a, b) => a * b, 1) * (1 - p.zeroFraction);
      const meant = (adaptive ? lr * Math.sqrt(n) : lr * p.gradNorm) / p.weightNorm;
      if (meant > 0 && Number.isFinite(meant)) {
        out.push(meant);
        rounded++;
      }
    }
    return out;
  });
  return { ratios, rounded };
}

function fixFor(ctx: RuleContext, lr: number): Fix {
  return fix(`Set ${ctx.spec.optimizer.type}'s lr to ${shortNumber(lr)}`, [{ kind: 'set-optimizer-args', args: { lr } }], true);
}

/** With SGD the update is lr·‖g‖: a tiny gradient makes tiny updates at any lr. The largest ‖∇W‖/‖w‖ of a step. */
function gradientScale(trace: RuleContext['trace'], step: number): number {
  let scale = 0;
  for (const { index } of weightParams(trace)) {
    const p = trace.steps[step].params[index];
    if (p.weightNorm > 0 && Number.isFinite(p.gradNorm)) scale = Math.max(scale, p.gradNorm / p.weightNorm);
  }
  return scale;
}

function divergenceMessage(d: Divergence, lr: number, usual: number): string {
  const to = Number.isFinite(d.loss) ? shortNumber(d.loss) : `${d.loss} (it overflowed)`;
  const growth = Number.isFinite(d.weightGrowth) ? `${shortNumber(d.weightGrowth)}×` : 'past float range';
  return (
    `learning rate too large: training diverges at lr=${shortNumber(lr)}: the loss grew from ${shortNumber(d.initialLoss)} at step ${d.initialStep} to ${to} at step ${d.step}, ` +
    `${d.param} grew ${growth} its initial norm, and an update reached ${shortNumber(d.peakUpdate)}× its weight (about ${shortNumber(usual)} is usual)`
  );
}

export const learningRate: Rule = {
  id: 'learning-rate',
  title: 'Learning rate too small or too large: the update/weight ratio ‖Δw‖/‖w‖ per step, and divergence',
  defaultSeverity: 'warning',
  check(ctx) {
    const { trace, spec, config } = ctx;
    const cfg = config.learningRate;
    const { ratios: allSteps, rounded } = ratiosPerStep(ctx);
    const adaptive = optimizerDef(trace.optimizer.type)?.traits.adaptive === true;
    // After the model has fit its batch its updates are small because its gradients are; and with
    // SGD a step whose gradient is tiny everywhere (a plateau, a vanished gradient) says nothing of the lr.
    const converged = convergence(trace, config.vanishingGradient.convergedLoss);
    const judged = (j: number) => (!converged || trace.steps[j].step < converged.step) && (adaptive || gradientScale(trace, j) >= cfg.gradientScale);
    const perStep = allSteps.filter((_, j) => judged(j));
    const all = perStep.flat();
    const measured = perStep.filter((r) => r.length);
    const first = trace.steps[0]?.loss ?? NaN;
    const fitted = (j: number) => first > 0 && Number.isFinite(first) && trace.steps[j].loss <= first * cfg.fittedLoss;
    // Indices into allSteps, so that a step's loss is read on its own step.
    const learning = allSteps.filter((r, j) => r.length && judged(j) && !fitted(j));
    // Too small is judged on the weight that moves most: if even it barely moves, the lr is at fault,
    // while a median would also catch weights starved by a vanishing gradient (another rule's finding).
    const largest = learning.length ? median(learning.map((r) => Math.max(...r))) : NaN;
    const typical = measured.length ? median(measured.map((r) => median(r))) : NaN;
    const lr = trace.optimizer.lr;
    const diverged = divergence(trace, { lossGrowth: cfg.lossGrowth, weightGrowth: cfg.weightGrowth, update: cfg.divergingUpdate });
    if (!diverged && !measured.length) return [];
    const { tooSmall, min, max, suggestedRatio } = cfg;
    let severity: Severity;
    let what: string;
    let ratio = largest;
    let tooLarge = false;
    if (diverged) {
      severity = 'error';
      tooLarge = true;
      what = divergenceMessage(diverged, lr, cfg.suggestedRatio);
    } else if (typical > max) {
      severity = 'error';
      ratio = typical;
      tooLarge = true;
      what = `learning rate too large: updates are ${shortNumber(ratio)}× the weights: at lr=${shortNumber(lr)} each step overwrites them`;
    } else if (largest < tooSmall) {
      severity = largest < min ? 'error' : 'warning';
      what = `learning rate too small: updates are ${shortNumber(ratio)} of the weights: at lr=${shortNumber(lr)} ${largest < min ? 'nothing will change' : 'training will crawl'}`;
    } else {
      return [];
    }
    // Too large is read on every judged step, too small only on those before the model fit its data.
    const counted = tooLarge ? measured.length : learning.length;
    const leftOutFit = !!converged || (!tooLarge && allSteps.some((r, j) => r.length && fitted(j)));
    const steps = `median over ${counted} steps${leftOutFit ? ' before the model fit its batch' : ''}`;
    const f: RuleFinding = {
      rule: 'learning-rate',
      severity,
      message: diverged
        ? what
        : `${what} (${tooLarge ? 'median' : 'largest'} ‖Δw‖/‖w‖ per step, ${steps}; about ${shortNumber(suggestedRatio)} is usual` +
          (rounded ? `; float32 rounded ${percent(rounded / all.length)} of the updates away entirely)` : ')'),
      layer: '',
      range: spec.optimizer.typeRange,
      related: [],
      evidence: [
        { label: 'largest update/weight ratio', values: allSteps.map((r) => (r.length ? Math.max(...r) : NaN)) },
        { label: 'median update/weight ratio', values: allSteps.map((r) => (r.length ? median(r) : NaN)) },
      ],
      fixes: [],
    };
    if (diverged) f.evidence.unshift({ label: 'loss', values: trace.steps.map((s) => s.loss) });
    // The ratio grows with lr (SGD: lr·‖g‖; Adam: about lr per entry), so scale lr by how far the ratio is off.
    // Too large: later steps measure the blow-up, not the lr; the first step is the clean measurement.
    const basis = tooLarge && allSteps[0]?.length ? median(allSteps[0]) : ratio;
    if (Number.isFinite(lr) && lr > 0 && basis > 0 && Number.isFinite(basis)) {
      // Diverging, the first step's update may look moderate: lower lr tenfold at least.
      const aimed = (lr * suggestedRatio) / basis;
      const suggested = readableRate(tooLarge ? Math.min(aimed, lr / 10) : aimed);
      if (suggested !== lr) f.fixes.push(fixFor(ctx, suggested));
    }
    return [f];
  },
};
