/**
 * Every threshold the rules use, with the defaults from the published tools they come from
 * (DESIGN.md: AUTOTRAINER, DeepDiagnosis, SageMaker Debugger, NeuraLint). Each one is a setting.
 */
import { RULE_IDS, type RuleId, type Severity } from './types';

export interface RuleConfig {
  /** Per rule: its severity, or 'off'; 'default' keeps the rule's own choice (e.g. error for 100% dead). */
  severity: Partial<Record<RuleId, Severity | 'off' | 'default'>>;
  saturatedActivation: {
    /**
     * Flag a Sigmoid or Tanh layer when more than this share of its units sit where the slope is
     * almost flat. A unit counts when its derivative is below 1% of the peak: |x| > 6 for Sigmoid, |x| > 3 for Tanh.
     */
    share: number;
  };
  deadRelu: {
    /**
     * Warn when more than this share of a ReLU layer's units are dead (active on fewer than 1% of
     * the samples: they output zero and pass no gradient); an error when all of them are. Convolutions
     * count channels. AUTOTRAINER's 70%: healthy nets reach 47% (rules/dead-relu.ts).
     */
    share: number;
    /**
     * Judge dead units only on steps with at least this many samples: a healthy unit is off on one
     * sample half the time, on all of 8 samples only 0.4% of the time.
     */
    minSamples: number;
  };
  vanishingGradient: {
    /**
     * Flag a vanishing gradient when the first layer's weight gradient is smaller than this
     * fraction of the last layer's, and also below the first-norm threshold. ‖∇W_first‖ / ‖∇W_last‖ < ratio.
     */
    ratio: number;
    /**
     * The first layer's weight gradient must also be below this size for a vanishing gradient to
     * be flagged, so a small but workable gradient is left alone. ‖∇W_first‖ < firstNorm.
     */
    firstNorm: number;
    /** Flag any weight whose gradient entries average below this size, on their own. mean |∇W| < meanAbs. */
    meanAbs: number;
    /**
     * Steps whose loss is at most this share of the first step's have fit the batch: their small
     * gradients are convergence, reported as information, not as a vanishing gradient (nor, for
     * their small updates, as a learning rate too small).
     */
    convergedLoss: number;
  };
  explodingGradient: {
    /** Flag an exploding gradient when the first layer's weight gradient is this many times the last layer's. ‖∇W_first‖ / ‖∇W_last‖ > ratio. */
    ratio: number;
    /** Flag an exploding gradient when any parameter's gradient grows past this size, whatever the other layers do. ‖∇W‖ > normBound. */
    normBound: number;
  };
  learningRate: {
    /** Warn that the learning rate is too small when each step changes the weights by less than this share of their size. ‖Δw‖ / ‖w‖ < tooSmall. */
    tooSmall: number;
    /** An error when a step changes the weights by less than this share of their size: they do not train at all. ‖Δw‖ / ‖w‖ < min. */
    min: number;
    /** Flag a learning rate too large when a step changes the weights by more than this many times their size. ‖Δw‖ / ‖w‖ > max. */
    max: number;
    /**
     * Too small is judged, with SGD, on the steps where some weight's ‖∇W‖/‖w‖ reaches this: on
     * the others the small updates are a small gradient's (a plateau, a vanished gradient), not the lr's.
     */
    gradientScale: number;
    /**
     * Too large because training diverges (an error): the loss grew past this many times its first
     * value, or overflowed, while a weight blew up and an update was as large as its weight.
     */
    lossGrowth: number;
    /**
     * Steps whose loss is at most this share of the first step's come from a model that has fit its
     * data (a real run at step 20,000 on a memorised batch): their updates are small whatever the
     * learning rate, so they are left out of judging it too small.
     */
    fittedLoss: number;
    /** Diverging: a weight's norm grew past this many times its initial norm (with the loss growth and a large update). */
    weightGrowth: number;
    /** Diverging: some update was at least this share of the weight it changed (with the loss growth and a weight blow-up). */
    divergingUpdate: number;
    /** The share of the weights' size a suggested learning rate aims to change per step (the usual rule of thumb). ‖Δw‖ / ‖w‖ ≈ suggestedRatio. */
    suggestedRatio: number;
  };
  initialisation: {
    /** Flag weights that start (nearly) constant or zero: their variance is below this (NeuraLint, DeepDiagnosis). Var(W) < minVariance. */
    minVariance: number;
    /** Flag weights that start far too large: their variance is above this. Var(W) > maxVariance. */
    maxVariance: number;
    /**
     * Flag a weight whose starting variance is this many times above or below the Xavier/He value
     * for the activation after it. Var(W) / Var_xavier/he > factor, or < 1/factor.
     */
    factor: number;
    /**
     * Weights that start constant are still symmetric when, after the traced steps, their rows
     * (units, filters) differ by less than this share of the weights' size.
     */
    symmetry: number;
  };
  underflow: {
    /** Flag a gradient when more than this share of its nonzero entries are so small that float32 loses precision on them (subnormal, below 1.2e-38). */
    subnormalShare: number;
    /**
     * A gradient smaller than this that becomes exactly zero one op later was lost to float32's
     * range (flushed), not cut by the model. ‖∇‖ < flushNorm, then ‖∇‖ = 0.
     */
    flushNorm: number;
  };
  customGradient: {
    /**
     * Flag a hand-written backward whose gradient differs from float64 finite differences by more
     * than this relative error (torch.autograd.gradcheck's tolerance). |g − g_numeric| / |g_numeric| > relativeError.
     */
    relativeError: number;
  };
  lossActivationMismatch: {
    /** Flag a bounded last activation (Sigmoid, Tanh) before a regression loss when more than this share of the targets lies outside the range it can output. */
    targetsOutOfRange: number;
  };
  gradientThroughTime: {
    /**
     * Flag a recurrent layer whose gradient grows through time: the loss's gradient at its first time
     * step is more than this many times the one at its last. ‖∂loss/∂h_first‖ / ‖∂loss/∂h_last‖ > explodingRatio.
     */
    explodingRatio: number;
    /**
     * Note (as information) a recurrent layer whose gradient fades through time: the loss's gradient
     * at its first time step is less than this fraction of the one at its last. ‖∂loss/∂h_first‖ / ‖∂loss/∂h_last‖ < vanishingRatio.
     */
    vanishingRatio: number;
  };
  saturatedGates: {
    /** A recurrent layer is flagged when more than this share of its gate (or candidate) entries is saturated. */
    share: number;
  };
  collapsedAttention: {
    /** An attention head is flagged when more than this share of its rows puts at least 99% of its weight on one key. */
    share: number;
  };
}

