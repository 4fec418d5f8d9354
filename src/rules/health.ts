/**
 * Each parameter's health (NaN, zero, exploding, vanishing, healthy) with the reason, judged once
 * by the analyse step with the user's thresholds, beside the findings. The sidebar, the panel and
 * the report show this one judgement: none of them applies a threshold of its own, so changing
 * `gradientLens.rules.*` (or the CLI's --config) moves the health column with the findings.
 */
import { shortNumber } from '../numbers';
import type { Trace } from '../trace/types';
import { DEFAULT_CONFIG, type RuleConfig } from './config';
import type { RuleId } from './types';

/** Worst first: the order rows are sorted in. */
export const HEALTH_ORDER = ['nan', 'zero', 'exploding', 'vanishing', 'healthy'] as const;
export type Health = (typeof HEALTH_ORDER)[number];

/** One parameter's status, in `trace.params` order. */
export interface ParamHealth {
  /** named_parameters() name, as in TraceParam.name. */
  name: string;
  health: Health;
  /** Why, in the user's words: a finding's message, or the measured number against its threshold. */
  reason: string;
}

/** Which health a finding on a parameter's layer implies (rules about a cause, not the symptom, imply none). */
const RULE_HEALTH: Partial<Record<RuleId, Health>> = {
  'non-finite': 'nan',
  'disconnected-parameter': 'zero',
  'exploding-gradient': 'exploding',
  'vanishing-gradient': 'vanishing',
  underflow: 'vanishing',
};

/** What health needs of a finding (a rule's, a resolved one, or a view's). */
export interface HealthFinding {
  rule: string;
  layer: string;
  message: string;
}

/**
 * The findings (which follow the user's severity settings) decide first; the last step's numbers
 * against `config`'s thresholds decide for parameters no finding names.
 */
export function paramHealth(trace: Trace, findings: readonly HealthFinding[], config: RuleConfig = DEFAULT_CONFIG): ParamHealth[] {
  const { normBound } = config.explodingGradient;
  const { meanAbs } = config.vanishingGradient;
  return trace.params.map((p, i): ParamHealth => {
    const steps = trace.steps.map((s) => s.params[i]).filter((s) => s !== undefined);
    const last = steps[steps.length - 1];
    let health: Health = 'healthy';
    let reason = '';
    const worse = (h: Health, why: string) => {
      if (HEALTH_ORDER.indexOf(h) < HEALTH_ORDER.indexOf(health)) {
        health = h;
        reason = why;
      }
    };
    for (const f of findings) {
      const h = f.layer === p.layer ? RULE_HEALTH[f.rule as RuleId] : undefined;
      if (h) worse(h, f.message);
    }
    const nonFiniteStep = steps.findIndex((s) => s.nonFinite > 0 || !Number.isFinite(s.gradNorm));
    if (nonFiniteStep >= 0) worse('nan', `non-finite gradient from step ${trace.steps[nonFiniteStep].step}`);
    if (last && (!last.reached || last.gradNorm === 0)) {
      worse('zero', last.reached ? 'gradient exactly zero at the last step' : 'no path from this parameter to the loss');
    }
    if (last && last.gradNorm > normBound) {
      worse('exploding', `‖∇‖ = ${shortNumber(last.gradNorm, 3)} above ${normBound} (explodingGradient.normBound)`);
    }
    if (last && last.reached && last.gradMeanAbs > 0 && last.gradMeanAbs < meanAbs) {
      worse('vanishing', `mean |∇| = ${shortNumber(last.gradMeanAbs, 3)} below ${meanAbs} (vanishingGradient.meanAbs)`);
    }
    return { name: p.name, health, reason: reason || (last ? 'gradient within the thresholds' : 'not traced yet') };
  });
}
