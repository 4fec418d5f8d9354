/**
 * Weights that start constant (every unit identical: symmetry) or at a scale far from Xavier/He for
 * the activation after them (signals shrink or blow up layer by layer before training starts).
 * Thresholds: NeuraLint, DeepDiagnosis (Var < 1e-5 or > 10), plus a factor off Xavier/He.
 */
import { fanInAndFanOut } from '../engine/init';
import { traitsOf } from '../model/catalogue';
import type { LayerNode } from '../model/graph';
import type { Fix, Rule, RuleFinding } from './types';
import { activationOf, findingAt, fix, leafLayers, paramIndex, paramName, perStep, severityFor, shortNumber, varianceKeepingInit, type VarianceKeepingInit } from './util';

/** The activation after a weight (none for a layer without one, or the model's output). */
interface Follower {
  /** The activation layer, when the next layer is one (it decides the variance-keeping init). */
  activation?: LayerNode;
}

/** What the weight at `leaves[i]` feeds, looking past layers that keep the scale; 'norm' when a normalisation comes first. */
function followerOf(leaves: LayerNode[], i: number): Follower | 'norm' {
  for (let j = i + 1; j < leaves.length; j++) {
    const l = leaves[j];
    const traits = traitsOf(l.type);
    if (traits.passThrough) continue;
    if (traits.normalisation) return 'norm';
    // An activation asks for its gain; another weight or the loss asks for none.
    return traits.activation ? { activation: l } : {};
  }
  return {};
}

/** The init the fix sets, and the std it gives: He for rectifiers, Xavier for the rest (calculate_gain). */
function recommended(f: Follower, shape: number[]): VarianceKeepingInit {
  return varianceKeepingInit(f.activation, shape);
}

/**
 * The variances a sensible scheme gives for this shape and activation: He/LeCun (fan_in) and Xavier
 * (fan_in + fan_out) differ by the shape's aspect, and both are fine; only far outside both is poor.
 */
function acceptableVariance(f: Follower, shape: number[]): { lo: number; hi: number } {
  const { fanIn, fanOut } = fanInAndFanOut(shape);
  const g2 = recommended(f, shape).gain ** 2;
  const fanInVar = g2 / fanIn;
  const xavierVar = (g2 * 2) / (fanIn + fanOut);
  return { lo: Math.min(fanInVar, xavierVar), hi: Math.max(fanInVar, xavierVar) };
}

/** "std 10", or "root mean square 0.2 (mean 0.2)" when the mean, not the spread, sets the scale. */
function scaleName(std: number, mean: number): string {
  if (Math.abs(mean) <= 0.1 * std) return `std ${shortNumber(std)}`;
  return `root mean square ${shortNumber(Math.sqrt(std * std + mean * mean))} (mean ${shortNumber(mean)})`;
}

function followerName(f: Follower): string {
  return f.activation && activationOf(f.activation)?.gain !== 'linear' ? `the ${f.activation.type} after it` : 'a layer without activation';
}

function fixFor(layer: LayerNode, f: Follower, shape: number[]): Fix {
  const rec = recommended(f, shape);
  const args = Object.entries(rec.args)
    .map(([k, v]) => `${k}=${typeof v === 'number' ? shortNumber(v) : v}`)
    .join(', ');
  return fix(`Initialise ${layer.type} ${layer.path}'s weight with ${rec.scheme}${args ? `(${args})` : ''} (std ${shortNumber(rec.std)})`, [{ kind: 'set-init', layer: layer.path, init: { weight: { scheme: rec.scheme, args: rec.args } } }], true);
}

export const poorInitialisation: Rule = {
  id: 'poor-initialisation',
  title: 'Weights initialised constant (symmetry) or at a scale far from Xavier/He for the activation after them',
  defaultSeverity: 'warning',
  check(ctx) {
    const { trace, spec, config } = ctx;
    const first = trace.steps[0];
    if (!first) return [];
    const { minVariance, maxVariance, factor } = config.initialisation;
    const leaves = leafLayers(spec);
    const findings: RuleFinding[] = [];
    for (let i = 0; i < leaves.length; i++) {
      const layer = leaves[i];
      const rowsAre = traitsOf(layer.type).weight;
      if (!rowsAre) continue;
      const index = paramIndex(trace, paramName(layer, 'weight'));
      if (index < 0) continue;
      const shape = trace.params[index].shape;
      if (shape.length < 2) continue;
      // Step 0's weight statistics are taken before the first update: the initial weights.
      const { weightStd: std, weightMean: mean } = first.params[index];
      const follower = followerOf(leaves, i);
      const rows = shape[0];
      const units = rowsAre;
      let f: RuleFinding | null = null;
      // float32 constants like 0.1 leave rounding noise in std; relative to the mean it is ~1e-8.
      const constant = std === 0 || std <= 1e-6 * Math.abs(mean);
      if (constant && rows > 1) {
        const severity = severityFor(ctx, 'poor-initialisation', 'warning');
        if (severity === 'off') continue;
        f = findingAt(
          'poor-initialisation',
          severity,
          layer,
          `weight of ${layer.type} ${layer.path} starts constant (every entry ${shortNumber(mean)}, std 0): its ${rows} ${units} start identical and differ only by their bias (symmetry)`,
        );
      } else {
        // What carries the signal forward is E[w²]: the variance for zero-mean inits, and a single
        // constant row (which no symmetry argument applies to) is judged by its magnitude.
        const variance = std * std + mean * mean;
        const scaleFree = follower === 'norm';
        const band = follower === 'norm' ? null : acceptableVariance(follower, shape);
        const tooSmall = variance < minVariance || (!scaleFree && band !== null && variance < band.lo / factor);
        const tooLarge = variance > maxVariance || (!scaleFree && band !== null && variance > band.hi * factor);
        if (!tooSmall && !tooLarge) continue;
        const severity = severityFor(ctx, 'poor-initialisation', 'warning');
        if (severity === 'off') continue;
        const fol: Follower = follower === 'norm' ? {} : follower;
        const rec = recommended(fol, shape);
        const off = tooLarge ? variance / (rec.std * rec.std) : (rec.std * rec.std) / variance;
        f = findingAt(
          'poor-initialisation',
          severity,
          layer,
          `weight of ${layer.type} ${layer.path} starts at ${scaleName(std, mean)}, expected about ${shortNumber(rec.std)} (${rec.name} for ${followerName(fol)}): ` +
            (variance > 0 ? `variance ${shortNumber(off)}× too ${tooLarge ? 'large' : 'small'}` : `every entry ${shortNumber(mean)}`),
        );
      }
      f.evidence.push({ label: 'weight std', values: perStep(trace, index, (p) => p.weightStd) });
      if (follower !== 'norm' && follower.activation && activationOf(follower.activation)?.gain !== 'linear') {
        f.related.push({ range: follower.activation.typeRange, message: `the ${follower.activation.type} its outputs feed` });
      }
      f.fixes = [fixFor(layer, follower === 'norm' ? {} : follower, shape)];
      findings.push(f);
    }
    return findings;
  },
};
