/**
 * The first op that turned finite inputs into NaN or Inf, forward or backward (PyTorch's anomaly
 * mode, tfjs's debug mode): everything after it is poisoned, so only the first one is worth a look.
 * When no op did, the optimiser's update or the data brought the non-finite value in.
 */
import { defaultOf, OPTIMIZERS } from '../model/catalogue';
import type { LayerNode, LossSpec } from '../model/graph';
import type { NonFiniteEvent, StepRecord } from '../trace/types';
import { oversizedInits } from './exploding-gradient';
import type { Fix, Rule, RuleContext, RuleFinding, Severity } from './types';
import { findingAt, initFor, layerByPath, leafLayers, lowerLearningRateFix, meanReductionFix, weightLayers, layerName } from './util';
import { percent, shortNumber } from '../numbers';

/** Weights this many times their initial norm were blown up by the updates. */
const GROWTH = 10;

/** The loss as a message names it: its torch name, or "its function" when none is known (a run log's, or one written by hand). */
function lossName(loss: LossSpec): string {
  return loss.type === ('unknown' as string) || loss.byHand ? 'its function' : loss.type;
}

function what(nan: number, inf: number): string {
  return nan && inf ? 'NaN and Inf' : nan ? 'NaN' : 'Inf';
}

/** The first step whose update left a weight non-finite: its number, its place in the trace and the parameter's index. */
function firstBadUpdate(steps: readonly StepRecord[]): { step: number; at: number; index: number } | undefined {
  for (let j = 0; j < steps.length; j++) {
    for (let i = 0; i < steps[j].params.length; i++) {
      const p = steps[j].params[i];
      if (!p.reached || p.nonFinite > 0 || !Number.isFinite(p.weightNorm)) continue;
      const next = steps[j + 1]?.params[i];
      // The next step's weights tell; on the last step the ratio does (infinite also for weights that start at zero).
      const broke = next ? !Number.isFinite(next.weightNorm) : Number.isNaN(p.updateRatio) || (p.weightNorm > 0 && !Number.isFinite(p.updateRatio));
      if (broke) return { step: steps[j].step, at: j, index: i };
    }
  }
  return undefined;
}

/** Did the updates blow the weights up before step `step`? Compares each weight's norm to its initial one. */
function weightsGrew(steps: readonly StepRecord[], step: number): boolean {
  // Step numbers, not places: a training run records some steps only.
  const i = steps.findIndex((s) => s.step >= step);
  const at = steps[i < 0 ? steps.length - 1 : i];
  if (!at || at === steps[0]) return false;
  return at.params.some((p, i) => {
    const w0 = steps[0].params[i].weightNorm;
    return w0 > 0 && (!Number.isFinite(p.weightNorm) || p.weightNorm > GROWTH * w0);
  });
}

function initFixes(ctx: RuleContext): Fix[] {
  const large = oversizedInits(ctx, weightLayers(ctx.spec));
  if (!large.length) return [];
  return [
    {
      title: `Initialise ${large.length === 1 ? layerName(large[0]) : `the ${large.length} weight layers`} for the activation after ${large.length === 1 ? 'it' : 'each'} (xavier/He): the large init grows the values past float32's range`,
      intents: large.map((l) => ({ kind: 'set-init', layer: l.path, init: { weight: initFor(ctx.spec, l) } })),
    },
  ];
}

/** Fixes for an op's NaN/Inf: what made its inputs so large, the init or the updates. */
function opFixes(ctx: RuleContext, ev: NonFiniteEvent): Fix[] {
  const fixes: Fix[] = [];
  // Weights that start too large overflow at once or send huge gradients into the first updates:
  // the init is the cause even when the overflow comes a step later.
  const first = ctx.trace.steps[0];
  const hugeAtStart = !!first && first.params.some((p) => p.gradNorm > ctx.config.explodingGradient.normBound || !Number.isFinite(p.gradNorm));
  const init = ev.step === 0 || hugeAtStart ? initFixes(ctx) : [];
  fixes.push(...init);
  if (!init.length && weightsGrew(ctx.trace.steps, ev.step)) {
    const mean = meanReductionFix(ctx);
    if (mean) fixes.push(mean);
    const lr = lowerLearningRateFix(ctx, `the weights grew ${GROWTH}× or more before step ${ev.step}`);
    if (lr) fixes.push(lr);
  }
  return fixes;
}

function optimizerFixes(ctx: RuleContext, bad: { step: number; at: number; index: number }): { message: string; fixes: Fix[] } {
  const { spec, trace } = ctx;
  const p = trace.steps[bad.at].params[bad.index];
  const name = trace.params[bad.index].name;
  // An optimiser that divides by √v + eps (Adam): with eps = 0 a gradient that was always exactly zero gives 0/0.
  const type = spec.optimizer.type;
  const defaultEps = defaultOf(OPTIMIZERS[type].args, 'eps');
  if (typeof defaultEps === 'number' && Number(spec.optimizer.args.eps ?? defaultEps) === 0 && p.zeroFraction > 0) {
    return {
      message: `${type}'s update made ${name} NaN at step ${bad.step}: ${percent(p.zeroFraction)} of its gradient entries are exactly 0, and with eps = 0 their update is 0/0`,
      fixes: [
        {
          title: `Set ${type}'s eps to ${defaultEps} (PyTorch's default)`,
          intents: [{ kind: 'set-optimizer-args', args: { eps: defaultEps } }],
          preferred: true,
        },
      ],
    };
  }
  const lr = lowerLearningRateFix(ctx, 'the update itself overflowed');
  return {
    message: `the ${spec.optimizer.type} update made ${name} non-finite at step ${bad.step}: its gradient reached ${shortNumber(p.gradMaxAbs)} at lr ${shortNumber(trace.optimizer.lr)}`,
    fixes: lr ? [{ ...lr, preferred: true }] : [],
  };
}

