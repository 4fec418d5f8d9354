/**
 * Every threshold the rules use, with the defaults from the published tools they come from
 * (DESIGN.md: AUTOTRAINER, DeepDiagnosis, SageMaker Debugger, NeuraLint). Each one is a setting.
 */
import { RULE_IDS, type RuleId, type Severity } from './types';

export interface RuleConfig {
  /** Per rule: its severity, or 'off'; 'default' keeps the rule's own choice (e.g. error for 100% dead). */
  severity: Partial<Record<RuleId, Severity | 'off' | 'default'>>;
  saturatedActivation: {
    /** A layer is flagged when more than this share of its units is saturated. */
    share: number;
  };
  deadRelu: {
    /**
     * Warning above this share of units (channels for convolutions) dead on every sample of the
     * batch; error when all are dead. AUTOTRAINER's 70%: healthy nets reach 47% (rules/dead-relu.ts).
     */
    share: number;
    /**
     * Fewest samples per step to tell a dead unit from one that is merely off: a healthy unit is off
     * on one sample half the time, on 8 samples 0.4% of the time.
     */
    minSamples: number;
  };
  vanishingGradient: {
    /** ‖∇W_first‖/‖∇W_last‖ below this… */
    ratio: number;
    /** …and ‖∇W_first‖ below this. */
    firstNorm: number;
    /** Or mean |grad| of a weight below this. */
    meanAbs: number;
    /**
     * Steps whose loss is at most this share of the first step's have fit the batch: their small
     * gradients are convergence, reported as information, not as a vanishing gradient (nor, for
     * their small updates, as a learning rate too small).
     */
    convergedLoss: number;
  };
  explodingGradient: {
    /** ‖∇W_first‖/‖∇W_last‖ above this. */
    ratio: number;
    /** Or any gradient norm above this. */
    normBound: number;
  };
  learningRate: {
    /** ‖Δw‖/‖w‖ below this is "too small". */
    tooSmall: number;
    /** Below this nothing changes at all (error). */
    min: number;
    /** Above this the weights are overwritten each step. */
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
    /** The ratio a suggested learning rate aims for (the usual rule of thumb). */
    suggestedRatio: number;
  };
  initialisation: {
    minVariance: number;
    maxVariance: number;
    /** Flag a weight whose variance is this many times off the Xavier/He value for the activation after it. */
    factor: number;
    /**
     * Weights that start constant are still symmetric when, after the traced steps, their rows
     * (units, filters) differ by less than this share of the weights' size.
     */
    symmetry: number;
  };
  underflow: {
    /** Share of nonzero gradient entries in float32's subnormal range. */
    subnormalShare: number;
    /** A gradient norm below this that becomes exactly zero one op later was flushed, not cut (float32's smallest normal is 1.2e-38). */
    flushNorm: number;
  };
  customGradient: {
    relativeError: number;
  };
  lossActivationMismatch: {
    /** A bounded last activation before a regression loss is flagged when more than this share of targets lies outside its range. */
    targetsOutOfRange: number;
  };
  gradientThroughTime: {
    /** ‖∂loss/∂h_first‖/‖∂loss/∂h_last‖ of a recurrent layer above this: the gradient explodes through time. */
    explodingRatio: number;
    /** Below this: it vanishes through time (information). */
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
