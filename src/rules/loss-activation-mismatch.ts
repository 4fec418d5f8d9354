/**
 * The last activation, the loss and the targets must agree on what the model outputs: logits,
 * probabilities or log-probabilities, and what it is compared with. PyTorch's fused losses apply
 * their own sigmoid/softmax, so one more in the model squashes the gradient; a loss that expects
 * log-probabilities on raw outputs is unbounded below. Checks from NeuraLint and UMLAUT; static on
 * the spec, with the measured outputs and the batch's targets where they help:
 * - binary cross-entropy targets outside [0, 1] (class indices 0, 1, 2 given to one sigmoid unit):
 *   for a target t > 1 the loss −t·log p − (1 − t)·log(1 − p) has no minimum and goes negative;
 * - BCELoss given values outside [0, 1] (no Sigmoid): PyTorch raises, and the trace records what
 *   the loss refused; the finding goes on the layer that feeds the loss, as an error;
 * - a non-negative activation (ReLU) as logits: the negative ones are clamped with no gradient;
 * - a bounded last activation for regression targets outside its range, read from the batch's
 *   targets (exact also for data files, where the spec has no distribution).
 * Every share of targets is judged against `targetsOutOfRange` (1%).
 */
import { LOSSES, traitsOf, type LayerType, type LossTraits, type LossType } from '../model/catalogue';
import type { ArgValue, Distribution, LayerNode } from '../model/graph';
import type { Fix, FixIntent, Rule, RuleContext, RuleFinding, Severity } from './types';
import { activationOf, findingAt, fix, writtenLossArgs, leafLayers, layerName } from './util';
import { percent, shortNumber } from '../numbers';

/** The last layer that decides what kind of values reach the loss (Dropout, Identity and Flatten do not). */
function lastLayer(leaves: LayerNode[]): LayerNode | undefined {
  for (let i = leaves.length - 1; i >= 0; i--) if (traitsOf(leaves[i].type).passThrough !== 'values') return leaves[i];
  return undefined;
}

/** Abramowitz–Stegun 7.1.26 (error < 1.5e-7): enough for a share of targets in a message. */
function erf(x: number): number {
  const s = Math.sign(x);
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);
  return s * y;
}

const normalCdf = (x: number, mean: number, std: number): number => (std > 0 ? 0.5 * (1 + erf((x - mean) / (std * Math.SQRT2))) : x >= mean ? 1 : 0);

/**
 * Share of the targets outside [lo, hi]: counted on the batch the trace trained on for the ranges
 * of bounded activations ([0, 1], [-1, 1], [0, ∞)), from the spec's distribution otherwise.
 */
export function shareOutside(ctx: RuleContext, lo: number, hi: number): number {
  const t = ctx.trace.data?.target;
  if (t) {
    if (lo === 0 && hi === 1) return t.belowZero + t.aboveOne;
    if (lo === -1 && hi === 1) return t.belowMinusOne + t.aboveOne;
    if (lo === 0 && hi === Infinity) return t.belowZero;
  }
  return distributionShareOutside(ctx, lo, hi);
}

/**
 * Share of targets the spec's target distribution puts outside [lo, hi]; 0 when the targets are
 * unknown (a data file outside a batch summary, a training run's log): nothing to claim.
 */
function distributionShareOutside(ctx: RuleContext, lo: number, hi: number): number {
  const d = ctx.spec.target.distribution;
  if (!d) return 0;
  switch (d.kind) {
    case 'normal':
      return normalCdf(lo, d.mean, d.std) + (1 - normalCdf(hi, d.mean, d.std));
    case 'uniform': {
      const width = d.high - d.low;
      if (!(width > 0)) return d.low < lo || d.low > hi ? 1 : 0;
      const inside = Math.max(0, Math.min(hi, d.high) - Math.max(lo, d.low));
      return 1 - inside / width;
    }
    case 'integers':
    case 'classes': {
      // Integers in [low, high), as the synthetic data draws them.
      const [low, high] = d.kind === 'classes' ? [0, d.count] : [d.low, d.high];
      const n = high - low;
      if (!(n > 0)) return 0;
      let inside = 0;
      for (let v = Math.ceil(Math.max(lo, low)); v <= Math.min(hi, high - 1); v++) inside++;
      return 1 - inside / n;
    }
    case 'bernoulli':
      return (0 < lo || 0 > hi ? 1 - d.p : 0) + (1 < lo || 1 > hi ? d.p : 0);
  }
}

