/**
 * What the loss curve and the weights say about training as a whole: whether the model has fit its
 * batch (every gradient is small because there is nothing left to learn), or whether it diverges
 * (the loss grows while the updates throw the weights out). Read by the gradient and learning-rate
 * rules, so a converged model is not called vanishing and a diverging one is blamed on its steps.
 */
import type { StepRecord, Trace } from '../trace/types';
import { weightParams } from './util';

export interface Convergence {
  /** The first step whose loss is at or below `ratio` of the first step's. */
  step: number;
  loss: number;
  /** The first recorded step (0 in a trace; a training run's log may start later) and its loss. */
  initialStep: number;
  initialLoss: number;
}

/**
 * The first step from which the model has fit the batch: its loss at most `ratio` of the first
 * step's (the seed article's single sample, fit to a loss of 1e-9). Losses that can go below zero
 * (NLLLoss on raw outputs) have no such floor and never converge here.
 */
export function convergence(trace: Trace, ratio: number): Convergence | null {
  const first = trace.steps[0];
  if (!first || !(first.loss > 0) || !Number.isFinite(first.loss)) return null;
  for (const s of trace.steps) {
    if (!Number.isFinite(s.loss)) return null;
    if (s.loss >= 0 && s.loss <= ratio * first.loss) return { step: s.step, loss: s.loss, initialStep: first.step, initialLoss: first.loss };
  }
  return null;
}

/** The steps before the model fit its batch: what a rule about learning reads. */
export function stepsBeforeConvergence(trace: Trace, ratio: number): StepRecord[] {
  const c = convergence(trace, ratio);
  return c ? trace.steps.filter((s) => s.step < c.step) : trace.steps;
}

export interface Divergence {
  /** The first step whose loss passed `lossGrowth` × the first step's, or was not finite. */
  step: number;
  /** The first recorded step and its loss. */
  initialStep: number;
  initialLoss: number;
  /** That step's loss (NaN or Infinity when it overflowed). */
  loss: number;
  /** The weight that grew most over the trace, and by how much (its largest norm over the first step's). */
  param: string;
  weightGrowth: number;
  /** The largest update/weight ratio of any weight on any step. */
  peakUpdate: number;
}

export interface DivergenceThresholds {
  /** The loss grew past this many times its first value (or overflowed). */
  lossGrowth: number;
  /** Some weight's norm grew past this many times its initial norm. */
  weightGrowth: number;
  /** Some update was at least this share of the weight it changed. */
  update: number;
}

/**
 * Training that runs away: the loss grows far above where it started (or overflows), a weight's
 * norm blows up, and the updates were as large as the weights. All three, so a large first loss
 * that falls (targets far from zero), weights that grow while the loss falls, or a NaN from
 * another cause (Adam's eps = 0) are not read as divergence.
 */
export function divergence(trace: Trace, t: DivergenceThresholds): Divergence | null {
  const steps = trace.steps;
  const first = steps[0];
  if (!first || !(first.loss > 0) || !Number.isFinite(first.loss)) return null;
  const at = steps.findIndex((s) => !Number.isFinite(s.loss) || s.loss > t.lossGrowth * first.loss);
  if (at < 0) return null;
  const weights = weightParams(trace);
  let peakUpdate = 0;
  let growth = { param: '', factor: 0 };
  for (let j = 0; j < steps.length; j++) {
    for (const { index, param } of weights) {
      const p = steps[j].params[index];
      if (Number.isFinite(p.updateRatio) && p.weightNorm > 0) peakUpdate = Math.max(peakUpdate, p.updateRatio);
      const w0 = first.params[index].weightNorm;
      // Weights that overflowed have grown without bound.
      const factor = w0 > 0 ? (Number.isFinite(p.weightNorm) ? p.weightNorm / w0 : Infinity) : 0;
      if (factor > growth.factor) growth = { param: param.name, factor };
    }
  }
  if (!(growth.factor > t.weightGrowth) || !(peakUpdate >= t.update)) return null;
  return { step: steps[at].step, initialStep: first.step, initialLoss: first.loss, loss: steps[at].loss, param: growth.param, weightGrowth: growth.factor, peakUpdate };
}
