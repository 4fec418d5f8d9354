/** Arithmetic and elementwise math, with broadcasting for the binary ops. */
import { FloatArray, like } from '../dtype';
import { broadcastIndex, broadcastShape, sameShape, Shape, sizeOf, sumToShape } from '../shape';
import type { Tensor } from '../tensor';
import { defineOp, NoAttrs, OpTable } from './types';

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
  exp: NoAttrs;
  log: NoAttrs;
  sqrt: NoAttrs;
  abs: NoAttrs;
  /** PyTorch's clamp: the gradient passes where min ≤ x ≤ max */
  clamp: { min: number | null; max: number | null };
}

/** Where each output element reads its operands: null means "same index" (no broadcast). */
interface Broadcast {
  shape: Shape;
  ia: Int32Array | null;
  ib: Int32Array | null;
}

function plan(a: Tensor, b: Tensor): Broadcast {
  if (sameShape(a.shape, b.shape)) return { shape: a.shape, ia: null, ib: null };
  const shape = broadcastShape(a.shape, b.shape);
  return {
    shape,
    ia: sameShape(a.shape, shape) ? null : broadcastIndex(a.shape, shape),
    ib: sameShape(b.shape, shape) ? null : broadcastIndex(b.shape, shape),
  };
}

/** Reads operand values at broadcast positions into dense arrays of the output's size. */
function expand(x: FloatArray, idx: Int32Array | null): FloatArray {
  if (!idx) return x;
  const out = like(x, idx.length);
  for (let i = 0; i < idx.length; i++) out[i] = x[idx[i]];
  return out;
}

function binaryForward(inputs: readonly Tensor[], f: (a: FloatArray, b: FloatArray, out: FloatArray) => void) {
  const [a, b] = inputs;
  const p = plan(a, b);
  const out = like(a.data, sizeOf(p.shape));
  f(expand(a.data, p.ia), expand(b.data, p.ib), out);
  return { data: out, shape: p.shape, saved: p };
}

function unary(x: Tensor, f: (v: number) => number): FloatArray {
  const d = x.data;
  const out = like(d);
  for (let i = 0; i < d.length; i++) out[i] = f(d[i]);
  return out;
}

/** gy · local, elementwise. */
function chain(gy: FloatArray, local: (i: number) => number): FloatArray {
  const g = like(gy);
  for (let i = 0; i < gy.length; i++) g[i] = gy[i] * local(i);
  return g;
}