/** The layer's output at the first step, as the trace measured it. */
function measured(ctx: RuleContext, layer: LayerNode): { mean: number; absMax: number } | null {
  const o = ctx.trace.steps[0]?.outputs.find((x) => x.layer === layer.path);
  return o ? { mean: o.mean, absMax: o.absMax } : null;
}

function classCount(ctx: RuleContext, layer: LayerNode): number | null {
  const d = ctx.spec.target.distribution;
  if (d?.kind === 'classes') return d.count;
  const out = layer.outShape;
  return out && out.length ? out[0] : null;
}

interface Problem {
  severity: Severity;
  message: string;
  /** The activation at fault; the loss section when there is none. */
  on: LayerNode | 'loss';
  fixes: Fix[];
}

/** The targets as the batch has them: their range and whether they are whole numbers (labels). */
function targetRange(ctx: RuleContext): { min: number; max: number; integers: boolean } | null {
  const t = ctx.trace.data?.target;
  if (t) return { min: t.min, max: t.max, integers: t.integers };
  const d = ctx.spec.target.distribution;
  if (!d) return null;
  switch (d.kind) {
    case 'integers':
      return { min: d.low, max: d.high - 1, integers: true };
    case 'classes':
      return { min: 0, max: d.count - 1, integers: true };
    case 'bernoulli':
      return { min: 0, max: 1, integers: true };
    case 'uniform':
      return { min: d.low, max: d.high, integers: false };
    case 'normal':
      return { min: -Infinity, max: Infinity, integers: false };
  }
}

/**
 * Binary cross-entropy (BCELoss, BCEWithLogitsLoss) compares each output with a probability: a
 * target outside [0, 1] makes the loss unbounded below, and the model chases it instead of the data.
 */
function binaryTargetsProblem(ctx: RuleContext, last: LayerNode | undefined): Problem | null {
  const { spec } = ctx;
  const takes = LOSSES[spec.loss.type].traits as LossTraits;
  if (takes.input !== 'probabilities' && takes.applies !== 'sigmoid') return null;
  const share = shareOutside(ctx, 0, 1);
  if (!(share > ctx.config.lossActivationMismatch.targetsOutOfRange)) return null;
  const range = targetRange(ctx);
  const span = range && Number.isFinite(range.min) && Number.isFinite(range.max) ? ` (from ${shortNumber(range.min)} to ${shortNumber(range.max)}${range.integers ? ', whole numbers: class labels' : ''})` : '';
  const loss = spec.loss.type;
  const fixes: Fix[] = [];
  const weights = leafLayers(spec).filter((l) => traitsOf(l.type).weight);
  const out = weights[weights.length - 1];
  const sigmoid = last && activationOf(last)?.output === 'probability' ? last : undefined;
  const dropSigmoid: FixIntent[] = sigmoid ? [{ kind: 'remove-layer', layer: sigmoid.path }] : [];
  const lossArgs = writtenLossArgs(ctx, (k) => k === 'reduction');
  if (range?.integers && range.min === 0 && range.max >= 2 && out && out.args.out_features !== undefined) {
    const classes = range.max + 1;
    // Class indices: one logit per class and cross-entropy over them.
    fixes.push(
      fix(`Treat the labels 0–${range.max} as ${classes} classes: ${layerName(out)} with ${classes} outputs${sigmoid ? `, no ${sigmoid.type}` : ''}, CrossEntropyLoss on class indices`, [
        { kind: 'set-loss', type: 'CrossEntropyLoss', args: lossArgs },
        { kind: 'set-layer-args', layer: out.path, args: { out_features: classes } },
        { kind: 'set-data', which: 'target', shape: [], distribution: { kind: 'classes', count: classes } },
        ...dropSigmoid,
      ]),
    );
  } else if (range?.integers && range.max - range.min === 1) {
    // Two labels, just not 0 and 1 (1 = benign, 2 = malignant): shift them.
    fixes.push(
      fix(`Map the labels ${shortNumber(range.min)} and ${shortNumber(range.max)} to 0 and 1`, [
        { kind: 'set-data', which: 'target', shape: spec.target.shape, distribution: { kind: 'integers', low: 0, high: 2 } },
      ]),
    );
  } else {
    // Values on a scale (a rating from 1 to 10): a regression.
    fixes.push(fix(`Predict the values as a regression: MSELoss${sigmoid ? ` without the ${sigmoid.type}` : ''}`, [{ kind: 'set-loss', type: 'MSELoss', args: lossArgs }, ...dropSigmoid]));
  }
  fixes[0].preferred = true;
  return {
    severity: 'warning',
    on: 'loss',
    message: `${loss} takes targets in [0, 1] (probabilities), but ${percent(share)} of the targets are outside${span}: for a target above 1 the loss has no minimum and goes below zero`,
    fixes,
  };
}

