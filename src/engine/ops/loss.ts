/** Losses with PyTorch's names, options and reductions, fused for numerical stability. */
import { FloatArray, like } from '../dtype';
import { broadcastIndex, broadcastShape, formatShape, sameShape, Shape, ShapeError, sizeOf, sumToShape } from '../shape';
import type { Tensor } from '../tensor';
import { defineOp, ForwardResult, OpTable } from './types';

/** 'none' keeps one loss per element (per sample for the class losses). */
export type Reduction = 'mean' | 'sum' | 'none';

export interface ClassLossAttrs {
  reduction: Reduction;
  /** Target value that adds nothing and is left out of the mean (PyTorch's default −100). */
  ignoreIndex: number;
  /** cross_entropy only: the target mixed with the uniform distribution by this much. */
  labelSmoothing: number;
  /** Whether a per-class weight (C) follows the target among the inputs. */
  weighted: boolean;
}

export interface LossAttrs {
  /** inputs: [input, target] for the pointwise losses. */
  mse_loss: { reduction: Reduction };
  l1_loss: { reduction: Reduction };
  huber_loss: { reduction: Reduction; delta: number };
  /** 0.5·d²/beta inside ±beta, |d| − 0.5·beta outside. */
  smooth_l1_loss: { reduction: Reduction; beta: number };
  /**
   * inputs: [logits (N, C, d…) or (C), target, weight (C)?]. The target holds class indices
   * (N, d…), or class probabilities of the input's shape.
   */
  cross_entropy: ClassLossAttrs;
  /** inputs: [log-probabilities, class indices, weight (C)?] */
  nll_loss: ClassLossAttrs;
  /** inputs: [probabilities in [0, 1], target, weight?]; logs clamped at −100 as PyTorch. */
  bce_loss: { reduction: Reduction; weighted: boolean };
  /** inputs: [logits, target, weight?, pos_weight?] */
  bce_with_logits: { reduction: Reduction; weighted: boolean; posWeighted: boolean };
}

/**
 * A loss whose input is outside the values it is defined on (BCELoss's probabilities outside [0, 1]),
 * as PyTorch raises it. It says what the model fed the loss, so the trace can report it as a finding
 * on the layer that feeds the loss rather than as a failed run.
 */
export class LossInputError extends RangeError {
  override name = 'LossInputError';
  constructor(
    message: string,
    /** The loss as PyTorch names it: "binary_cross_entropy". */
    readonly loss: string,
    /** The range the loss accepts. */
    readonly accepts: [number, number],
    /** What the input held: its smallest and largest value and the share of entries outside `accepts`. */
    readonly input: { min: number; max: number; outsideShare: number },
  ) {
    super(message);
  }
}

/**
 * PyTorch's floor on x(1-x) in the BCE input gradient, so p = 0 or 1 gives a huge but finite slope.
 * PyTorch holds it as a float32 constant, hence the rounding (1/it is 1.000000004e12, not 1e12).
 */
const BCE_EPS = Math.fround(1e-12);

// Results are built as plain literals: an object spread (`{ ...r, saved }`) cost 1.2-2 µs here,
// a third of the tiny seed model's whole step.

/** One loss per element or sample ('none'), in the input's dtype. */
function result<S>(values: Float64Array, proto: FloatArray, shape: Shape, saved: S): ForwardResult<S> {
  const out = like(proto, values.length);
  out.set(values);
  return { data: out, shape, saved };
}

/** The sum or mean as a 0-dim tensor in the input's dtype. */
function scalar<S>(value: number, proto: FloatArray, saved: S): ForwardResult<S> {
  const out = like(proto, 1);
  out[0] = value;
  return { data: out, shape: [], saved };
}

// ── pointwise losses: input and target broadcast against each other (PyTorch warns, then broadcasts) ──

interface Pointwise {
  shape: Shape;
  ia: Int32Array | null;
  ib: Int32Array | null;
  /** Per-element weight positions (bce's weight, broadcast), or null. */
  iw: Int32Array | null;
  ipw: Int32Array | null;
  reduction: Reduction;
  /** The number the mean divides by (and the gradient with it). */
  divisor: number;
}

