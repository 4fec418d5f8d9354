/**
 * The update/weight ratio ‖Δw‖/‖w‖ says what a learning rate does to this model: around 1e-3 per step
 * the weights move steadily; far below they never move, far above they are overwritten each step.
 * Thresholds: SageMaker Debugger and DeepDiagnosis ([1e-8, 10], "too small" below 1e-5).
 */
import { optimizerDef } from '../model/catalogue';
import type { Fix, Rule, RuleContext, RuleFinding, Severity } from './types';
import { pct, severityFor, shortNumber, weightParams, fix } from './util';

/**
 * A step whose loss fell below this share of the first step's comes from a model that has fit its
 * data: its gradients, and so its updates, are small whatever the learning rate (a real run at step
 * 20,000 on a memorised batch). Such steps say nothing about a learning rate being too small.
 */
const FITTED_SHARE = 0.01;

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

export const learningRate: Rule = {
  id: 'learning-rate',
  title: 'Learning rate too small or too large: the update/weight ratio ‖Δw‖/‖w‖ per step',
  defaultSeverity: 'warning',
  check(ctx) {
    const { trace, spec, config } = ctx;
    const { ratios: perStep, rounded } = ratiosPerStep(ctx);
    const all = perStep.flat();
    if (!all.length) return [];
    const measured = perStep.filter((r) => r.length);
    const first = trace.steps[0].loss;
    const fitted = (j: number) => first > 0 && Number.isFinite(first) && trace.steps[j].loss <= first * FITTED_SHARE;
    const learning = perStep.filter((r, j) => r.length && !fitted(j));
    // Too small is judged on the weight that moves most: if even it barely moves, the lr is at fault,
    // while a median would also catch weights starved by a vanishing gradient (another rule's finding).
    const largest = learning.length ? median(learning.map((r) => Math.max(...r))) : Infinity;
    const typical = median(measured.map((r) => median(r)));
    const lr = trace.optimizer.lr;
    const { tooSmall, min, max, suggestedRatio } = config.learningRate;
    let own: Severity;
    let what: string;
    let ratio = largest;
    let tooLarge = false;
    if (largest < min) {
      own = 'error';
      what = `learning rate too small: updates are ${shortNumber(ratio)} of the weights: at lr=${shortNumber(lr)} nothing will change`;
    } else if (largest < tooSmall) {
      own = 'warning';
      what = `learning rate too small: updates are ${shortNumber(ratio)} of the weights: at lr=${shortNumber(lr)} training will crawl`;
    } else if (typical > max) {
      own = 'error';
      ratio = typical;
      tooLarge = true;
      what = `learning rate too large: updates are ${shortNumber(ratio)}× the weights: at lr=${shortNumber(lr)} each step overwrites them`;
    } else {
      return [];
    }
    const severity = severityFor(ctx, 'learning-rate', own);
    if (severity === 'off') return [];
    const f: RuleFinding = {
      rule: 'learning-rate',
      severity,
      message:
        `${what} (${tooLarge ? 'median' : 'largest'} ‖Δw‖/‖w‖ per step, median over ${tooLarge ? measured.length : learning.length} steps; about ${shortNumber(suggestedRatio)} is usual` +
        (rounded ? `; float32 rounded ${pct(rounded / all.length)} of the updates away entirely)` : ')'),
      layer: '',
      range: spec.optimizer.typeRange,
      related: [],
      evidence: [
        { label: 'largest update/weight ratio', values: perStep.map((r) => (r.length ? Math.max(...r) : NaN)) },
        { label: 'median update/weight ratio', values: perStep.map((r) => (r.length ? median(r) : NaN)) },
      ],
      fixes: [],
    };
    // The ratio grows with lr (SGD: lr·‖g‖; Adam: about lr per entry), so scale lr by how far the ratio is off.
    // Too large: later steps measure the blow-up, not the lr; the first step is the clean measurement.
    const basis = tooLarge && perStep[0].length ? median(perStep[0]) : ratio;
    if (Number.isFinite(lr) && lr > 0 && basis > 0 && Number.isFinite(basis)) {
      const suggested = readableRate((lr * suggestedRatio) / basis);
      if (suggested !== lr) f.fixes.push(fixFor(ctx, suggested));
    }
    return [f];
  },
};