/** The step on which most of the layer's units sat where its derivative is zero (clamped), and that share. */
function mostClamped(ctx: RuleContext, layer: LayerNode): { step: number; share: number } | null {
  let most: { step: number; share: number } | null = null;
  for (const s of ctx.trace.steps) {
    const a = s.activations.find((x) => x.layer === layer.path);
    if (a && Number.isFinite(a.zeroDerivativeShare) && (!most || a.zeroDerivativeShare > most.share)) most = { step: s.step, share: a.zeroDerivativeShare };
  }
  return most;
}

/**
 * A softmax loss over one class: log_softmax of a single logit is 0 whatever the logit, so the loss
 * is exactly 0 and no parameter gets a gradient (pytorch/examples' DDP tutorial series trains
 * Linear(20, 1) with F.cross_entropy). Judged on what the trace measured, not the width alone: the
 * loss must be 0 at every step.
 */
function singleClassProblem(ctx: RuleContext, last: LayerNode | undefined): Problem | null {
  const { spec } = ctx;
  const steps = ctx.trace.steps;
  if ((LOSSES[spec.loss.type].traits as LossTraits).applies !== 'log_softmax' || !last || last.outShape?.[0] !== 1) return null;
  if (!steps.length || steps.some((s) => s.loss !== 0)) return null;
  const t = targetRange(ctx);
  const binary = t !== null && t.min >= 0 && t.max <= 1;
  const lossArgs = writtenLossArgs(ctx, (k) => k === 'reduction');
  // A spec's class-index targets become one value per sample, as the new loss compares them.
  const classes = spec.target.distribution?.kind === 'classes';
  const targets = (distribution: Distribution): FixIntent[] => (classes ? [{ kind: 'set-data', which: 'target', shape: [1], distribution }] : []);
  const regression = fix('Predict the value as a regression: MSELoss', [{ kind: 'set-loss', type: 'MSELoss', args: lossArgs }, ...targets({ kind: 'normal', mean: 0, std: 1 })]);
  const logistic = fix('One logit for a binary target: BCEWithLogitsLoss', [{ kind: 'set-loss', type: 'BCEWithLogitsLoss', args: lossArgs }, ...targets({ kind: 'bernoulli', p: 0.5 })]);
  return {
    severity: 'error',
    on: 'loss',
    message: `${spec.loss.type} over 1 class: log_softmax of a single logit is always 0, so the loss is exactly 0 at all ${steps.length} traced steps and no parameter gets a gradient (${layerName(last)} has 1 output; a softmax loss needs one per class)`,
    fixes: binary ? [{ ...logistic, preferred: true }, regression] : [{ ...regression, preferred: true }, logistic],
  };
}

