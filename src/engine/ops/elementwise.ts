/** Arithmetic and elementwise math, with broadcasting for the binary ops. */
import { FloatArray, like } from '../dtype';
import { sumToShape } from '../shape';
import { broadcastForward, chain, expand, unary } from './broadcast';
import { defineOp, eachOther, NoAttrs, OpTable } from './types';

export interface ElementwiseAttrs {
  add: NoAttrs;
  sub: NoAttrs;
  mul: NoAttrs;
  div: NoAttrs;
  neg: NoAttrs;
  /** x · factor, a constant */
  scale: { factor: number };
  /** x ** exponent, a constant exponent */
  pow: { exponent: number };
  /** a ** b, both tensors (broadcast) */
  pow_tensor: NoAttrs;
  exp: NoAttrs;
  log: NoAttrs;
  sqrt: NoAttrs;
  rsqrt: NoAttrs;
  abs: NoAttrs;
  sin: NoAttrs;
  cos: NoAttrs;
  log1p: NoAttrs;
  expm1: NoAttrs;
  sign: NoAttrs;
  /** rounding to an integral value (round: half to even, as PyTorch); the gradient is 0 */
  floor: NoAttrs;
  ceil: NoAttrs;
  round: NoAttrs;
  trunc: NoAttrs;
  /** PyTorch's clamp: the gradient passes where min ≤ x ≤ max */
  clamp: { min: number | null; max: number | null };
  minimum: NoAttrs;
  maximum: NoAttrs;
  /** floor(a / b), Python's // */
  floor_divide: NoAttrs;
  /** a − floor(a / b)·b, Python's % (the sign of b) */
  remainder: NoAttrs;
}

/** −1, 0 or 1; 0 for NaN, as PyTorch's sign and sgn. */
function sgn(v: number): number {
  return v > 0 ? 1 : v < 0 ? -1 : 0;
}

/** torch.round: halves go to the even neighbour (2.5 → 2, -0.5 → -0), unlike Math.round. */
function roundHalfEven(v: number): number {
  return Math.abs(v % 1) === 0.5 ? 2 * Math.round(v / 2) : Math.round(v);
}

/** An op rounding each entry to an integral value: its gradient is 0 everywhere. */
function rounding(f: (v: number) => number) {
  return defineOp<NoAttrs, undefined>({
    saves: [],
    forward: ([x]) => ({ data: unary(x, f), shape: x.shape, saved: undefined }),
    backward: ({ gy }) => [like(gy)],
  });
}

/** Python's floor division and modulo, as torch.floor_divide and torch.remainder compute them. */
function floorDiv(a: number, b: number): number {
  return Math.floor(a / b);
}
function pyMod(a: number, b: number): number {
  const r = a - Math.floor(a / b) * b;
  return b === 0 ? NaN : r;
}

/**
 * Gradient split of maximum/minimum, PyTorch's: each side gets dy where it wins, half of dy on a
 * tie, and a NaN on either side compares false everywhere, so both sides get all of dy.
 */
function pickBackward(gy: FloatArray, a: FloatArray, b: FloatArray, loses: (x: number, y: number) => boolean): [FloatArray, FloatArray] {
  const ga = like(gy);
  const gb = like(gy);
  for (let i = 0; i < gy.length; i++) {
    const x = a[i];
    const y = b[i];
    const g = x === y ? gy[i] / 2 : gy[i];
    ga[i] = loses(x, y) ? 0 : g;
    gb[i] = loses(y, x) ? 0 : g;
  }
  return [ga, gb];
}

