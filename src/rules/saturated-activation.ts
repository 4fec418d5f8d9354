/**
 * Sigmoid/tanh units whose inputs sit where the derivative is below 1% of its peak pass almost no
 * gradient back: the classic "why is my gradient zero". Thresholds: DeepDiagnosis, SageMaker Debugger.
 *
 * When the model's first layer feeds them, its weights are not oversized and the inputs themselves
 * are large (root mean square above 10: raw 0–255 pixels, incomes in the thousands), the data is
 * the cause: a variance-keeping layer passes their scale on, so the fix scales the inputs, and
 * swapping the activation is not offered (a ReLU would pass the huge values on to the next
 * saturating layer, e.g. a sigmoid output: examples/bugs/raw-pixels/tabular-tanh-raw).
 */
import { activationLayerOf } from '../model/catalogue';
import type { LayerNode } from '../model/graph';
import type { Fix, Rule, RuleContext, RuleFinding, Severity } from './types';
import { activationOf, feedingLayer, findingAt, fix, layerByPath, leafLayers, mean, paramIndex, paramName, varianceKeepingInit, layerName } from './util';
import { percent, shortNumber } from '../numbers';

/** Inputs whose root mean square is above this are on a raw scale: a variance-keeping first layer saturates on them. */
const RAW_INPUT_RMS = 10;

/** The fix for inputs on a raw scale: the input data brought to unit scale, as the user's data should be. */
function scaleInputsFix(ctx: RuleContext): Fix | null {
  const { spec } = ctx;
  const input = ctx.trace.data?.input;
  const d = spec.input.distribution;
  if (!input || (d && (d.kind === 'classes' || d.kind === 'integers'))) return null;
  const rms = Math.sqrt(input.std * input.std + input.mean * input.mean);
  if (!(rms > RAW_INPUT_RMS)) return null;
  // Non-negative data (pixels) is scaled into [0, 1], like x / 255; signed data is standardised.
  const nonNegative = input.min >= 0;
  const how = nonNegative ? `divide them by their maximum (${shortNumber(input.max)}), as x / 255 does for pixels` : `standardise them, (x − ${shortNumber(input.mean)}) / ${shortNumber(input.std)}`;
  return fix(`Scale the inputs to unit range: they reach ${shortNumber(Math.max(Math.abs(input.min), Math.abs(input.max)))}; ${how}`, [
    {
      kind: 'set-data',
      which: 'input',
      shape: spec.input.shape,
      distribution: nonNegative ? { kind: 'uniform', low: 0, high: 1 } : { kind: 'normal', mean: 0, std: 1 },
    },
  ]);
}

/** Whether the trace's activation statistics of `op` come from a saturating activation (sigmoid, tanh). */
function saturates(op: string): boolean {
  return activationOf({ type: activationLayerOf(op) ?? '' })?.derivative === 'saturating';
}

function fixesFor(ctx: RuleContext, layer: LayerNode, op: string, inputStd: number): Fix[] {
  const fixes: Fix[] = [];
  const feeder = feedingLayer(ctx.spec, layer);
  if (feeder) {
    const i = paramIndex(ctx.trace, paramName(feeder, 'weight'));
    // The activation that ran `op`, as the catalogue knows it (the layer may be the user's own module).
    const type = activationLayerOf(op);
    const xavier = varianceKeepingInit(type && { type, args: {} }, feeder.params.find((p) => p.name === 'weight')!.shape);
    const std = i >= 0 ? ctx.trace.steps[0]?.params[i].weightStd ?? 0 : 0;
    // Offered only when the weights, not the data, are what pushes the units out: then re-initialising fixes it.
    if (std > 2 * xavier.std) {
      fixes.push(
        fix(`Initialise ${layerName(feeder)}'s weight with ${xavier.scheme} (std ${shortNumber(xavier.std)} instead of ${shortNumber(std)})`, [
          { kind: 'set-init', layer: feeder.path, init: { weight: { scheme: xavier.scheme, args: xavier.args } } },
        ]),
      );
    }
  }
  // The first layer of the model, not oversized, on raw-scale inputs: the data is the cause.
  const scale = feeder && !fixes.length && leafLayers(ctx.spec)[0] === feeder ? scaleInputsFix(ctx) : null;
  if (scale) fixes.push(scale);
  else {
    fixes.push(fix(`Replace ${layer.type} with ReLU`, [{ kind: 'replace-layer', layer: layer.path, with: 'ReLU', args: {} }]));
    fixes.push(fix(`Replace ${layer.type} with GELU`, [{ kind: 'replace-layer', layer: layer.path, with: 'GELU', args: {} }]));
  }
  const features = layer.inShape[0];
  if (layer.inShape.length === 1 && inputStd > 0) {
    fixes.push(
      fix(`Insert LayerNorm(${features}) before ${layer.type} to bring its inputs back to unit scale`, [
        { kind: 'insert-layer', before: layer.path, type: 'LayerNorm', args: { normalized_shape: features } },
      ]),
    );
  }
  fixes[0].preferred = true;
  return fixes;
}

export const saturatedActivation: Rule = {
  id: 'saturated-activation',
  title: 'Sigmoid or tanh units saturated: their derivative is near zero, so little gradient passes back',
  defaultSeverity: 'warning',
  check(ctx) {
    const { trace, spec, config } = ctx;
    const byLayer = new Map<string, { op: string; share: number[]; flat: number[]; maxAbs: number[]; std: number[] }>();
    for (const step of trace.steps) {
      for (const a of step.activations) {
        if (!saturates(a.op)) continue;
        const entry = byLayer.get(a.layer) ?? { op: a.op, share: [], flat: [], maxAbs: [], std: [] };
        entry.share.push(a.saturatedShare);
        entry.flat.push(a.flatShare);
        entry.maxAbs.push(a.inputMaxAbs);
        entry.std.push(a.inputStd);
        byLayer.set(a.layer, entry);
      }
    }
    const findings: RuleFinding[] = [];
    for (const [path, e] of byLayer) {
      const layer = layerByPath(spec, path);
      if (!layer) continue;
      const share = mean(e.share);
      if (!(share > config.saturatedActivation.share)) continue;
      const flat = mean(e.flat);
      // In the flat region float32 cannot move the units back at all: an error, not a slowdown.
      const severity: Severity = flat > config.saturatedActivation.share ? 'error' : 'warning';
      const flatNote = flat > 0 ? `; ${percent(flat)} in the flat region where the derivative is below 1e-7` : '';
      const f = findingAt(
        'saturated-activation',
        severity,
        layer,
        `${e.op} layer saturated: ${percent(share)} of units (inputs reach |x| = ${shortNumber(Math.max(...e.maxAbs))}, std ${shortNumber(mean(e.std))}${flatNote})`,
      );
      f.evidence.push({ label: 'saturated share', values: e.share }, { label: 'input std', values: e.std });
      const feeder = feedingLayer(spec, layer);
      if (feeder) f.related.push({ range: feeder.typeRange, message: `its inputs come from ${layerName(feeder)}` });
      f.fixes = fixesFor(ctx, layer, e.op, mean(e.std));
      findings.push(f);
    }
    return findings;
  },
};