function problemsFor(ctx: RuleContext, last: LayerNode | undefined): Problem[] {
  const found: Problem[] = [];
  const single = singleClassProblem(ctx, last);
  if (single) return [single];
  const labels = binaryTargetsProblem(ctx, last);
  if (labels) found.push(labels);
  const p = activationProblem(ctx, last);
  if (p) found.push(p);
  return found;
}

function activationProblem(ctx: RuleContext, last: LayerNode | undefined): Problem | null {
  const { spec } = ctx;
  const loss = spec.loss.type;
  const takes = LOSSES[loss].traits as LossTraits;
  const act = activationOf(last);
  const removal = (l: LayerNode): FixIntent => ({ kind: 'remove-layer', layer: l.path });
  const remove = (l: LayerNode, extra = ''): Fix => fix(`Remove ${layerName(l)}${extra}`, [removal(l)]);
  // Only reduction carries over to another loss: the others' own arguments (HuberLoss's delta) do not apply.
  const replaceLoss = (type: LossType): FixIntent => ({ kind: 'set-loss', type, args: writtenLossArgs(ctx, (k) => k === 'reduction') });
  const swap = (l: LayerNode, type: LayerType, args: Record<string, ArgValue> = {}): FixIntent => ({ kind: 'replace-layer', layer: l.path, with: type, args });
  const type = last?.type ?? '';
  const out = last ? measured(ctx, last) : null;
  const withMean = out ? `: outputs already in (0, 1), mean ${shortNumber(out.mean)}` : '';
  const largest = out ? ` (largest ${shortNumber(out.absMax)})` : '';

  // A loss that applies the sigmoid itself, after a Sigmoid: twice.
  if (takes.applies === 'sigmoid' && act?.output === 'probability' && last) {
    return {
      severity: 'warning',
      on: last,
      message: `1 ${type} before ${loss} applies sigmoid twice${withMean}`,
      fixes: [
        { ...remove(last, `: ${loss} applies the sigmoid itself`), preferred: true },
        { title: 'Use BCELoss, which takes probabilities', intents: [replaceLoss('BCELoss')] },
      ],
    };
  }

  // A loss that applies log_softmax itself, after a softmax (or its log): twice.
  if (takes.applies === 'log_softmax' && last && (act?.output === 'distribution' || act?.output === 'log-distribution')) {
    const dim = last.args.dim;
    if (act.output === 'log-distribution') {
      // log_softmax is idempotent: the loss and gradients are unchanged, only the intent is muddled.
      return {
        severity: 'info',
        on: last,
        message: `1 LogSoftmax before CrossEntropyLoss is redundant: CrossEntropyLoss applies log_softmax itself (same loss, ${classCount(ctx, last) ?? '?'} classes)`,
        fixes: [
          { ...remove(last), preferred: true },
          { title: 'Use NLLLoss, which takes log-probabilities', intents: [replaceLoss('NLLLoss')] },
        ],
      };
    }
    return {
      severity: 'warning',
      on: last,
      message: `1 Softmax before CrossEntropyLoss applies softmax twice: the loss gets probabilities${largest} instead of logits, so its gradient is squashed`,
      fixes: [
        { ...remove(last, ': CrossEntropyLoss applies log_softmax itself'), preferred: true },
        { title: `Replace Softmax with LogSoftmax and use NLLLoss`, intents: [swap(last, 'LogSoftmax', { dim }), replaceLoss('NLLLoss')] },
      ],
    };
  }

  // Logits that cannot go below zero: ReLU clamps the negative ones and passes them no gradient.
  if (takes.input === 'logits' && last && act?.range && act.range[0] >= 0 && act.range[1] === Infinity) {
    const m = act.derivative === 'rectifier' ? mostClamped(ctx, last) : null;
    const clamped = !m
      ? ''
      : m.share > 0
        ? `: up to ${percent(m.share)} of them are below 0 (at step ${m.step}) and pass no gradient back`
        : `: none is below 0 yet over the ${ctx.trace.steps.length} traced steps, but any that goes below passes no gradient back`;
    const what =
      takes.applies === 'sigmoid'
        ? `so every predicted probability is at least 0.5`
        : `so a wrong class cannot be pushed below the others`;
    return {
      severity: 'warning',
      on: last,
      message: `1 ${type} before ${loss} keeps the logits ≥ 0${clamped}, ${what}`,
      fixes: [{ ...remove(last, `: ${loss} takes logits of any sign`), preferred: true }],
    };
  }

  // Logits squashed into a bounded range cannot express confidence.
  if (takes.applies === 'log_softmax' && last && act?.derivative === 'saturating' && act.range) {
    const classes = classCount(ctx, last);
    if (classes && classes > 1) {
      // With logits confined to [lo, hi], the right class gets at most e^hi / (e^hi + (C−1)·e^lo).
      const [lo, hi] = act.range;
      const best = Math.exp(hi) / (Math.exp(hi) + (classes - 1) * Math.exp(lo));
      return {
        severity: 'warning',
        on: last,
        message: `1 ${type} before CrossEntropyLoss squashes the logits into (${lo}, ${hi}): with ${classes} classes the right class can reach at most ${percent(best)} probability`,
        fixes: [{ ...remove(last, ': CrossEntropyLoss takes unbounded logits'), preferred: true }],
      };
    }
  }

  // A loss that takes log-probabilities, after something else.
  if (takes.input === 'log-probabilities' && act?.output !== 'log-distribution') {
    if (last && act?.output === 'distribution') {
      return {
        severity: 'warning',
        on: last,
        message: `1 Softmax before NLLLoss: NLLLoss expects log-probabilities and gets probabilities${largest}, so it maximises p instead of log p`,
        fixes: [
          { title: 'Replace Softmax with LogSoftmax', intents: [swap(last, 'LogSoftmax', { dim: last.args.dim })], preferred: true },
          { title: 'Remove Softmax and use CrossEntropyLoss', intents: [removal(last), replaceLoss('CrossEntropyLoss')] },
        ],
      };
    }
    const raw = out ? `: outputs reach ${shortNumber(out.absMax)} (mean ${shortNumber(out.mean)}), log-probabilities are ≤ 0` : '';
    return {
      severity: 'warning',
      on: last && act?.range ? last : 'loss',
      message: `raw outputs of ${last ? `${layerName(last)}` : 'the model'} into NLLLoss without LogSoftmax${raw}: the loss is unbounded below`,
      fixes: [{ title: 'Use CrossEntropyLoss, which applies log_softmax to the outputs', intents: [replaceLoss('CrossEntropyLoss')], preferred: true }],
    };
  }

  // A loss that takes probabilities, after something other than a sigmoid.
  if (takes.input === 'probabilities' && act?.output !== 'probability') {
    if (last && act?.output === 'distribution') {
      return {
        severity: 'warning',
        on: last,
        message: `1 Softmax before BCELoss: its ${classCount(ctx, last) ?? 'several'} outputs sum to 1, so at most one label can be near 1; BCELoss scores each output as its own probability`,
        fixes: [
          { title: 'Replace Softmax with Sigmoid', intents: [swap(last, 'Sigmoid')], preferred: true },
          { title: 'Remove Softmax and use BCEWithLogitsLoss', intents: [removal(last), replaceLoss('BCEWithLogitsLoss')] },
        ],
      };
    }
    const fixes: Fix[] = [];
    if (last && act) fixes.push(fix(`Replace ${type} with Sigmoid, whose outputs are probabilities`, [swap(last, 'Sigmoid')]));
    fixes.push(
      act && last
        ? fix(`Remove ${type} ${last.path} and use BCEWithLogitsLoss, which applies the sigmoid itself`, [removal(last), replaceLoss('BCEWithLogitsLoss')])
        : fix('Use BCEWithLogitsLoss, which applies the sigmoid itself to the raw outputs', [replaceLoss('BCEWithLogitsLoss')]),
    );
    fixes[0].preferred = true;
    const refused = ctx.trace.lossRejected;
    const feeding = last ? `${layerName(last)}` : 'the model';
    if (refused) {
      // PyTorch raises here: the run stops at this step, so it is an error, on the layer that feeds the loss.
      return {
        severity: 'error',
        on: last ?? 'loss',
        message:
          `BCELoss takes probabilities in [0, 1], but the outputs of ${feeding} run from ${shortNumber(refused.min)} to ${shortNumber(refused.max)} at step ${refused.step} ` +
          `(${percent(refused.outsideShare)} outside): PyTorch raises "all elements of input should be between 0 and 1"; ${act ? 'use a Sigmoid' : 'add a Sigmoid'} or BCEWithLogitsLoss`,
        fixes,
      };
    }
    const raw = out ? `: outputs reach ${shortNumber(out.absMax)}` : '';
    return {
      severity: 'warning',
      on: last ?? 'loss',
      message: `no Sigmoid before BCELoss: BCELoss takes probabilities in [0, 1]${raw}`,
      fixes,
    };
  }

  // A regression loss after a bounded activation, with targets outside its range.
  if (takes.input === 'values' && last && act?.range) {
    const [lo, hi] = act.range;
    const share = shareOutside(ctx, lo, hi);
    if (share > ctx.config.lossActivationMismatch.targetsOutOfRange) {
      const range = hi === Infinity ? `≥ ${lo}` : `in [${lo}, ${hi}]`;
      return {
        severity: 'warning',
        on: last,
        message: `last-layer ${type} outputs only values ${range}, but ${percent(share)} of the ${loss} targets are outside that range`,
        fixes: [{ ...remove(last, ': a regression output needs no activation'), preferred: true }],
      };
    }
  }
  return null;
}