export const elementwiseOps: OpTable<ElementwiseAttrs> = {
  // d(a+b) = dy, dy (summed over broadcast axes)
  add: defineOp({
    forward: (inputs) =>
      binaryForward(inputs, (a, b, o) => {
        for (let i = 0; i < o.length; i++) o[i] = a[i] + b[i];
      }),
    backward: ({ gy, inputs, saved, needs }) => [
      needs[0] ? sumToShape(gy, saved.shape, inputs[0].shape) : null,
      needs[1] ? sumToShape(gy, saved.shape, inputs[1].shape) : null,
    ],
  }),
  // d(a-b) = dy, -dy
  sub: defineOp({
    forward: (inputs) =>
      binaryForward(inputs, (a, b, o) => {
        for (let i = 0; i < o.length; i++) o[i] = a[i] - b[i];
      }),
    backward: ({ gy, inputs, saved, needs }) => [
      needs[0] ? sumToShape(gy, saved.shape, inputs[0].shape) : null,
      needs[1] ? sumToShape(chain(gy, () => -1), saved.shape, inputs[1].shape) : null,
    ],
  }),
  // d(a·b) = b·dy, a·dy
  mul: defineOp({
    forward: (inputs) =>
      binaryForward(inputs, (a, b, o) => {
        for (let i = 0; i < o.length; i++) o[i] = a[i] * b[i];
      }),
    backward: ({ gy, inputs, saved, needs }) => {
      const [a, b] = inputs;
      const av = expand(a.data, saved.ia);
      const bv = expand(b.data, saved.ib);
      return [
        needs[0] ? sumToShape(chain(gy, (i) => bv[i]), saved.shape, a.shape) : null,
        needs[1] ? sumToShape(chain(gy, (i) => av[i]), saved.shape, b.shape) : null,
      ];
    },
  }),
  // d(a/b) = dy/b, -a·dy/b²
  div: defineOp({
    forward: (inputs) =>
      binaryForward(inputs, (a, b, o) => {
        for (let i = 0; i < o.length; i++) o[i] = a[i] / b[i];
      }),
    backward: ({ gy, inputs, saved, needs }) => {
      const [a, b] = inputs;
      const av = expand(a.data, saved.ia);
      const bv = expand(b.data, saved.ib);
      return [
        needs[0] ? sumToShape(chain(gy, (i) => 1 / bv[i]), saved.shape, a.shape) : null,
        needs[1] ? sumToShape(chain(gy, (i) => -av[i] / (bv[i] * bv[i])), saved.shape, b.shape) : null,
      ];
    },
  }),
  // d(-x) = -dy
  neg: defineOp({
    forward: ([x]) => ({ data: unary(x, (v) => -v), shape: x.shape, saved: undefined }),
    backward: ({ gy }) => [chain(gy, () => -1)],
  }),
  // d(c·x) = c·dy
  scale: defineOp({
    forward: ([x], { factor }) => ({ data: unary(x, (v) => v * factor), shape: x.shape, saved: undefined }),
    backward: ({ gy, attrs }) => [chain(gy, () => attrs.factor)],
  }),
  // d xᵖ = p·xᵖ⁻¹·dy
  pow: defineOp({
    forward: ([x], { exponent }) => ({ data: unary(x, (v) => Math.pow(v, exponent)), shape: x.shape, saved: undefined }),
    backward: ({ gy, inputs: [x], attrs: { exponent } }) => [
      chain(gy, (i) => (exponent === 0 ? 0 : exponent * Math.pow(x.data[i], exponent - 1))),
    ],
  }),
  // d eˣ = eˣ·dy (the output is saved)
  exp: defineOp({
    forward: ([x]) => ({ data: unary(x, Math.exp), shape: x.shape, saved: undefined }),
    backward: ({ gy, out }) => [chain(gy, (i) => out.data[i])],
  }),
  // d log x = dy/x
  log: defineOp({
    forward: ([x]) => ({ data: unary(x, Math.log), shape: x.shape, saved: undefined }),
    backward: ({ gy, inputs: [x] }) => [chain(gy, (i) => 1 / x.data[i])],
  }),
  // d √x = dy/(2√x)
  sqrt: defineOp({
    forward: ([x]) => ({ data: unary(x, Math.sqrt), shape: x.shape, saved: undefined }),
    backward: ({ gy, out }) => [chain(gy, (i) => 0.5 / out.data[i])],
  }),
  // d|x| = sign(x)·dy, 0 at 0 (PyTorch)
  abs: defineOp({
    forward: ([x]) => ({ data: unary(x, Math.abs), shape: x.shape, saved: undefined }),
    backward: ({ gy, inputs: [x] }) => [chain(gy, (i) => Math.sign(x.data[i]))],
  }),
  // d clamp(x) = dy where min ≤ x ≤ max, else 0
  clamp: defineOp({
    forward: ([x], { min, max }) => {
      const lo = min ?? -Infinity;
      const hi = max ?? Infinity;
      return { data: unary(x, (v) => (v < lo ? lo : v > hi ? hi : v)), shape: x.shape, saved: undefined };
    },
    backward: ({ gy, inputs: [x], attrs: { min, max } }) => {
      const lo = min ?? -Infinity;
      const hi = max ?? Infinity;
      return [chain(gy, (i) => (x.data[i] >= lo && x.data[i] <= hi ? 1 : 0))];
    },
  }),
};
