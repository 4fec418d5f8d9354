/**
 * Weights that start constant (every unit identical: symmetry) or at a scale far from Xavier/He for
 * the activation after them (signals shrink or blow up layer by layer before training starts).
 * Thresholds: NeuraLint, DeepDiagnosis (Var < 1e-5 or > 10), plus a factor off Xavier/He.
 *
 * An init is judged by what it does to the signal, not by its variance alone:
 * - Constant weights are a warning when the units are still copies of one another after the traced
 *   steps (their rows differ by less than 1% of the weights' size). Random weights after them give
 *   each unit its own gradient and break the symmetry on the first step: Keras's
 *   kernel_initializer='zeros' on one hidden layer before a random one trains in PyTorch
 *   (examples/trains/zeros-first-layer-tanh: rows 100% apart after one step), while zeros or a
 *   constant on every layer keeps them identical (examples/bugs/poor-init: 0%), and a constant 0.5
 *   before random biases leaves them 0.5% apart after 10 steps, still near copies
 *   (examples/problems/poor-initialisation/constant-init, which trains 2× worse than its random twin).
 * - Too large a scale is a warning: each such layer multiplies the signal by its gain, and the
 *   message states the measured output against what the variance-keeping init gives on the same
 *   inputs. (The false alarms on models that train were all small inits.)
 * - Too small a scale is a warning when the layer's gradient vanishes on the first step (the
 *   vanishing-gradient rule's thresholds). Keras's RandomUniform(±0.05) and RandomNormal(0.05) put
 *   11 layers of examples/trains 12–230× below Xavier/He's variance, and all 8 Keras-style models
 *   there train in PyTorch; their first-step ‖∇W‖ is 0.076–1.5 of the last layer's (mean |∇W| ≥
 *   0.01 where it is the last). An 8-layer tanh stack at std 0.01 gets 1e-9 and does not train
 *   (examples/bugs/poor-init/deep-tanh-small-normal). Variance alone is said as information.
 * - The init the user wrote is read by its scheme. An identity (eye_, dirac_) passes each input
 *   unit through unchanged whatever the variance its zeros give, so its scale is not judged (a
 *   dirac_ conv with more outputs than inputs is 40× below He's variance and passes the signal
 *   as is). N(0, 0.02) (normal_ or trunc_normal_) in a model with LayerNorm is the GPT-2 / BERT /
 *   ViT convention, the norms rescaling each block's input: when the gradient gets through it is
 *   not even a hint (test/unit/rules/poor-initialisation-python.test.ts, each proven in PyTorch).
 */
import { fanInAndFanOut } from '../engine/init';
import { sizeOf } from '../engine/shape';
import { traitsOf, writtenMeanSquare } from '../model/catalogue';
import type { LayerNode, SourceRange } from '../model/graph';
import type { LayerOutputStep, Trace } from '../trace/types';
import type { Fix, Rule, RuleContext, RuleFinding, Severity } from './types';
import { activationOf, consumersOf, findingAt, fix, hasDataFlow, lastStep, leafLayers, paramIndex, paramName, perStep, varianceKeepingInit, weightParams, type VarianceKeepingInit, layerName } from './util';
import { percent, shortNumber } from '../numbers';

/** The activation after a weight (none for a layer without one, or the model's output). */
interface Follower {
  /** The activation layer, when the next layer is one (it decides the variance-keeping init). */
  activation?: LayerNode;
}

/**
 * What the weight at `leaves[i]` feeds, looking past layers that keep the scale: 'norm' when a
 * normalisation comes first, 'join' when its outputs meet another branch's first (a residual sum,
 * attention's product of queries and keys): there its scale sets its branch's share, not a scale
 * that compounds layer by layer, so only the absolute bounds judge it. Along the forward's data
 * flow when the graph records it, else the list order.
 */