function plan(inputs: readonly Tensor[], reduction: Reduction, weight: Tensor | null = null, posWeight: Tensor | null = null): Pointwise {
  const [input, target] = inputs;
  let shape = sameShape(input.shape, target.shape) ? input.shape : broadcastShape(input.shape, target.shape);
  if (weight) shape = broadcastShape(shape, weight.shape);
  if (posWeight) shape = broadcastShape(shape, posWeight.shape);
  return {
    shape,
    ia: positionsIn(input, shape),
    ib: positionsIn(target, shape),
    iw: weight ? positionsIn(weight, shape) ?? identity(sizeOf(shape)) : null,
    ipw: posWeight ? positionsIn(posWeight, shape) ?? identity(sizeOf(shape)) : null,
    reduction,
    divisor: reduction === 'mean' ? sizeOf(shape) : 1,
  };
}

// Helpers below are top-level functions, not closures made per call: the bundle keeps function
// names (esbuild's keepNames), which wraps every named closure in a defineProperty call, 7% of W1's step.

/** Where each element of `shape` reads `t` when `t` is broadcast to it; null when it already has that shape. */
function positionsIn(t: Tensor, shape: Shape): Int32Array | null {
  return sameShape(t.shape, shape) ? null : broadcastIndex(t.shape, shape);
}

function identity(n: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => i);
}

/** f(xᵢ, tᵢ, i) per broadcast element: one value each ('none'), or their sum or mean. */
function pointwiseLoss(inputs: readonly Tensor[], p: Pointwise, f: (x: number, t: number, i: number) => number) {
  const [input, target] = inputs;
  const xs = input.data;
  const ts = target.data;
  const n = sizeOf(p.shape);
  if (p.reduction === 'none') {
    const values = new Float64Array(n);
    for (let i = 0; i < n; i++) values[i] = f(xs[p.ia ? p.ia[i] : i], ts[p.ib ? p.ib[i] : i], i);
    return result(values, xs, p.shape, p);
  }
  let total = 0;
  for (let i = 0; i < n; i++) total += f(xs[p.ia ? p.ia[i] : i], ts[p.ib ? p.ib[i] : i], i);
  return scalar(total / p.divisor, xs, p);
}

/**
 * Gradients of a pointwise loss: `dx(x, t, i)` is ∂loss/∂x of one element; ∂/∂t is `dt` (or −dx
 * when the loss depends on x − t only). Both are scaled by dy (per element for 'none', else
 * dy/divisor) and summed back over broadcast axes.
 */
function pointwiseBackward(
  gy: FloatArray,
  inputs: readonly Tensor[],
  p: Pointwise,
  needs: readonly boolean[],
  dx: (x: number, t: number, i: number) => number,
  dt: ((x: number, t: number, i: number) => number) | null = null,
): (FloatArray | null)[] {
  const [input, target] = inputs;
  const grads: (FloatArray | null)[] = [
    needs[0] ? pointwiseGrad(gy, p, input, target, dx, 1, input) : null,
    needs[1] ? (dt ? pointwiseGrad(gy, p, input, target, dt, 1, target) : pointwiseGrad(gy, p, input, target, dx, -1, target)) : null,
  ];
  for (let k = 2; k < inputs.length; k++) grads.push(null);
  return grads;
}

/** sign·local(x, t, i)·dy per broadcast element, summed back to the shape of `to` (the input or the target). */
function pointwiseGrad(
  gy: FloatArray,
  p: Pointwise,
  input: Tensor,
  target: Tensor,
  local: (x: number, t: number, i: number) => number,
  sign: number,
  to: Tensor,
): FloatArray {
  const n = sizeOf(p.shape);
  const each = p.reduction === 'none';
  const g = each ? 0 : (sign * gy[0]) / p.divisor;
  const xs = input.data;
  const ts = target.data;
  const { ia, ib } = p;
  const out = like(to.data, n);
  for (let i = 0; i < n; i++) out[i] = (each ? sign * gy[i] : g) * local(xs[ia ? ia[i] : i], ts[ib ? ib[i] : i], i);
  return sumToShape(out, p.shape, to.shape);
}

/** PyTorch's huber: quadratic inside ±delta, linear outside, continuous slope at the seam. */
function huber(d: number, delta: number): number {
  const a = Math.abs(d);
  return a < delta ? 0.5 * d * d : delta * (a - 0.5 * delta);
}

function huberSlope(d: number, delta: number): number {
  return d < -delta ? -delta : d > delta ? delta : d;
}