export const DEFAULT_CONFIG: RuleConfig = {
  severity: {},
  saturatedActivation: { share: 0.5 },
  deadRelu: { share: 0.7, minSamples: 8 },
  vanishingGradient: { ratio: 1e-3, firstNorm: 1e-4, meanAbs: 1e-7, convergedLoss: 1e-6 },
  explodingGradient: { ratio: 70, normBound: 1e4 },
  learningRate: { tooSmall: 1e-5, min: 1e-8, max: 10, suggestedRatio: 1e-3, gradientScale: 1e-3, lossGrowth: 10, weightGrowth: 10, divergingUpdate: 1, fittedLoss: 0.01 },
  initialisation: { minVariance: 1e-5, maxVariance: 10, factor: 10, symmetry: 0.01 },
  underflow: { subnormalShare: 0.01, flushNorm: 1e-30 },
  customGradient: { relativeError: 1e-4 },
  lossActivationMismatch: { targetsOutOfRange: 0.01 },
  gradientThroughTime: { explodingRatio: 70, vanishingRatio: 1e-3 },
  saturatedGates: { share: 0.5 },
  collapsedAttention: { share: 0.9 },
};

// ---------------------------------------------------------------- valid values
// One definition for a --config file (rules/config-check.ts), the extension's settings and package.json.

export const SEVERITY_SETTINGS = ['default', 'error', 'warning', 'info', 'off'] as const;
export type SeveritySetting = (typeof SEVERITY_SETTINGS)[number];

/** Threshold groups and their fields, from the defaults (one place for the names). */
export const THRESHOLD_GROUPS = Object.keys(DEFAULT_CONFIG).filter((g) => g !== 'severity') as Exclude<keyof RuleConfig, 'severity'>[];

/** Thresholds that are shares of units, entries or targets: in (0, 1]. Every other one is any number > 0. */
const SHARES = new Set([
  'saturatedActivation.share',
  'deadRelu.share',
  'underflow.subnormalShare',
  'lossActivationMismatch.targetsOutOfRange',
  'vanishingGradient.convergedLoss',
  'initialisation.symmetry',
  'learningRate.fittedLoss',
  'saturatedGates.share',
  'collapsedAttention.share',
]);

/** The bounds of a threshold: every threshold is > 0, shares are at most 1. */
export function thresholdBounds(group: string, field: string): { exclusiveMinimum: 0; maximum?: 1 } {
  return SHARES.has(`${group}.${field}`) ? { exclusiveMinimum: 0, maximum: 1 } : { exclusiveMinimum: 0 };
}

/** Why `value` is not a valid `group.field` threshold, or null. */
export function thresholdProblem(group: string, field: string, value: unknown): string | null {
  const b = thresholdBounds(group, field);
  const ok = typeof value === 'number' && Number.isFinite(value) && value > b.exclusiveMinimum && (b.maximum === undefined || value <= b.maximum);
  if (ok) return null;
  return b.maximum === undefined ? 'must be a number > 0' : `must be a number in (0, ${b.maximum}]`;
}

/** Why `value` is not a severity setting, or null. */
export function severityProblem(value: unknown): string | null {
  return typeof value === 'string' && (SEVERITY_SETTINGS as readonly string[]).includes(value) ? null : `must be one of ${SEVERITY_SETTINGS.join(', ')}`;
}

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

const own = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/**
 * Settings over defaults, one level deep (every group is a flat record of numbers). Only known
 * groups, thresholds and rule ids are copied: a `__proto__` key reaches no prototype. Values are
 * taken as given; user input goes through rules/config-check.ts first.
 */
export function withDefaults(partial: DeepPartial<RuleConfig> = {}): RuleConfig {
  const out = structuredClone(DEFAULT_CONFIG) as unknown as Record<string, Record<string, unknown>>;
  for (const [group, values] of Object.entries(partial)) {
    if (!own(out, group) || !values || typeof values !== 'object') continue;
    for (const [k, v] of Object.entries(values)) {
      if (group === 'severity' ? (RULE_IDS as readonly string[]).includes(k) : own(out[group], k)) out[group][k] = v;
    }
  }
  return out as unknown as RuleConfig;
}
