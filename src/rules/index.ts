/**
 * Every rule, in one typed table keyed by id (so a rule id without a rule does not compile), and
 * the runner: apply the severity settings, collect, rank.
 */
import type { ModelSpec } from '../model/graph';
import type { Trace } from '../trace/types';
import { DEFAULT_CONFIG, RuleConfig } from './config';
import { collapsedAttention } from './collapsed-attention';
import { customGradient } from './custom-gradient';
import { deadRelu } from './dead-relu';
import { disconnectedParameter } from './disconnected-parameter';
import { explodingGradient } from './exploding-gradient';
import { gradientThroughTime } from './gradient-through-time';
import { learningRate } from './learning-rate';
import { lossActivationMismatch } from './loss-activation-mismatch';
import { nonFinite } from './non-finite';
import { poorInitialisation } from './poor-initialisation';
import { rankFindings } from './rank';
import { saturatedActivation } from './saturated-activation';
import { saturatedGates } from './saturated-gates';
import { CustomOpUse, Rule, RULE_IDS, RuleFinding, RuleId } from './types';
import { underflow } from './underflow';
import { layerOrder } from './util';
import { vanishingGradient } from './vanishing-gradient';

export const RULES: { [K in RuleId]: Rule & { id: K } } = {
  'saturated-activation': saturatedActivation as Rule & { id: 'saturated-activation' },
  'dead-relu': deadRelu as Rule & { id: 'dead-relu' },
  'vanishing-gradient': vanishingGradient as Rule & { id: 'vanishing-gradient' },
  'exploding-gradient': explodingGradient as Rule & { id: 'exploding-gradient' },
  'non-finite': nonFinite as Rule & { id: 'non-finite' },
  'disconnected-parameter': disconnectedParameter as Rule & { id: 'disconnected-parameter' },
  'learning-rate': learningRate as Rule & { id: 'learning-rate' },
  'poor-initialisation': poorInitialisation as Rule & { id: 'poor-initialisation' },
  'loss-activation-mismatch': lossActivationMismatch as Rule & { id: 'loss-activation-mismatch' },
  underflow: underflow as Rule & { id: 'underflow' },
  'custom-gradient': customGradient as Rule & { id: 'custom-gradient' },
  'gradient-through-time': gradientThroughTime as Rule & { id: 'gradient-through-time' },
  'saturated-gates': saturatedGates as Rule & { id: 'saturated-gates' },
  'collapsed-attention': collapsedAttention as Rule & { id: 'collapsed-attention' },
};

export interface CheckInput {
  trace: Trace;
  spec: ModelSpec;
  config?: RuleConfig;
  /** Custom ops a decorated TypeScript model used, for the custom-gradient rule. */
  customOps?: CustomOpUse[];
}

/** The rules that compare a network's early layers with its last weight layer. */
const ACROSS_DEPTH = new Set<RuleId>(['vanishing-gradient', 'exploding-gradient']);

/** Runs every rule that is not switched off and returns the findings ranked, fixes as intents. */
export function checkTrace(input: CheckInput): RuleFinding[] {
  const config = input.config ?? DEFAULT_CONFIG;
  const ctx = { ...input, config };
  const findings: RuleFinding[] = [];
  for (const id of RULE_IDS) {
    if (config.severity[id] === 'off') continue;
    // A GAN's generator and discriminator are two networks: depth ratios are measured within each.
    const each = input.spec.severalModels && ACROSS_DEPTH.has(id) ? input.spec.model.children.map((model) => ({ ...ctx, spec: { ...input.spec, model } })) : [ctx];
    for (const c of each) findings.push(...withSeverity(RULES[id].check(c), config));
  }
  return rankFindings(findings, layerOrder(input.spec));
}

/**
 * The user's severity settings, applied in this one place: a rule gives its own severity (an error
 * for 100% dead units, a warning below), a setting other than 'default' replaces it, 'off' drops
 * the finding.
 */
export function withSeverity(findings: readonly RuleFinding[], config: RuleConfig): RuleFinding[] {
  return findings.flatMap((f) => {
    const setting = config.severity[f.rule];
    if (setting === 'off') return [];
    return setting === undefined || setting === 'default' ? [f] : [{ ...f, severity: setting }];
  });
}

export { DEFAULT_CONFIG, withDefaults } from './config';
export type { RuleConfig } from './config';
export * from './types';