function smoothL1(d: number, beta: number): number {
  const a = Math.abs(d);
  return beta === 0 ? a : a < beta ? (0.5 * d * d) / beta : a - 0.5 * beta;
}

function smoothL1Slope(d: number, beta: number): number {
  if (beta === 0 || Math.abs(d) >= beta) return d > 0 ? 1 : d < 0 ? -1 : 0;
  return d / beta;
}

// ── class losses: input (N, C, d…) or (C), target (N, d…) or () ──

interface ClassLayout {
  /** Samples (N·d1·…), classes C, and the stride between classes (d1·…). */
  samples: number;
  classes: number;
  inner: number;
  /** The target's shape (the 'none' result's). */
  shape: Shape;
  /** Offset of sample s's class-0 element in the input. */
  base: (s: number) => number;
}

function classLayout(input: Tensor, target: Tensor, op: string, probabilities: boolean): ClassLayout {
  const unbatched = input.rank === 1;
  if (input.rank === 0) throw new ShapeError(`${op} needs input of shape (C) or (N, C, ...), got a scalar`);
  const expected = unbatched ? [] : [input.shape[0], ...input.shape.slice(2)];
  if (!probabilities && !sameShape(target.shape, expected)) {
    throw new ShapeError(
      `${op}: for input of shape ${formatShape(input.shape)} the target must hold class indices of shape ` +
        `${formatShape(expected)} (or class probabilities of the input's shape), got ${formatShape(target.shape)}`,
    );
  }
  const classes = unbatched ? input.shape[0] : input.shape[1];
  const inner = unbatched ? 1 : sizeOf(input.shape.slice(2));
  return { samples: sizeOf(expected), classes, inner, shape: expected, base: (s) => Math.floor(s / inner) * classes * inner + (s % inner) };
}

/** The class index of sample s, or -1 when it is the ignore_index; throws when out of range. */
function classOf(target: Tensor, s: number, classes: number, ignoreIndex: number): number {
  const c = target.data[s];
  if (c === ignoreIndex) return -1;
  if (!Number.isInteger(c) || c < 0 || c >= classes) {
    throw new RangeError(`target class index ${c} at position ${s} is out of range for ${classes} classes (valid: 0 to ${classes - 1})`);
  }
  return c;
}

/** Class targets are indices (int64, or floats holding whole numbers), unless they have the input's shape: probabilities. */
function isProbabilities(input: Tensor, target: Tensor): boolean {
  return target.isFloatingPoint && sameShape(input.shape, target.shape) && input.rank >= 1 && !(input.rank === 1 && target.rank === 0);
}

function checkWeight(inputs: readonly Tensor[], at: number, classes: number, op: string): FloatArray | null {
  const w = inputs[at];
  if (!w) return null;
  if (w.requiresGrad) throw new TypeError(`${op}: a class weight that requires a gradient is not supported`);
  if (w.rank !== 1 || w.shape[0] !== classes) throw new ShapeError(`${op}: weight tensor should be defined either for all ${classes} classes or no classes but got weight tensor of shape: ${formatShape(w.shape)}`);
  return w.data;
}

/** log-softmax over the class axis, in float64, the input's layout. */
function logSoftmaxOf(x: Tensor, layout: ClassLayout): Float64Array {
  const { samples, classes, inner, base } = layout;
  const logp = new Float64Array(x.size);
  const d = x.data;
  for (let s = 0; s < samples; s++) {
    const b = base(s);
    // Shift by the largest logit so exp never overflows (logits of 1000 stay finite).
    let m = -Infinity;
    for (let k = 0; k < classes; k++) if (d[b + k * inner] > m) m = d[b + k * inner];
    // All -inf (or an empty row) has no finite shift; PyTorch gives NaN there too.
    if (m === -Infinity) m = 0;
    let z = 0;
    for (let k = 0; k < classes; k++) z += Math.exp(d[b + k * inner] - m);
    const lse = m + Math.log(z);
    for (let k = 0; k < classes; k++) logp[b + k * inner] = d[b + k * inner] - lse;
  }
  return logp;
}

interface ClassSaved {
  layout: ClassLayout;
  /** cross_entropy: the log-softmax; nll_loss: null (the input already is one). */
  logp: Float64Array | null;
  probabilities: boolean;
  weight: FloatArray | null;
  /** What the mean divides by (1 for sum and none). */
  divisor: number;
}

