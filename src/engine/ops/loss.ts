/** Losses with PyTorch's names and reductions, fused for numerical stability. */
import { FloatArray, like } from '../dtype';
import { broadcastIndex, broadcastShape, formatShape, sameShape, Shape, ShapeError, sizeOf, sumToShape } from '../shape';
import type { Tensor } from '../tensor';
import { defineOp, OpTable } from './types';

export type Reduction = 'mean' | 'sum';

export interface LossAttrs {
  /** inputs: [input, target] for all of them. */
  mse_loss: { reduction: Reduction };
  l1_loss: { reduction: Reduction };
  huber_loss: { reduction: Reduction; delta: number };
  /** input (N, C) logits (or (N, C, d...)), target (N) class indices stored as floats. */
  cross_entropy: { reduction: Reduction };
  /** input (N, C) log-probabilities, target (N) class indices. */
  nll_loss: { reduction: Reduction };
  /** input probabilities in [0, 1]; log clamped at -100 as PyTorch. */
  bce_loss: { reduction: Reduction };
  bce_with_logits: { reduction: Reduction };
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

/** PyTorch's default `ignore_index`: a target of -100 adds nothing and is left out of the mean. */
const IGNORE_INDEX = -100;

/**
 * PyTorch's floor on x(1-x) in the BCE input gradient, so p = 0 or 1 gives a huge but finite slope.
 * PyTorch holds it as a float32 constant, hence the rounding (1/it is 1.000000004e12, not 1e12).
 */
const BCE_EPS = Math.fround(1e-12);

// ── pointwise losses: input and target broadcast against each other (PyTorch warns, then broadcasts) ──

interface Pointwise {
  shape: Shape;
  ia: Int32Array | null;
  ib: Int32Array | null;
  /** The number the mean divides by (and the gradient with it). */
  divisor: number;
}

function plan(input: Tensor, target: Tensor, reduction: Reduction): Pointwise {
  const shape = sameShape(input.shape, target.shape) ? input.shape : broadcastShape(input.shape, target.shape);
  return {
    shape,
    ia: sameShape(input.shape, shape) ? null : broadcastIndex(input.shape, shape),
    ib: sameShape(target.shape, shape) ? null : broadcastIndex(target.shape, shape),
    divisor: reduction === 'mean' ? sizeOf(shape) : 1,
  };
}

/** Σ f(xᵢ, tᵢ) over the broadcast elements, divided by the count for 'mean'. */
function reduceLoss(input: Tensor, target: Tensor, reduction: Reduction, f: (x: number, t: number) => number) {
  const p = plan(input, target, reduction);
  const xs = input.data;
  const ts = target.data;
  let total = 0;
  const n = sizeOf(p.shape);
  for (let i = 0; i < n; i++) total += f(xs[p.ia ? p.ia[i] : i], ts[p.ib ? p.ib[i] : i]);
  const out = like(xs, 1);
  out[0] = total / p.divisor;
  return { data: out, shape: [] as Shape, saved: p };
}

/**
 * Gradients of a pointwise loss: `dx(x, t)` is ∂loss/∂x of one element; ∂/∂t is `dt` (or -dx
 * when the loss depends on x - t only). Both are scaled by dy / divisor and summed back over
 * broadcast axes.
 */
function pointwiseBackward(
  gy: FloatArray,
  inputs: readonly Tensor[],
  p: Pointwise,
  needs: readonly boolean[],
  dx: (x: number, t: number) => number,
  dt: (x: number, t: number) => number = (x, t) => -dx(x, t),
): (FloatArray | null)[] {
  const [input, target] = inputs;
  const n = sizeOf(p.shape);
  const g = gy[0] / p.divisor;
  const grad = (local: (x: number, t: number) => number, of: FloatArray, to: Shape): FloatArray => {
    const out = like(of, n);
    for (let i = 0; i < n; i++) out[i] = g * local(input.data[p.ia ? p.ia[i] : i], target.data[p.ib ? p.ib[i] : i]);
    return sumToShape(out, p.shape, to);
  };
  return [
    needs[0] ? grad(dx, input.data, input.shape) : null,
    needs[1] ? grad(dt, target.data, target.shape) : null,
  ];
}

/** PyTorch's huber: quadratic inside ±delta, linear outside, continuous slope at the seam. */
function huber(d: number, delta: number): number {
  const a = Math.abs(d);
  return a < delta ? 0.5 * d * d : delta * (a - 0.5 * delta);
}

function huberSlope(d: number, delta: number): number {
  return d < -delta ? -delta : d > delta ? delta : d;
}

// ── class-index losses: input (N, C, d...) or (C), target (N, d...) or () ──

interface ClassLayout {
  /** Samples (N·d1·…), classes C, and the stride between classes (d1·…). */
  samples: number;
  classes: number;
  inner: number;
  /** Offset of sample s's class-0 element in the input. */
  base: (s: number) => number;
}

function classLayout(input: Tensor, target: Tensor, op: string): ClassLayout {
  const unbatched = input.rank === 1;
  if (input.rank === 0) throw new ShapeError(`${op} needs input of shape (C) or (N, C, ...), got a scalar`);
  const expected = unbatched ? [] : [input.shape[0], ...input.shape.slice(2)];
  if (!sameShape(target.shape, expected)) {
    throw new ShapeError(
      `${op}: for input of shape ${formatShape(input.shape)} the target must hold class indices of shape ` +
        `${formatShape(expected)}, got ${formatShape(target.shape)}`,
    );
  }
  const classes = unbatched ? input.shape[0] : input.shape[1];
  const inner = unbatched ? 1 : sizeOf(input.shape.slice(2));
  return {
    samples: sizeOf(expected),
    classes,
    inner,
    base: (s) => Math.floor(s / inner) * classes * inner + (s % inner),
  };
}

/** The class index of sample s, or -1 when it is PyTorch's ignore_index; throws when out of range. */
function classOf(target: Tensor, s: number, classes: number): number {
  const c = target.data[s];
  if (c === IGNORE_INDEX) return -1;
  if (!Number.isInteger(c) || c < 0 || c >= classes) {
    throw new RangeError(`target class index ${c} at position ${s} is out of range for ${classes} classes (valid: 0 to ${classes - 1})`);
  }
  return c;
}

/** How many samples count toward the mean (those not ignored). */
function counted(target: Tensor, layout: ClassLayout): number {
  let n = 0;
  for (let s = 0; s < layout.samples; s++) if (classOf(target, s, layout.classes) >= 0) n++;
  return n;
}

interface CrossEntropySaved {
  layout: ClassLayout;
  /** log-softmax over the class axis, the input's layout. */
  logp: Float64Array;
  divisor: number;
}

// ── binary losses ──

function bceTerm(x: number, t: number): number {
  // PyTorch clamps each log at -100 so p = 0 or 1 gives a large finite loss, not inf or NaN.
  const logX = Math.max(Math.log(x), -100);
  const log1mX = Math.max(Math.log(1 - x), -100);
  return -(t * logX + (1 - t) * log1mX);
}

/** log(1 + e^{-|x|}) + max(x, 0) - x·t: never overflows, for any finite x. */
function bceWithLogitsTerm(x: number, t: number): number {
  return Math.max(x, 0) - x * t + Math.log1p(Math.exp(-Math.abs(x)));
}

function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

function checkSameShape(input: Tensor, target: Tensor, op: string): void {
  if (!sameShape(input.shape, target.shape)) {
    throw new ShapeError(
      `${op}: target shape ${formatShape(target.shape)} must equal input shape ${formatShape(input.shape)}`,
    );
  }
}

export const lossOps: OpTable<LossAttrs> = {
  // d mse = 2(x-t)/n·dy; d/dt the negative
  mse_loss: defineOp({
    saves: [0, 1],
    forward: ([x, t], { reduction }) => reduceLoss(x, t, reduction, (a, b) => (a - b) * (a - b)),
    backward: ({ gy, inputs, saved, needs }) => pointwiseBackward(gy, inputs, saved, needs, (a, b) => 2 * (a - b)),
  }),
  // d l1 = sign(x-t)/n·dy (0 where x = t, as PyTorch); d/dt the negative
  l1_loss: defineOp({
    saves: [0, 1],
    forward: ([x, t], { reduction }) => reduceLoss(x, t, reduction, (a, b) => Math.abs(a - b)),
    backward: ({ gy, inputs, saved, needs }) => pointwiseBackward(gy, inputs, saved, needs, (a, b) => Math.sign(a - b)),
  }),
  // d huber = clamp(x-t, -delta, delta)/n·dy; d/dt the negative
  huber_loss: defineOp({
    saves: [0, 1],
    forward: ([x, t], { reduction, delta }) => {
      if (!(delta > 0)) throw new RangeError(`huber_loss does not support non-positive values for delta, got ${delta}`);
      return reduceLoss(x, t, reduction, (a, b) => huber(a - b, delta));
    },
    backward: ({ gy, inputs, saved, needs, attrs: { delta } }) =>
      pointwiseBackward(gy, inputs, saved, needs, (a, b) => huberSlope(a - b, delta)),
  }),
  // d cross_entropy = (softmax(x) - onehot(t))·dy/n over the class axis; no gradient for class indices
  cross_entropy: defineOp({
    saves: [1],
    forward: ([x, t], { reduction }) => {
      const layout = classLayout(x, t, 'cross_entropy');
      const { samples, classes, inner, base } = layout;
      const logp = new Float64Array(x.size);
      let total = 0;
      for (let s = 0; s < samples; s++) {
        const c = classOf(t, s, classes);
        const b = base(s);
        // Shift by the largest logit so exp never overflows (logits of 1000 stay finite).
        let m = -Infinity;
        for (let k = 0; k < classes; k++) {
          const v = x.data[b + k * inner];
          if (v > m) m = v;
        }
        // All -inf (or an empty row) has no finite shift; PyTorch gives NaN there too.
        if (m === -Infinity) m = 0;
        let z = 0;
        for (let k = 0; k < classes; k++) z += Math.exp(x.data[b + k * inner] - m);
        const lse = m + Math.log(z);
        for (let k = 0; k < classes; k++) logp[b + k * inner] = x.data[b + k * inner] - lse;
        if (c >= 0) total -= logp[b + c * inner];
      }
      const divisor = reduction === 'mean' ? counted(t, layout) : 1;
      const out = like(x.data, 1);
      out[0] = total / divisor;
      const saved: CrossEntropySaved = { layout, logp, divisor };
      return { data: out, shape: [] as Shape, saved };
    },
    backward: ({ gy, inputs: [x, t], saved }) => {
      const { layout, logp, divisor } = saved;
      const { samples, classes, inner, base } = layout;
      const g = like(x.data);
      const scale = gy[0] / divisor;
      for (let s = 0; s < samples; s++) {
        const c = classOf(t, s, classes);
        if (c < 0) continue;
        const b = base(s);
        for (let k = 0; k < classes; k++) {
          const i = b + k * inner;
          g[i] = scale * (Math.exp(logp[i]) - (k === c ? 1 : 0));
        }
      }
      return [g, null];
    },
  }),
  // d nll = -dy/n at the target class, 0 elsewhere; no gradient for class indices
  nll_loss: defineOp({
    saves: [1],
    forward: ([x, t], { reduction }) => {
      const layout = classLayout(x, t, 'nll_loss');
      let total = 0;
      for (let s = 0; s < layout.samples; s++) {
        const c = classOf(t, s, layout.classes);
        if (c >= 0) total -= x.data[layout.base(s) + c * layout.inner];
      }
      const divisor = reduction === 'mean' ? counted(t, layout) : 1;
      const out = like(x.data, 1);
      out[0] = total / divisor;
      return { data: out, shape: [] as Shape, saved: { layout, divisor } };
    },
    backward: ({ gy, inputs: [x, t], saved: { layout, divisor } }) => {
      const g = like(x.data);
      for (let s = 0; s < layout.samples; s++) {
        const c = classOf(t, s, layout.classes);
        if (c >= 0) g[layout.base(s) + c * layout.inner] = -gy[0] / divisor;
      }
      return [g, null];
    },
  }),
  // d bce/dx = (x-t)/max(x(1-x), 1e-12)·dy/n; d bce/dt = (log(1-x) - log x)·dy/n (PyTorch: -logit(x), unclamped)
  bce_loss: defineOp({
    saves: [0, 1],
    forward: ([x, t], { reduction }) => {
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
      return reduceLoss(x, t, reduction, bceTerm);
    },
    backward: ({ gy, inputs, saved, needs }) =>
      pointwiseBackward(
        gy,
        inputs,
        saved,
        needs,
        (x, t) => (x - t) / Math.max(x * (1 - x), BCE_EPS),
        (x) => Math.log(1 - x) - Math.log(x),
      ),
  }),
  // d/dx = (σ(x) - t)·dy/n; d/dt = -x·dy/n
  bce_with_logits: defineOp({
    saves: [0, 1],
    forward: ([x, t], { reduction }) => {
      checkSameShape(x, t, 'binary_cross_entropy_with_logits');
      return reduceLoss(x, t, reduction, bceWithLogitsTerm);
    },
    backward: ({ gy, inputs, saved, needs }) =>
      pointwiseBackward(
        gy,
        inputs,
        saved,
        needs,
        (x, t) => sigmoid(x) - t,
        (x) => -x,
      ),
  }),
};
