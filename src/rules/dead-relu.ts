/**
 * ReLU units whose input is negative for every sample output zero and pass no gradient back, so
 * the weights feeding them never change again: a dead unit stays dead. A unit is dead when it is
 * active on fewer than 1% of the batch's samples (a convolution's channel: of its entries over
 * every position), through the last third of the traced steps.
 *
 * Threshold: warning above 70% of units (AUTOTRAINER's share of neurons), error at 100%. Measured
 * (20 steps, the units dead through the last third): the 55 healthy models of examples/trains and
 * examples/healthy reach at most 47% (a four-layer Keras MLP with normal(0, 0.05) weights, which
 * trains to 1% of its loss in PyTorch), most 0–25%; the dead-ReLU bugs of examples/bugs and
 * examples/problems have 84–100%. The old 50% sat 3 points above a healthy model. Half of a healthy
 * ReLU layer's *outputs* are zero on a batch; that is not a dead unit and is not counted.
 */
import { activationLayerOf } from '../model/catalogue';
import type { LayerNode } from '../model/graph';
import type { Fix, FixIntent, Rule, RuleContext, RuleFinding, Severity } from './types';
import { activationName, activationOf, feedingLayer, findingAt, fix, layerByPath, leafLayers, lowerLearningRateFix, mean, weightLayers, layerName } from './util';
import { percent, shortNumber } from '../numbers';

/** Whether units of the activation that ran `op` can die: its derivative is exactly zero on one side (ReLU). */
function canDie(op: string): boolean {
  return activationOf({ type: activationLayerOf(op) ?? '' })?.derivative === 'rectifier';
}

/** The tail of the trace a unit must stay dead through: units killed mid-trace count, units that recover do not. */
const TAIL_SHARE = 1 / 3;

interface LayerDeath {
  /** deadShare per step. */
  share: number[];
  inputMean: number[];
  /** The step numbers (a training run records some steps only). */
  steps: number[];
}

function fixesFor(ctx: RuleContext, layer: LayerNode, deadAtStart: boolean, diedInTraining: boolean): Fix[] {
  const weights = weightLayers(ctx.spec);
  const last = weights[weights.length - 1];
  // After the last weight layer the ReLU bounds the model's output: targets below zero kill it whatever the lr.
  const isOutput = !!last && leafLayers(ctx.spec).findIndex((l) => l.path === layer.path) > leafLayers(ctx.spec).findIndex((l) => l.path === last.path);
  const fixes: Fix[] = [];
  if (isOutput) {
    fixes.push(fix(`Remove the ${layer.type} after the output layer ${layerName(last)}, so the model can predict values below zero`, [{ kind: 'remove-layer', layer: layer.path }]));
  }
  fixes.push(fix(`Replace ${layer.type} with LeakyReLU (negative_slope 0.01), so negative inputs still pass a gradient`, [{ kind: 'replace-layer', layer: layer.path, with: 'LeakyReLU', args: {} }]));
  fixes[0].preferred = true;
  const feeder = feedingLayer(ctx.spec, layer);
  // Only the user's own init can be blamed: PyTorch's default centres pre-activations at zero.
  const written = feeder ? Object.entries(feeder.init).filter(([, s]) => s.scheme !== 'default') : [];
  if (feeder && deadAtStart && written.length) {
    const init: Extract<FixIntent, { kind: 'set-init' }>['init'] = {
      weight: { scheme: 'kaiming_normal', args: { nonlinearity: 'relu' } },
    };
    if (feeder.params.some((p) => p.name === 'bias')) init.bias = { scheme: 'zeros', args: {} };
    fixes.push(fix(`Initialise ${layerName(feeder)} with He (kaiming_normal) weights and zero bias, so its outputs start centred at zero`, [{ kind: 'set-init', layer: feeder.path, init }]));
  }
  if (diedInTraining && !isOutput) {
    const lr = lowerLearningRateFix(ctx, 'the units were alive at step 0 and died under the updates');
    if (lr) fixes.push(lr);
  }
  return fixes;
}

export const deadRelu: Rule = {
  id: 'dead-relu',
  title: 'ReLU units that never activate: they output zero and pass no gradient, so they cannot recover',
  defaultSeverity: 'warning',
  check(ctx) {
    const { trace, spec, config } = ctx;
    const byLayer = new Map<string, LayerDeath>();
    // A step whose loss is NaN or Inf measured poisoned values: leave it to the non-finite rule.
    for (const step of trace.steps.filter((s) => Number.isFinite(s.loss))) {
      for (const a of step.activations) {
        if (!canDie(a.op) || a.samples < config.deadRelu.minSamples) continue;
        const entry = byLayer.get(a.layer) ?? { share: [], inputMean: [], steps: [] };
        entry.share.push(a.deadShare);
        entry.steps.push(step.step);
        entry.inputMean.push(a.inputMean);
        byLayer.set(a.layer, entry);
      }
    }
    const findings: RuleFinding[] = [];
    for (const [path, e] of byLayer) {
      const layer = layerByPath(spec, path);
      if (!layer || !e.share.length) continue;
      const from = Math.min(e.share.length - 1, Math.floor(e.share.length * (1 - TAIL_SHARE)));
      const tail = e.share.slice(from);
      // Dead on every step of the tail: the smallest share bounds the units that stayed dead throughout.
      const share = Math.min(...tail);
      if (!(share > config.deadRelu.share)) continue;
      const severity: Severity = share >= 1 ? 'error' : 'warning';
      const deadAtStart = e.share[0] > config.deadRelu.share;
      const diedInTraining = !deadAtStart;
      const inputs = mean(e.inputMean.slice(from));
      const when = diedInTraining ? `, alive at step ${e.steps[0]} (${percent(e.share[0])} dead) and dead by step ${e.steps[firstAbove(e.share, config.deadRelu.share)]}` : '';
      const units = trace.steps.find((s) => Number.isFinite(s.loss))?.activations.find((a) => a.layer === path)?.deadUnits ?? 'units';
      const f = findingAt(
        'dead-relu',
        severity,
        layer,
        `${activationName(layer.type)} layer dead: ${percent(share)} of ${units} never activate on any sample of the batch (inputs mean ${shortNumber(inputs)}${when})`,
      );
      f.evidence.push({ label: 'dead share', values: e.share }, { label: 'input mean', values: e.inputMean });
      const feeder = feedingLayer(spec, layer);
      if (feeder) f.related.push({ range: feeder.typeRange, message: `its inputs come from ${layerName(feeder)}` });
      f.fixes = fixesFor(ctx, layer, deadAtStart, diedInTraining);
      findings.push(f);
    }
    return findings;
  },
};

function firstAbove(values: readonly number[], threshold: number): number {
  const i = values.findIndex((v) => v > threshold);
  return i < 0 ? values.length - 1 : i;
}
