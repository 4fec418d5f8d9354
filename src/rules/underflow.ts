/**
 * float32 has no numbers between 1.4e-45 and 0, and below 1.2e-38 it keeps fewer and fewer digits
 * (subnormals): a gradient multiplied down that far loses precision, then becomes exactly zero
 * though backward still reaches the weight. A vanishing gradient measured in bits, not ratios.
 */
import type { LayerNode } from '../model/graph';
import type { LayerFlowStep, StepRecord } from '../trace/types';
import type { Rule, RuleFinding, Severity } from './types';
import { gradientFlowFixes } from './vanishing-gradient';
import { finiteStepsAndWeights, findingAt, layerByPath, leafLayers, mean, paramIndex, paramName, layerName } from './util';
import { percent, shortNumber } from '../numbers';

const FLOAT32_MIN_NORMAL = 1.1754943508222875e-38;

/**
 * Where, between `layer` and the output, the gradient went from tiny but nonzero to exactly zero on
 * this step: the layer whose output gradient was below `flushNorm` and whose input gradient (or
 * weight gradient, for `layer` itself) is zero. A ReLU cutting a large gradient to zero is not this.
 */
function flushPoint(step: StepRecord, after: ReadonlySet<string>, flushNorm: number): LayerFlowStep | undefined {
  for (let k = step.flow.length - 1; k >= 0; k--) {
    const f = step.flow[k];
    if (!after.has(f.layer)) continue;
    if (f.outputGradNorm > 0 && f.outputGradNorm < flushNorm && (f.inputGradNorm === 0 || f.inputGradNorm === null)) return f;
  }
  return undefined;
}

export const underflow: Rule = {
  id: 'underflow',
  title: "Gradient underflow: gradients in float32's subnormal range, or flushed to exactly zero through a long product",
  defaultSeverity: 'warning',
  check(ctx) {
    const { spec, config } = ctx;
    const { trace, weights } = finiteStepsAndWeights(ctx);
    if (!weights.length || !trace.steps.length) return [];
    const leaves = leafLayers(spec);
    const cfg = config.underflow;
    interface Hit {
      layer: LayerNode;
      subnormal: number;
      flushedSteps: number;
      at?: LayerFlowStep;
      values: number[];
    }
    const hits: Hit[] = [];
    for (const layer of weights) {
      const i = paramIndex(trace, paramName(layer, 'weight'));
      const reached = trace.steps.filter((s) => s.params[i].reached);
      if (!reached.length) continue;
      // Subnormals are a float32 matter; a float64 trace represents these values exactly.
      const subnormal = trace.dtype === 'float32' ? mean(reached.map((s) => s.params[i].subnormalFraction)) : 0;
      const from = leaves.findIndex((l) => l.path === layer.path);
      const after = new Set(leaves.slice(from).map((l) => l.path));
      let flushedSteps = 0;
      let at: LayerFlowStep | undefined;
      for (const s of reached) {
        if (s.params[i].zeroFraction < 1) continue;
        const point = flushPoint(s, after, cfg.flushNorm);
        if (point) {
          flushedSteps++;
          at ??= point;
        }
      }
      // Flushed on most steps: one step's zero can be a coincidence of the batch.
      const flushed = flushedSteps > reached.length / 2;
      if (subnormal > cfg.subnormalShare || flushed) {
        hits.push({ layer, subnormal, flushedSteps: flushed ? flushedSteps : 0, at: flushed ? at : undefined, values: trace.steps.map((s) => s.params[i].subnormalFraction) });
      }
    }
    if (!hits.length) return [];
    const severity: Severity = 'warning';
    // One finding, where it starts going back from the output; the layers before it are named by count.
    const hit = hits[hits.length - 1];
    const before = hits.slice(0, -1);
    const flushedBefore = before.filter((h) => h.flushedSteps > 0);
    const firstFlush = [...hits].reverse().find((h) => h.at)?.at;
    const flushNote = (at: LayerFlowStep | undefined) => {
      const where = at && layerByPath(spec, at.layer);
      return where && at ? `; it fell to ${shortNumber(at.outputGradNorm)} at ${layerName(where)}'s output` : '';
    };
    let more = '';
    if (before.length) {
      more = `; ${before.length} weight layer${before.length > 1 ? 's' : ''} before it too`;
      if (flushedBefore.length) {
        more += `, ${flushedBefore.length} of them flushed to exactly 0${hit.flushedSteps ? '' : flushNote(firstFlush)}`;
      }
    }
    let message: string;
    if (hit.flushedSteps && hit.at) {
      message = `gradient flushed to zero at ${layerName(hit.layer)}: every ∇W entry is exactly 0 on ${hit.flushedSteps} of ${trace.steps.length} steps though backward reaches it${flushNote(hit.at)}${more}`;
    } else {
      message = `gradient underflows at ${layerName(hit.layer)}: ${percent(hit.subnormal)} of its nonzero ∇W entries are float32 subnormals (below ${shortNumber(FLOAT32_MIN_NORMAL)})${more}`;
    }
    const f: RuleFinding = findingAt('underflow', severity, hit.layer, message);
    f.evidence.push({ label: 'subnormal share', values: hit.values });
    if (firstFlush) {
      const where = layerByPath(spec, firstFlush.layer);
      if (where && where !== hit.layer) f.related.push({ range: where.typeRange, message: `the gradient entering ${layerName(where)} was ${shortNumber(firstFlush.outputGradNorm)}, and nothing came out` });
    }
    // The fix has to carry the gradient back to the earliest starved layer, not just to this one.
    f.fixes = gradientFlowFixes({ ...ctx, trace }, hits[0].layer, weights[weights.length - 1], weights);
    return [f];
  },
};