export const elementwiseOps: OpTable<ElementwiseAttrs> = {
  // d(a+b) = dy, dy (summed over broadcast axes)
  add: defineOp({
    saves: [],
    forward: (inputs) =>
      broadcastForward(inputs, (a, b, o) => {
        for (let i = 0; i < o.length; i++) o[i] = a[i] + b[i];
      }),
    backward: ({ gy, inputs, saved, needs }) => [
      needs[0] ? sumToShape(gy, saved.shape, inputs[0].shape) : null,
      needs[1] ? sumToShape(gy, saved.shape, inputs[1].shape) : null,
    ],
  }),
  // d(a-b) = dy, -dy
  sub: defineOp({
    saves: [],
    forward: (inputs) =>
      broadcastForward(inputs, (a, b, o) => {
        for (let i = 0; i < o.length; i++) o[i] = a[i] - b[i];
      }),
    backward: ({ gy, inputs, saved, needs }) => [
      needs[0] ? sumToShape(gy, saved.shape, inputs[0].shape) : null,
      needs[1] ? sumToShape(chain(gy, () => -1), saved.shape, inputs[1].shape) : null,
    ],
  }),
  // d(a·b) = b·dy, a·dy
  mul: defineOp({
    saves: eachOther,
    forward: (inputs) =>
      broadcastForward(inputs, (a, b, o) => {
        for (let i = 0; i < o.length; i++) o[i] = a[i] * b[i];
      }),
    backward: ({ gy, inputs: [a, b], saved, needs }) => {
      const [ia, ib] = saved.index;
      const ad = a.data;
      const bd = b.data;
      return [
        needs[0] ? sumToShape(chain(gy, (i) => bd[ib ? ib[i] : i]), saved.shape, a.shape) : null,
        needs[1] ? sumToShape(chain(gy, (i) => ad[ia ? ia[i] : i]), saved.shape, b.shape) : null,
      ];
    },
  }),
  // d(a/b) = dy/b, -a·dy/b²
  div: defineOp({
    saves: (needs) => (needs[1] ? [0, 1] : needs[0] ? [1] : []),
    forward: (inputs) =>
      broadcastForward(inputs, (a, b, o) => {
        for (let i = 0; i < o.length; i++) o[i] = a[i] / b[i];
      }),
    backward: ({ gy, inputs: [a, b], saved, needs }) => {
      if (!needs[1] && b.size === 1 && saved.index[0] === null) {
        // x / constant (attention's scaling): the same products as below, without spreading b over x's shape
        const r = 1 / b.data[0];
        const g = like(gy);
        for (let i = 0; i < g.length; i++) g[i] = gy[i] * r;
        return [g, null];
      }
      const bv = expand(b.data, saved.index[1]);
      const av = needs[1] ? expand(a.data, saved.index[0]) : null;
      return [
        needs[0] ? sumToShape(chain(gy, (i) => 1 / bv[i]), saved.shape, a.shape) : null,
        av ? sumToShape(chain(gy, (i) => -av[i] / (bv[i] * bv[i])), saved.shape, b.shape) : null,
      ];
    },
  }),
  // d(-x) = -dy
  neg: defineOp({
    saves: [],
    forward: ([x]) => ({ data: unary(x, (v) => -v), shape: x.shape, saved: undefined }),
    backward: ({ gy }) => [chain(gy, () => -1)],
  }),
  // d(c·x) = c·dy (c rounded to the tensor's dtype first, as PyTorch casts a Python scalar)
  scale: defineOp({
    saves: [],
    // x * 2 and x / 2 save the 2 as a tensor (MulBackward0, DivBackward0)
    savesBesides: () => true,
    forward: ([x], { factor }) => {
      const c = x.data instanceof Float32Array ? Math.fround(factor) : factor;
      return { data: unary(x, (v) => v * c), shape: x.shape, saved: undefined };
    },
    backward: ({ gy, attrs: { factor } }) => {
      const c = gy instanceof Float32Array ? Math.fround(factor) : factor;
      return [chain(gy, () => c)];
    },
  }),
  // d xᵖ = p·xᵖ⁻¹·dy (0 where p = 0, as PyTorch)
  pow: defineOp({
    saves: [0],
    forward: ([x], { exponent }) => ({ data: unary(x, (v) => Math.pow(v, exponent)), shape: x.shape, saved: undefined }),
    backward: ({ gy, inputs: [x], attrs: { exponent } }) => [
      chain(gy, (i) => (exponent === 0 ? 0 : exponent * Math.pow(x.data[i], exponent - 1))),
    ],
  }),
  // d aᵇ = b·aᵇ⁻¹·dy (0 where b = 0), aᵇ·log a·dy (0 where a = 0 and b ≥ 0, as PyTorch)
  pow_tensor: defineOp({
    saves: (needs) => (needs[1] ? [0, 1, 'output'] : [0, 1]),
    forward: (inputs) =>
      broadcastForward(inputs, (a, b, o) => {
        for (let i = 0; i < o.length; i++) o[i] = Math.pow(a[i], b[i]);
      }),
    backward: ({ gy, inputs: [a, b], out, saved, needs }) => {
      const av = expand(a.data, saved.index[0]);
      const bv = expand(b.data, saved.index[1]);
      return [
        needs[0] ? sumToShape(chain(gy, (i) => (bv[i] === 0 ? 0 : bv[i] * Math.pow(av[i], bv[i] - 1))), saved.shape, a.shape) : null,
        needs[1] ? sumToShape(chain(gy, (i) => (av[i] === 0 && bv[i] >= 0 ? 0 : out.data[i] * Math.log(av[i]))), saved.shape, b.shape) : null,
      ];
    },
  }),
  // d eˣ = eˣ·dy (the output is saved)
  exp: defineOp({
    saves: ['output'],
    forward: ([x]) => ({ data: unary(x, Math.exp), shape: x.shape, saved: undefined }),
    backward: ({ gy, out }) => [chain(gy, (i) => out.data[i])],
  }),
  // d log x = dy/x
  log: defineOp({
    saves: [0],
    forward: ([x]) => ({ data: unary(x, Math.log), shape: x.shape, saved: undefined }),
    backward: ({ gy, inputs: [x] }) => [chain(gy, (i) => 1 / x.data[i])],
  }),
  // d √x = dy/(2√x)
  sqrt: defineOp({
    saves: ['output'],
    forward: ([x]) => ({ data: unary(x, Math.sqrt), shape: x.shape, saved: undefined }),
    backward: ({ gy, out }) => [chain(gy, (i) => 0.5 / out.data[i])],
  }),
  // d x^(-1/2) = -½·y³·dy
  rsqrt: defineOp({
    saves: ['output'],
    forward: ([x]) => ({ data: unary(x, (v) => 1 / Math.sqrt(v)), shape: x.shape, saved: undefined }),
    backward: ({ gy, out }) => [chain(gy, (i) => -0.5 * out.data[i] * out.data[i] * out.data[i])],
  }),
  // d|x| = sign(x)·dy, 0 at 0 and at NaN (PyTorch's sgn)
  abs: defineOp({
    saves: [0],
    forward: ([x]) => ({ data: unary(x, Math.abs), shape: x.shape, saved: undefined }),
    backward: ({ gy, inputs: [x] }) => {
      const d = x.data;
      return [chain(gy, (i) => sgn(d[i]))];
    },
  }),
  // d sin x = cos x·dy
  sin: defineOp({
    saves: [0],
    forward: ([x]) => ({ data: unary(x, Math.sin), shape: x.shape, saved: undefined }),
    backward: ({ gy, inputs: [x] }) => [chain(gy, (i) => Math.cos(x.data[i]))],
  }),
  // d cos x = -sin x·dy
  cos: defineOp({
    saves: [0],
    forward: ([x]) => ({ data: unary(x, Math.cos), shape: x.shape, saved: undefined }),
    backward: ({ gy, inputs: [x] }) => [chain(gy, (i) => -Math.sin(x.data[i]))],
  }),
  // d log(1+x) = dy/(1+x)
  log1p: defineOp({
    saves: [0],
    forward: ([x]) => ({ data: unary(x, Math.log1p), shape: x.shape, saved: undefined }),
    backward: ({ gy, inputs: [x] }) => [chain(gy, (i) => 1 / (1 + x.data[i]))],
  }),
  // d(eˣ−1) = (y+1)·dy
  expm1: defineOp({
    saves: ['output'],
    forward: ([x]) => ({ data: unary(x, Math.expm1), shape: x.shape, saved: undefined }),
    backward: ({ gy, out }) => [chain(gy, (i) => out.data[i] + 1)],
  }),
  // d sign = 0 (sign(NaN) = 0, as PyTorch)
  sign: defineOp({
    saves: [],
    forward: ([x]) => ({ data: unary(x, sgn), shape: x.shape, saved: undefined }),
    backward: ({ gy }) => [like(gy)],
  }),
  // d floor = d ceil = d round = d trunc = 0: steps, flat between them (PyTorch's zero gradient)
  floor: rounding(Math.floor),
  ceil: rounding(Math.ceil),
  round: rounding(roundHalfEven),
  trunc: rounding(Math.trunc),
  // d clamp(x) = dy where min ≤ x ≤ max, else 0
  clamp: defineOp({
    saves: [0],
    forward: ([x], { min, max }) => {
      const lo = min ?? -Infinity;
      const hi = max ?? Infinity;
      // a min above the max gives the max everywhere, as PyTorch
      return { data: unary(x, (v) => (v !== v ? v : v > hi ? hi : v < lo ? lo : v)), shape: x.shape, saved: undefined };
    },
    backward: ({ gy, inputs: [x], attrs: { min, max } }) => {
      const lo = min ?? -Infinity;
      const hi = max ?? Infinity;
      return [chain(gy, (i) => (x.data[i] >= lo && x.data[i] <= hi ? 1 : 0))];
    },
  }),
  // d max(a, b) = dy to the larger (half each on a tie); NaN wins forward
  maximum: defineOp({
    saves: [0, 1],
    forward: (inputs) =>
      broadcastForward(inputs, (a, b, o) => {
        for (let i = 0; i < o.length; i++) o[i] = a[i] !== a[i] || b[i] !== b[i] ? NaN : a[i] > b[i] ? a[i] : b[i];
      }),
    backward: ({ gy, inputs: [a, b], saved, needs }) => {
      const [ga, gb] = pickBackward(gy, expand(a.data, saved.index[0]), expand(b.data, saved.index[1]), (x, y) => x < y);
      return [needs[0] ? sumToShape(ga, saved.shape, a.shape) : null, needs[1] ? sumToShape(gb, saved.shape, b.shape) : null];
    },
  }),
  // d min(a, b) = dy to the smaller (half each on a tie); NaN wins forward
  minimum: defineOp({
    saves: [0, 1],
    forward: (inputs) =>
      broadcastForward(inputs, (a, b, o) => {
        for (let i = 0; i < o.length; i++) o[i] = a[i] !== a[i] || b[i] !== b[i] ? NaN : a[i] < b[i] ? a[i] : b[i];
      }),
    backward: ({ gy, inputs: [a, b], saved, needs }) => {
      const [ga, gb] = pickBackward(gy, expand(a.data, saved.index[0]), expand(b.data, saved.index[1]), (x, y) => x > y);
      return [needs[0] ? sumToShape(ga, saved.shape, a.shape) : null, needs[1] ? sumToShape(gb, saved.shape, b.shape) : null];
    },
  }),
  // d(a // b) = 0, 0 (piecewise constant)
  floor_divide: defineOp({
    saves: [],
    forward: (inputs) =>
      broadcastForward(inputs, (a, b, o) => {
        for (let i = 0; i < o.length; i++) o[i] = floorDiv(a[i], b[i]);
      }),
    backward: ({ inputs: [a, b], needs }) => [needs[0] ? like(a.data) : null, needs[1] ? like(b.data) : null],
  }),
  // d(a % b) = dy, −floor(a/b)·dy
  remainder: defineOp({
    saves: (needs) => (needs[1] ? [0, 1] : []),
    forward: (inputs) =>
      broadcastForward(inputs, (a, b, o) => {
        for (let i = 0; i < o.length; i++) o[i] = pyMod(a[i], b[i]);
      }),
    backward: ({ gy, inputs: [a, b], saved, needs }) => {
      let gb: FloatArray | null = null;
      if (needs[1]) {
        const av = expand(a.data, saved.index[0]);
        const bv = expand(b.data, saved.index[1]);
        gb = sumToShape(chain(gy, (i) => -floorDiv(av[i], bv[i])), saved.shape, b.shape);
      }
      return [needs[0] ? sumToShape(gy, saved.shape, a.shape) : null, gb];
    },
  }),
};