function followerOf(leaves: LayerNode[], i: number): Follower | 'norm' | 'join' {
  const judge = (l: LayerNode): Follower | 'norm' | 'pass' => {
    const traits = traitsOf(l.type);
    if (traits.passThrough) return 'pass';
    if (traits.normalisation) return 'norm';
    // An activation asks for its gain; another weight or the loss asks for none.
    return traits.activation ? { activation: l } : {};
  };
  if (hasDataFlow(leaves)) {
    // Every layer its outputs reach first (past pass-through ones): a join among them wins, then a normalisation.
    const reached: (Follower | 'norm' | 'join')[] = [];
    let frontier = consumersOf(leaves, leaves[i]);
    const seen = new Set<string>();
    while (frontier.length) {
      const next: LayerNode[] = [];
      for (const l of frontier) {
        if (seen.has(l.path)) continue;
        seen.add(l.path);
        const j = (l.inputsFrom?.length ?? 0) > 1 ? 'join' : judge(l);
        if (j === 'pass') next.push(...consumersOf(leaves, l));
        else reached.push(j);
      }
      frontier = next;
    }
    return reached.find((r) => r === 'join') ?? reached.find((r) => r === 'norm') ?? reached[0] ?? {};
  }
  for (let j = i + 1; j < leaves.length; j++) {
    const f = judge(leaves[j]);
    if (f !== 'pass') return f;
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

/** z for a one-sided tail of 1 in 10⁴: how unlikely a healthy init's sample must be to be called off. */
const SAMPLE_Z = 3.719;

/**
 * The variances the init may have drawn from. Written as a scale its arguments fix (normal(std=…),
 * uniform(a, b), a constant), it is that scale. Otherwise (PyTorch's default, a run's log, a scheme
 * whose scale follows the shape) only the measured entries tell, and a small weight's mean square is
 * noisy: 10 draws of PyTorch's default U(±1/√10) (seed_relu.py's Linear(10, 1)) fall below a tenth
 * of Xavier's variance in 0.14% of inits (27 of 20,000 torch seeds), and nn.Linear(1, 1)'s one weight
 * in a third of them; the model trains either way. So a scale is too small only when the largest
 * variance consistent with the sample is, too large only when the smallest is: χ²'s bounds for normal
 * draws (heavier-tailed than uniform ones, so they bound the common inits too), its quantiles by
 * Wilson–Hilferty. One entry bounds nothing above.
 */
function drawnVariance(layer: LayerNode, meanSquare: number, shape: number[]): { lo: number; hi: number } {
  const w = layer.init.weight;
  const written = w && !w.span ? writtenMeanSquare(w.scheme, w.args) : undefined;
  if (written !== undefined && Number.isFinite(written)) return { lo: written, hi: written };
  const n = sizeOf(shape);
  const quantile = (z: number) => n * Math.max(0, 1 - 2 / (9 * n) + z * Math.sqrt(2 / (9 * n))) ** 3;
  const low = quantile(-SAMPLE_Z);
  return { lo: (n * meanSquare) / quantile(SAMPLE_Z), hi: low > 0 ? (n * meanSquare) / low : Infinity };
}

/** "std 10", or "root mean square 0.2 (mean 0.2)" when the mean, not the spread, sets the scale. */
function scaleName(std: number, mean: number): string {
  if (Math.abs(mean) <= 0.1 * std) return `std ${shortNumber(std)}`;
  return `root mean square ${shortNumber(Math.sqrt(std * std + mean * mean))} (mean ${shortNumber(mean)})`;
}

/**
 * The init the user wrote for the weight, as written ("normal(std=8)"), and where: the line to
 * change. Null for PyTorch's default, which the layer's own line stands for.
 */
function writtenInit(layer: LayerNode): { text: string; range: SourceRange } | null {
  const w = layer.init.weight;
  if (!w || w.scheme === 'default') return null;
  const args = Object.entries(w.args)
    .map(([k, v]) => `${k}=${typeof v === 'number' ? shortNumber(v) : v}`)
    .join(', ');
  // An init that covered part of the weight (one gate's rows) says which part: the rest was set otherwise.
  const part = w.span ? ` on a ${w.span.join('×')} part` : '';
  return { text: `${args ? `${w.scheme}(${args})` : w.scheme}${part}`, range: w.range };
}

/** Identity inits: each input unit passed through as is, whatever variance the zeros around the ones give. */
const IDENTITY = new Set(['eye', 'dirac']);

/**
 * N(0, std ≤ 0.05) written by the user in a model whose forward applies a normalisation layer (one
 * only defined does not count): the transformer convention (GPT-2's 0.02).
 */
function transformerStyle(layer: LayerNode, leaves: readonly LayerNode[]): boolean {
  const w = layer.init.weight;
  if (!w || (w.scheme !== 'normal' && w.scheme !== 'trunc_normal')) return false;
  const std = Number(w.args.std ?? 1);
  const mean = Number(w.args.mean ?? 0);
  return mean === 0 && std > 0 && std <= 0.05 && leaves.some((l) => traitsOf(l.type).normalisation && l.inShape.length > 0);
}

function followerName(f: Follower): string {
  return f.activation && activationOf(f.activation)?.gain !== 'linear' ? `the ${f.activation.type} after it` : 'a layer without activation';
}

function fixFor(layer: LayerNode, f: Follower, shape: number[]): Fix {
  const rec = recommended(f, shape);
  const args = Object.entries(rec.args)
    .map(([k, v]) => `${k}=${typeof v === 'number' ? shortNumber(v) : v}`)
    .join(', ');
  return fix(`Initialise ${layerName(layer)}'s weight with ${rec.scheme}${args ? `(${args})` : ''} (std ${shortNumber(rec.std)})`, [{ kind: 'set-init', layer: layer.path, init: { weight: { scheme: rec.scheme, args: rec.args } } }], true);
}

/** Root mean square of a layer output (or the batch input) as the trace summarises it. */
function rms(o: { mean: number; std?: number } | undefined): number {
  return o && o.std !== undefined ? Math.sqrt(o.std * o.std + o.mean * o.mean) : NaN;
}

/**
 * How much larger the layer's measured output is than a variance-keeping init would make it on the
 * same inputs: out_rms / (in_rms · √fan_in · std_keeping). NaN when the trace lacks the outputs.
 */
function amplification(trace: Trace, leaves: readonly LayerNode[], i: number, shape: number[], recStd: number): { factor: number; out: number; expected: number } {
  const outputs = trace.steps[0]?.outputs ?? [];
  const byLayer = (path: string): LayerOutputStep | undefined => outputs.find((o) => o.layer === path);
  const out = rms(byLayer(leaves[i].path));
  const before = i > 0 ? byLayer(leaves[i - 1].path) : undefined;
  const input = i > 0 ? rms(before) : trace.data ? Math.sqrt(trace.data.input.std ** 2 + trace.data.input.mean ** 2) : NaN;
  const { fanIn } = fanInAndFanOut(shape);
  const expected = input * Math.sqrt(fanIn) * recStd;
  return { factor: out / expected, out, expected };
}

/** The first step's evidence that the gradient vanished at this weight, in the vanishing-gradient rule's terms. */
function vanishedAtStart(ctx: RuleContext, index: number): { ratio: number; norm: number; meanAbs: number; vanished: boolean } {
  const first = ctx.trace.steps[0];
  const weights = weightParams(ctx.trace);
  const last = weights[weights.length - 1];
  const p = first.params[index];
  const lastNorm = last ? first.params[last.index].gradNorm : NaN;
  const ratio = last && last.index !== index && lastNorm > 0 ? p.gradNorm / lastNorm : NaN;
  const v = ctx.config.vanishingGradient;
  // A gradient flushed to exactly zero through tiny weights has collapsed too (examples/problems/underflow).
  const vanished = p.reached && (p.gradMeanAbs < v.meanAbs || (ratio < v.ratio && p.gradNorm < v.firstNorm));
  return { ratio, norm: p.gradNorm, meanAbs: p.gradMeanAbs, vanished };
}

export const poorInitialisation: Rule = {
  id: 'poor-initialisation',
  title: 'Weights initialised constant (symmetry that training does not break) or at a scale that shrinks or blows up the signal',
  defaultSeverity: 'warning',
  check(ctx) {
    const { trace, spec, config } = ctx;
    const first = trace.steps[0];
    if (!first) return [];
    const { minVariance, maxVariance, factor, symmetry } = config.initialisation;
    const finite = { ...trace, steps: trace.steps.filter((s) => Number.isFinite(s.loss)) };
    const end = lastStep(finite) ?? first;
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
        const q = end.params[index];
        const size = Math.sqrt(q.weightStd * q.weightStd + q.weightMean * q.weightMean);
        const spread = q.rowSpread;
        // Rows that stay within `symmetry` of each other are still copies; a weight still all zero too.
        const stillSymmetric = spread === undefined || !(spread > symmetry * size);
        const severity: Severity = stillSymmetric ? 'warning' : 'info';
        const steps = finite.steps.length;
        const apart = size > 0 && spread !== undefined ? `their rows differ by ${percent(spread / size)} of the weights' size` : 'the weight is still all zero';
        f = findingAt(
          'poor-initialisation',
          severity,
          layer,
          stillSymmetric
            ? `weight of ${layerName(layer)} starts constant (every entry ${shortNumber(mean)}) and its ${rows} ${units} are still copies of one another after ${steps} step${steps === 1 ? '' : 's'} (${apart}): the updates do not break the symmetry`
            : `weight of ${layerName(layer)} starts constant (every entry ${shortNumber(mean)}), but the updates make its ${rows} ${units} differ (after ${steps} steps ${apart}): the symmetry breaks, so this is only a hint`,
        );
        f.evidence.push({ label: 'row spread', values: perStep(trace, index, (p) => p.rowSpread ?? NaN) });
        const written = writtenInit(layer);
        if (written) f.range = written.range;
      } else {
        // What carries the signal forward is E[w²]: the variance for zero-mean inits, and a single
        // constant row (which no symmetry argument applies to) is judged by its magnitude.
        const variance = std * std + mean * mean;
        const scaleFree = follower === 'norm' || follower === 'join';
        const band = scaleFree ? null : acceptableVariance(follower, shape);
        const drawn = drawnVariance(layer, variance, shape);
        const tooSmall = drawn.hi < minVariance || (band !== null && drawn.hi < band.lo / factor);
        const tooLarge = drawn.lo > maxVariance || (band !== null && drawn.lo > band.hi * factor);
        if (!tooSmall && !tooLarge) continue;
        if (IDENTITY.has(layer.init.weight?.scheme ?? '') && !layer.init.weight?.span) continue;
        const fol: Follower = scaleFree ? {} : follower;
        const rec = recommended(fol, shape);
        const off = tooLarge ? variance / (rec.std * rec.std) : (rec.std * rec.std) / variance;
        // What was measured on the weights (a sample's std is not the std written) beside what was written.
        const written = writtenInit(layer);
        const measured = written ? `${scaleName(std, mean)} as measured (written: ${written.text})` : scaleName(std, mean);
        const stated =
          `weight of ${layerName(layer)} starts at ${measured}, expected about ${shortNumber(rec.std)} (${rec.name} for ${followerName(fol)}): ` +
          (variance > 0 ? `variance ${shortNumber(off)}× too ${tooLarge ? 'large' : 'small'}` : `every entry ${shortNumber(mean)}`);
        let effect: string;
        let warn: boolean;
        if (tooLarge) {
          // Every layer multiplies the signal by its gain: measured, it says how much this one blows it up.
          const amp = amplification(trace, leaves, i, shape, rec.std);
          warn = true;
          effect = Number.isFinite(amp.factor) ? `; its outputs start at root mean square ${shortNumber(amp.out)}, ${shortNumber(amp.factor)}× what ${rec.name} would give on these inputs (${shortNumber(amp.expected)})` : '';
        } else {
          const v = vanishedAtStart(ctx, index);
          warn = v.vanished;
          if (!warn && transformerStyle(layer, leaves)) continue;
          const vs = Number.isFinite(v.ratio) ? `its ‖∇W‖ = ${shortNumber(v.norm)} is ${shortNumber(v.ratio)} of the last layer's` : `its ‖∇W‖ = ${shortNumber(v.norm)}`;
          const cfg = ctx.config.vanishingGradient;
          effect = !warn
            ? `; the signal still gets through (${vs} on the first step), as with Keras's small inits that train, so this is only a hint`
            : v.meanAbs < cfg.meanAbs
              ? `; the signal collapses: on the first step its mean |∇W| is ${shortNumber(v.meanAbs)}, below ${shortNumber(cfg.meanAbs)} (${vs})`
              : `; the gradient vanishes there on the first step (${vs})`;
        }
        const severity: Severity = warn ? 'warning' : 'info';
        f = findingAt('poor-initialisation', severity, layer, stated + effect);
        // The finding, and the "likely cause" that points at it, sit on the init to change, not on the layer's name.
        if (written) f.range = written.range;
        f.evidence.push({ label: 'weight std', values: perStep(trace, index, (p) => p.weightStd) });
      }
      if (typeof follower === 'object' && follower.activation && activationOf(follower.activation)?.gain !== 'linear') {
        f.related.push({ range: follower.activation.typeRange, message: `the ${follower.activation.type} its outputs feed` });
      }
      f.fixes = [fixFor(layer, typeof follower === 'object' ? follower : {}, shape)];
      findings.push(f);
    }
    return findings;
  },
};