/**
 * cross_entropy and nll_loss as PyTorch computes them: the (weighted) negative log-likelihood of
 * the target class, mixed with the (weighted) mean over all classes by label_smoothing; the mean
 * divides by the summed weight of the counted targets (their number without weights). Probability
 * targets give −Σ_k w_k·t_k·log p_k per sample, the mean over samples.
 */
function classForward(op: 'cross_entropy' | 'nll_loss', inputs: readonly Tensor[], a: ClassLossAttrs) {
  const [x, t] = inputs;
  const probabilities = op === 'cross_entropy' && isProbabilities(x, t);
  const layout = classLayout(x, t, op, probabilities);
  const { samples, classes, inner, base } = layout;
  const weight = a.weighted ? checkWeight(inputs, 2, classes, op) : null;
  const logp = op === 'cross_entropy' ? logSoftmaxOf(x, layout) : null;
  const lp = (i: number) => (logp ? logp[i] : x.data[i]);
  const w = (k: number) => (weight ? weight[k] : 1);
  const eps = a.labelSmoothing;
  const per = new Float64Array(samples);
  let divisor = 0;
  for (let s = 0; s < samples; s++) {
    const b = base(s);
    if (probabilities) {
      let v = 0;
      for (let k = 0; k < classes; k++) v -= w(k) * (t.data[b + k * inner] * (1 - eps) + eps / classes) * lp(b + k * inner);
      per[s] = v;
      divisor++;
      continue;
    }
    const c = classOf(t, s, classes, a.ignoreIndex);
    if (c < 0) continue;
    let v = -(1 - eps) * w(c) * lp(b + c * inner);
    if (eps > 0) {
      let smooth = 0;
      for (let k = 0; k < classes; k++) smooth -= w(k) * lp(b + k * inner);
      v += (eps / classes) * smooth;
    }
    per[s] = v;
    divisor += w(c);
  }
  const saved: ClassSaved = { layout, logp, probabilities, weight, divisor: a.reduction === 'mean' ? divisor : 1 };
  if (a.reduction === 'none') return result(per, x.data, layout.shape, saved);
  let total = 0;
  for (let s = 0; s < samples; s++) total += per[s];
  return scalar(total / saved.divisor, x.data, saved);
}

function classBackward(op: 'cross_entropy' | 'nll_loss', gy: FloatArray, inputs: readonly Tensor[], a: ClassLossAttrs, saved: ClassSaved, needs: readonly boolean[]): (FloatArray | null)[] {
  const [x, t] = inputs;
  const { layout, logp, probabilities, weight, divisor } = saved;
  const { samples, classes, inner, base } = layout;
  const w = (k: number) => (weight ? weight[k] : 1);
  const eps = a.labelSmoothing;
  let wSum = 0;
  for (let k = 0; k < classes; k++) wSum += w(k);
  const g = like(x.data);
  const gt = probabilities && needs[1] ? like(t.data) : null;
  for (let s = 0; s < samples; s++) {
    const scale = (a.reduction === 'none' ? gy[s] : gy[0]) / divisor;
    const b = base(s);
    if (probabilities) {
      // d/dx_k = p_k·Σ_j w_j t'_j − w_k t'_k, t' the smoothed target; d/dt_k = −(1 − ε)·w_k·log p_k
      let wt = 0;
      for (let k = 0; k < classes; k++) wt += w(k) * (t.data[b + k * inner] * (1 - eps) + eps / classes);
      for (let k = 0; k < classes; k++) {
        const i = b + k * inner;
        const tk = t.data[i] * (1 - eps) + eps / classes;
        g[i] = scale * (Math.exp(logp![i]) * wt - w(k) * tk);
        if (gt) gt[i] = -scale * (1 - eps) * w(k) * logp![i];
      }
      continue;
    }
    const c = classOf(t, s, classes, a.ignoreIndex);
    if (c < 0) continue;
    for (let k = 0; k < classes; k++) {
      const i = b + k * inner;
      if (op === 'nll_loss') {
        g[i] = k === c ? -scale * w(c) : 0;
        continue;
      }
      const p = Math.exp(logp![i]);
      // (1 − ε)·w_c·(p_k − [k = c]) + (ε/C)·(p_k·Σw − w_k)
      g[i] = scale * ((1 - eps) * w(c) * (p - (k === c ? 1 : 0)) + (eps / classes) * (p * wSum - w(k)));
    }
  }
  const grads: (FloatArray | null)[] = [g, gt];
  for (let k = 2; k < inputs.length; k++) grads.push(null);
  return grads;
}

