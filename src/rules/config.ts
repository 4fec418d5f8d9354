/**
 * Every threshold the rules use, with the defaults from the published tools they come from
 * (DESIGN.md: AUTOTRAINER, DeepDiagnosis, SageMaker Debugger, NeuraLint). Each one is a setting.
 */
import type { RuleId, Severity } from './types';

export interface RuleConfig {
  /** Per rule: its severity, or 'off'; 'default' keeps the rule's own choice (e.g. error for 100% dead). */
  severity: Partial<Record<RuleId, Severity | 'off' | 'default'>>;
  saturatedActivation: {
    /** A layer is flagged when more than this share of its units is saturated. */
    share: number;
  };
  deadRelu: {
    /** Warning above this share of dead units; error when all are dead. */
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
    /** The ratio a suggested learning rate aims for (the usual rule of thumb). */
    suggestedRatio: number;
  };
  initialisation: {
    minVariance: number;
    maxVariance: number;
    /** Flag a weight whose variance is this many times off the Xavier/He value for the activation after it. */
    factor: number;
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
}

export const DEFAULT_CONFIG: RuleConfig = {
  severity: {},
  saturatedActivation: { share: 0.5 },
  deadRelu: { share: 0.5, minSamples: 8 },
  vanishingGradient: { ratio: 1e-3, firstNorm: 1e-4, meanAbs: 1e-7 },
  explodingGradient: { ratio: 70, normBound: 1e4 },
  learningRate: { tooSmall: 1e-5, min: 1e-8, max: 10, suggestedRatio: 1e-3 },
  initialisation: { minVariance: 1e-5, maxVariance: 10, factor: 10 },
  underflow: { subnormalShare: 0.01, flushNorm: 1e-30 },
  customGradient: { relativeError: 1e-4 },
  lossActivationMismatch: { targetsOutOfRange: 0.01 },
};

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

/** Settings over defaults, one level deep (every group is a flat record of numbers). */
export function withDefaults(partial: DeepPartial<RuleConfig> = {}): RuleConfig {
  const out = structuredClone(DEFAULT_CONFIG) as unknown as Record<string, Record<string, unknown>>;
  for (const [group, values] of Object.entries(partial)) {
    if (values && typeof values === 'object') Object.assign(out[group] ?? (out[group] = {}), values);
  }
  return out as unknown as RuleConfig;
}