/** " on rank 1" in a distributed training run; nothing otherwise. */
function onRank(ctx: RuleContext, ev: NonFiniteEvent): string {
  return ev.rank !== undefined && (ctx.trace.run?.worldSize ?? 1) > 1 ? ` on rank ${ev.rank}` : '';
}

/**
 * Events only a training run reports: a NaN already in the batch, and a loss that turned NaN on a
 * step that was not recorded (nothing says which module made it there).
 */
function runEvent(ctx: RuleContext, ev: NonFiniteEvent, severity: Severity): RuleFinding | null {
  const { spec, trace } = ctx;
  const where = `at step ${ev.step}${onRank(ctx, ev)}`;
  if (ev.op === 'input') {
    const layer = (ev.layer !== null ? layerByPath(spec, ev.layer) : undefined) ?? leafLayers(spec)[0];
    if (!layer) return null;
    return findingAt('non-finite', severity, layer, `the batch holds ${what(ev.nan, ev.inf)} ${where}: ${layerName(layer)} received ${ev.nan + ev.inf} non-finite values from the data, no module produced them`);
  }
  if (ev.op === 'loss' && ev.layer === null) {
    const how = ev.recorded === false
      ? `; step ${ev.step} was not recorded, so which module made it is unknown: record every step (gradient_lens.watch(..., every=1)) to find it`
      : ev.phase === 'backward' ? ': the loss\'s own backward made the first non-finite gradient' : ': every module\'s output was finite, the loss computation made it';
    return {
      rule: 'non-finite',
      severity,
      message: `the loss (${lossName(spec.loss)}) is ${ev.nan ? 'NaN' : 'Inf'} ${where}${how}`,
      layer: '',
      range: spec.loss.typeRange,
      related: [],
      evidence: [{ label: 'loss', values: trace.steps.map((s) => s.loss) }],
      fixes: [],
    };
  }
  return null;
}

export const nonFinite: Rule = {
  id: 'non-finite',
  title: 'NaN or Inf: the first op (or update) that produced one, forward or backward',
  defaultSeverity: 'error',
  check(ctx) {
    const { trace, spec } = ctx;
    const severity: Severity = 'error';
    const ev = trace.firstNonFinite;
    const bad = firstBadUpdate(trace.steps);
    const lossStep = trace.steps.findIndex((s) => !Number.isFinite(s.loss));
    // An op's NaN at step j shows up in the weights only after step j's update: the op came first.
    if (ev && (!bad || ev.step <= bad.step)) {
      const fromRun = runEvent(ctx, ev, severity);
      if (fromRun) return [fromRun];
      const pass = ev.phase === 'forward' ? 'forward pass' : 'backward pass';
      const overflow = ev.nan === 0;
      const verb = overflow ? 'overflowed to Inf' : `produced ${what(ev.nan, ev.inf)}`;
      const grad = ev.phase === 'backward' ? `the gradient of ${ev.op}` : ev.op;
      const inputs = `inputs reached ${shortNumber(ev.inputMaxAbs)}`;
      let f: RuleFinding;
      let layer: LayerNode | undefined;
      if (ev.layer === 'loss') {
        f = {
          rule: 'non-finite',
          severity,
          message: `${grad} ${verb} in the loss (${lossName(spec.loss)}) at step ${ev.step}${onRank(ctx, ev)}, ${pass}: ${inputs}`,
          layer: '',
          range: spec.loss.typeRange,
          related: [],
          evidence: [],
          fixes: [],
        };
      } else {
        layer = (ev.layer !== null ? layerByPath(spec, ev.layer) : undefined) ?? leafLayers(spec)[0];
        if (!layer) return [];
        f = findingAt('non-finite', severity, layer, `${grad} ${verb} in ${layerName(layer)} at step ${ev.step}${onRank(ctx, ev)}, ${pass}: ${inputs}`);
      }
      f.evidence.push({ label: 'loss', values: trace.steps.map((s) => s.loss) });
      f.fixes = opFixes(ctx, ev);
      if (f.fixes.length) f.fixes[0].preferred = true;
      return [f];
    }
    if (bad) {
      const { message, fixes } = optimizerFixes(ctx, bad);
      const p = trace.params[bad.index];
      const owner = layerByPath(spec, p.layer);
      const f: RuleFinding = {
        rule: 'non-finite',
        severity,
        message,
        layer: '',
        range: spec.optimizer.typeRange,
        related: owner ? [{ range: owner.typeRange, message: `${p.name} belongs to ${layerName(owner)}` }] : [],
        evidence: [{ label: `update/weight ratio of ${p.name}`, values: trace.steps.map((s) => s.params[bad.index].updateRatio) }],
        fixes,
      };
      return [f];
    }
    if (lossStep >= 0) {
      // No op produced it and the weights were finite: it came in with the batch.
      return [
        {
          rule: 'non-finite',
          severity,
          message: `the loss is ${trace.steps[lossStep].loss} at step ${trace.steps[lossStep].step} though no op produced a NaN or Inf: the input batch or the targets hold one`,
          layer: '',
          range: spec.loss.typeRange,
          related: [],
          evidence: [{ label: 'loss', values: trace.steps.map((s) => s.loss) }],
          fixes: [],
        },
      ];
    }
    return [];
  },
};