// ── binary losses ──

function bceTerm(x: number, t: number): number {
  // PyTorch clamps each log at -100 so p = 0 or 1 gives a large finite loss, not inf or NaN.
  const logX = Math.max(Math.log(x), -100);
  const log1mX = Math.max(Math.log(1 - x), -100);
  return -(t * logX + (1 - t) * log1mX);
}

/** log(1 + e^{-|x|}) + max(−x, 0): softplus(−x) without overflow. */
function softplusNeg(x: number): number {
  return Math.log1p(Math.exp(-Math.abs(x))) + Math.max(-x, 0);
}

function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

function checkSameShape(input: Tensor, target: Tensor, op: string): void {
  if (!sameShape(input.shape, target.shape)) {
    throw new ShapeError(`${op}: target shape ${formatShape(target.shape)} must equal input shape ${formatShape(input.shape)}`);
  }
}

function constantInput(inputs: readonly Tensor[], at: number, op: string): Tensor | null {
  const t = inputs[at] ?? null;
  if (t && t.requiresGrad) throw new TypeError(`${op}: a weight that requires a gradient is not supported`);
  return t;
}

/** mse_loss of one element, (x − t)²: also the replayed step's MSE kernel (replay/kernels.ts), so both give the same bits. */
export const mseTerm = (x: number, t: number): number => (x - t) * (x - t);
/** Its slope ∂/∂x, 2(x − t) (∂/∂t is the negative). */
export const mseSlope = (x: number, t: number): number => 2 * (x - t);