export const lossActivationMismatch: Rule = {
  id: 'loss-activation-mismatch',
  title: 'Last activation, loss and targets disagree: double sigmoid/softmax, missing LogSoftmax or Sigmoid, ReLU logits, bounded outputs for unbounded targets, labels that are not probabilities',
  defaultSeverity: 'warning',
  check(ctx) {
    const { spec } = ctx;
    // A loss written by hand says nothing of what its inputs should be: no finding is better than one about a loss the file does not use.
    if (spec.loss.byHand) return [];
    // A loss on another model's output (a GAN's generator's) says nothing of the traced model's last layer.
    if (spec.loss.onOtherModel) return [];
    // Weights after the last layer (`h @ W2 + b2`) stand between it and the loss: it is not what feeds the loss.
    const last = spec.loss.weightsAfterLast ? undefined : lastLayer(leafLayers(spec));
    const findings: RuleFinding[] = [];
    for (const p of problemsFor(ctx, last)) {
      const lossRelated = { range: spec.loss.typeRange, message: `the loss: ${spec.loss.type}` };
      let f: RuleFinding;
      if (p.on === 'loss') {
        f = { rule: 'loss-activation-mismatch', severity: p.severity, message: p.message, layer: '', range: spec.loss.typeRange, related: [], evidence: [], fixes: p.fixes };
        if (last) f.related.push({ range: last.typeRange, message: `the model's last layer: ${layerName(last)}` });
        f.related.push({ range: spec.target.range, message: 'the targets' });
      } else {
        f = findingAt('loss-activation-mismatch', p.severity, p.on, p.message);
        f.related.push(lossRelated);
        f.fixes = p.fixes;
      }
      const out = p.on === 'loss' || !p.on ? null : ctx.trace.steps.map((s) => s.outputs.find((o) => o.layer === (p.on as LayerNode).path)?.mean ?? NaN);
      if (out) f.evidence.push({ label: 'mean output', values: out });
      findings.push(f);
    }
    return findings;
  },
};
