/**
 * A realistic made-up trace of the seed model, Linear(10,10) → Sigmoid → Linear(10,1), with the
 * first layer initialised far too large: the sigmoid saturates (94% of units), the first layer's
 * gradient fades by four decades over 20 steps and its bias gradient ends exactly zero.
 * Numbers follow from formulas, not a random generator, so tests can state them.
 */
import type { Finding } from '../../../src/rules/types';
import { HISTOGRAM_BINS, type ActivationStep, type ParamStep, type StepRecord, type Trace } from '../../../src/trace/types';

export const SEED_FILE = 'examples/seed-large-init.grad.yaml';

export const SEED_TEXT = `# The seed model with its first layer initialised from N(0, 8²).
model:
  - Linear: {in_features: 10, out_features: 10}
    init: {weight: {normal: {std: 8}}}
  - Sigmoid
  - Linear: {in_features: 10, out_features: 1}
input: {shape: [10], distribution: normal}
target: {shape: [1], distribution: normal}
loss: MSELoss
optimizer: {SGD: {lr: 0.01}}
trace: {steps: 20, batch_size: 8, seed: 0}
`;

export const STEPS = 20;
/** From this step on, 0.bias's gradient is exactly zero (every unit it feeds is in sigmoid's flat region). */
export const BIAS_ZERO_FROM = 16;

function histogram(n: number, zeros: number, decade: number): number[] {
  const h = new Array<number>(HISTOGRAM_BINS).fill(0);
  h[0] = zeros;
  h[Math.min(Math.max(decade + 13, 1), HISTOGRAM_BINS - 2)] = n - zeros;
  return h;
}

function param(n: number, gradNorm: number, weightNorm: number, weightStd: number, zeroFraction: number): ParamStep {
  const zeros = Math.round(zeroFraction * n);
  const lr = 0.01;
  return {
    reached: true,
    gradNorm,
    gradMeanAbs: gradNorm === 0 ? 0 : (0.8 * gradNorm) / Math.sqrt(n),
    gradMaxAbs: gradNorm === 0 ? 0 : 0.6 * gradNorm,
    zeroFraction: zeros / n,
    subnormalFraction: 0,
    nonFinite: 0,
    weightNorm,
    weightMean: 0,
    weightStd,
    updateRatio: weightNorm > 0 ? (lr * gradNorm) / weightNorm : 0,
    histogram: histogram(n, zeros, gradNorm > 0 ? Math.floor(Math.log10(gradNorm)) : 0),
  };
}

export function seedTrace(): Trace {
  const steps: StepRecord[] = [];
  for (let s = 0; s < STEPS; s++) {
    const fade = 0.6 ** s;
    const firstWeight = 4e-5 * fade;
    const firstBias = s >= BIAS_ZERO_FROM ? 0 : 9e-6 * fade;
    const sigmoid: ActivationStep = {
      layer: '1',
      op: 'sigmoid',
      samples: 8,
      units: 10,
      saturatedShare: 0.94 + 0.01 * Math.sin(s),
      flatShare: 0.3,
      deadShare: 0.9,
      zeroDerivativeShare: s >= BIAS_ZERO_FROM ? 0.3 : 0.1,
      inputMean: 0.4,
      inputStd: 12,
      inputMaxAbs: 31,
    };
    steps.push({
      step: s,
      loss: 1.21 * 0.97 ** s + 0.35,
      params: [
        param(100, firstWeight, 80, 8, Math.min(0.9, 0.05 * s)),
        param(10, firstBias, 1.8, 0.57, s >= BIAS_ZERO_FROM ? 1 : 0),
        param(10, 0.82 * (1 - 0.02 * s), 0.95, 0.3, 0),
        param(1, 0.51 * 0.97 ** s, 0.12, 0, 0),
      ],
      activations: [sigmoid],
      outputs: [
        { layer: '0', absMax: 31, mean: 0.4, nonFinite: 0 },
        { layer: '1', absMax: 1, mean: 0.52, nonFinite: 0 },
        { layer: '2', absMax: 2.4, mean: 0.1, nonFinite: 0 },
      ],
      flow: [
        { layer: '2', op: 'linear', outputGradNorm: 0.6, inputGradNorm: 0.3 },
        { layer: '1', op: 'sigmoid', outputGradNorm: 0.3, inputGradNorm: firstWeight * 2 },
        { layer: '0', op: 'linear', outputGradNorm: firstWeight * 2, inputGradNorm: null },
      ],
    });
  }
  return {
    file: SEED_FILE,
    dtype: 'float32',
    batchSize: 8,
    seed: 0,
    params: [
      { name: '0.weight', layer: '0', shape: [10, 10] },
      { name: '0.bias', layer: '0', shape: [10] },
      { name: '2.weight', layer: '2', shape: [1, 10] },
      { name: '2.bias', layer: '2', shape: [1] },
    ],
    layers: [
      { path: '0', type: 'Linear' },
      { path: '1', type: 'Sigmoid' },
      { path: '2', type: 'Linear' },
    ],
    steps,
    firstNonFinite: null,
    stoppedEarly: null,
    durationMs: 3.4,
    optimizer: { type: 'SGD', lr: 0.01 },
  };
}

function rangeOf(text: string, needle: string, from = 0): { start: number; end: number } {
  const start = text.indexOf(needle, from);
  if (start < 0) throw new Error(`fixture: "${needle}" not in the text`);
  return { start, end: start + needle.length };
}

export const SATURATED_MESSAGE = 'sigmoid layer saturated: 94% of units (inputs reach |x| = 31, std 12; 30% in the flat region where the derivative is below 1e-7)';

/** What the rules say about the trace above, ranked: the saturated sigmoid explains the vanishing gradient. */
export function seedFindings(text = SEED_TEXT): Finding[] {
  const trace = seedTrace();
  const sigmoid = rangeOf(text, 'Sigmoid');
  const firstLinear = rangeOf(text, 'Linear');
  const saturated: Finding = {
    rule: 'saturated-activation',
    severity: 'warning',
    message: SATURATED_MESSAGE,
    layer: '1',
    range: sigmoid,
    related: [],
    evidence: [{ label: 'saturated share', values: trace.steps.map((s) => s.activations[0].saturatedShare) }],
    fixes: [
      { title: "Initialise Linear 0's weight with xavier_uniform (std 0.31 instead of 8)", intents: [], edits: [], preferred: true },
      { title: 'Replace Sigmoid with ReLU', intents: [], edits: [] },
      { title: 'Replace Sigmoid with GELU', intents: [], edits: [] },
      { title: 'Insert LayerNorm(10) before Sigmoid to bring its inputs back to unit scale', intents: [], edits: [] },
    ],
  };
  const vanishing: Finding = {
    rule: 'vanishing-gradient',
    severity: 'warning',
    message: 'vanishing gradient: ‖∇ 0.weight‖ = 2.4e-9 is 4.8e-9 of ‖∇ 2.weight‖ at the last step',
    layer: '0',
    range: firstLinear,
    related: [{ range: sigmoid, message: `likely cause: ${SATURATED_MESSAGE}` }],
    evidence: [{ label: '‖∇ 0.weight‖', values: trace.steps.map((s) => s.params[0].gradNorm) }],
    fixes: [],
    explainedBy: { rule: 'saturated-activation', layer: '1' },
  };
  return [saturated, vanishing];
}