export const lossOps: OpTable<LossAttrs> = {
  // d mse = 2(x-t)/n·dy; d/dt the negative
  mse_loss: defineOp({
    saves: [0, 1],
    forward: (inputs, { reduction }) => pointwiseLoss(inputs, plan(inputs, reduction), mseTerm),
    backward: ({ gy, inputs, saved, needs }) => pointwiseBackward(gy, inputs, saved, needs, mseSlope),
  }),
  // d l1 = sign(x-t)/n·dy (0 where x = t, as PyTorch); d/dt the negative
  l1_loss: defineOp({
    saves: [0, 1],
    forward: (inputs, { reduction }) => pointwiseLoss(inputs, plan(inputs, reduction), (a, b) => Math.abs(a - b)),
    backward: ({ gy, inputs, saved, needs }) => pointwiseBackward(gy, inputs, saved, needs, (a, b) => Math.sign(a - b)),
  }),
  // d huber = clamp(x-t, -delta, delta)/n·dy; d/dt the negative
  huber_loss: defineOp({
    saves: [0, 1],
    forward: (inputs, { reduction, delta }) => {
      if (!(delta > 0)) throw new RangeError(`huber_loss does not support non-positive values for delta, got ${delta}`);
      return pointwiseLoss(inputs, plan(inputs, reduction), (a, b) => huber(a - b, delta));
    },
    backward: ({ gy, inputs, saved, needs, attrs: { delta } }) => pointwiseBackward(gy, inputs, saved, needs, (a, b) => huberSlope(a - b, delta)),
  }),
  // d smooth_l1 = (x−t)/beta inside ±beta, sign(x−t) outside, ·dy/n; d/dt the negative
  smooth_l1_loss: defineOp({
    saves: [0, 1],
    forward: (inputs, { reduction, beta }) => {
      if (!(beta >= 0)) throw new RangeError(`smooth_l1_loss does not support negative values for beta, got ${beta}`);
      return pointwiseLoss(inputs, plan(inputs, reduction), (a, b) => smoothL1(a - b, beta));
    },
    backward: ({ gy, inputs, saved, needs, attrs: { beta } }) => pointwiseBackward(gy, inputs, saved, needs, (a, b) => smoothL1Slope(a - b, beta)),
  }),
  // d cross_entropy = ((1−ε)·w_c·(softmax − onehot) + (ε/C)·(softmax·Σw − w))·dy/n per sample; no gradient for class indices
  cross_entropy: defineOp({
    saves: [1],
    forward: (inputs, attrs) => classForward('cross_entropy', inputs, attrs),
    backward: ({ gy, inputs, attrs, saved, needs }) => classBackward('cross_entropy', gy, inputs, attrs, saved, needs),
  }),
  // d nll = −w_c·dy/n at the target class, 0 elsewhere; no gradient for class indices
  nll_loss: defineOp({
    saves: [1],
    forward: (inputs, attrs) => classForward('nll_loss', inputs, attrs),
    backward: ({ gy, inputs, attrs, saved, needs }) => classBackward('nll_loss', gy, inputs, attrs, saved, needs),
  }),
  // d bce/dx = w·(x−t)/max(x(1−x), 1e−12)·dy/n; d bce/dt = w·(log(1−x) − log x)·dy/n (PyTorch: −logit(x), unclamped)
  bce_loss: defineOp({
    saves: [0, 1],
    forward: (inputs, { reduction, weighted }) => {
      const [x, t] = inputs;
      checkSameShape(x, t, 'binary_cross_entropy');
      // NaN passes (as every other op): the instrument has already named the op that produced it.
      const first = x.data.findIndex((v) => v < 0 || v > 1);
      if (first >= 0) {
        let min = Infinity;
        let max = -Infinity;
        let outside = 0;
        for (const v of x.data) {
          if (v < min) min = v;
          if (v > max) max = v;
          if (v < 0 || v > 1) outside++;
        }
        throw new LossInputError(
          `binary_cross_entropy: all elements of input should be between 0 and 1, got ${x.data[first]} at position ${first}`,
          'binary_cross_entropy',
          [0, 1],
          { min, max, outsideShare: outside / x.size },
        );
      }
      const weight = weighted ? constantInput(inputs, 2, 'binary_cross_entropy') : null;
      const p = plan(inputs, reduction, weight);
      const wd = weight?.data;
      return pointwiseLoss(inputs, p, (a, b, i) => (wd ? wd[p.iw![i]] : 1) * bceTerm(a, b));
    },
    backward: ({ gy, inputs, saved, needs }) => {
      const wd = inputs[2]?.data;
      const w = (i: number) => (wd ? wd[saved.iw![i]] : 1);
      return pointwiseBackward(
        gy,
        inputs,
        saved,
        needs,
        (x, t, i) => (w(i) * (x - t)) / Math.max(x * (1 - x), BCE_EPS),
        (x, _t, i) => w(i) * (Math.log(1 - x) - Math.log(x)),
      );
    },
  }),
  // d/dx = w·((1−t) − lw·(1 − σ(x)))·dy/n with lw = (pos_weight − 1)·t + 1; d/dt = w·(−x + (pos_weight − 1)·softplus(−x))·dy/n
  bce_with_logits: defineOp({
    saves: [0, 1],
    forward: (inputs, { reduction, weighted, posWeighted }) => {
      const [x, t] = inputs;
      checkSameShape(x, t, 'binary_cross_entropy_with_logits');
      const weight = weighted ? constantInput(inputs, 2, 'binary_cross_entropy_with_logits') : null;
      const pos = posWeighted ? constantInput(inputs, weighted ? 3 : 2, 'binary_cross_entropy_with_logits') : null;
      const p = plan(inputs, reduction, weight, pos);
      const wd = weight?.data;
      const pd = pos?.data;
      return pointwiseLoss(inputs, p, (a, b, i) => {
        const lw = pd ? (pd[p.ipw![i]] - 1) * b + 1 : 1;
        return (wd ? wd[p.iw![i]] : 1) * ((1 - b) * a + lw * softplusNeg(a));
      });
    },
    backward: ({ gy, inputs, saved, needs, attrs: { weighted, posWeighted } }) => {
      const wd = weighted ? inputs[2].data : null;
      const pd = posWeighted ? inputs[weighted ? 3 : 2].data : null;
      const w = (i: number) => (wd ? wd[saved.iw![i]] : 1);
      const pw = (i: number) => (pd ? pd[saved.ipw![i]] : 1);
      return pointwiseBackward(
        gy,
        inputs,
        saved,
        needs,
        (x, t, i) => w(i) * (1 - t - ((pw(i) - 1) * t + 1) * (1 - sigmoid(x))),
        (x, _t, i) => w(i) * (-x + (pw(i) - 1) * softplusNeg(x)),
      );
    },
  }),
};
