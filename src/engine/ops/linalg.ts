/** Matrix products: matmul and the fused linear layer (y = x Wᵀ + b, W stored [out, in] as PyTorch). */
import { like, likeUnzeroed } from '../dtype';
import { gemmBatch, linearBackward, linearForward } from '../kernels/gemm';
import { broadcastIndex, broadcastShape, formatShape, Shape, ShapeError, sizeOf } from '../shape';
import type { Tensor } from '../tensor';
import { defineOp, eachOther, NoAttrs, OpTable } from './types';

export interface LinalgAttrs {
  matmul: NoAttrs;
  /** inputs: [x, weight] or [x, weight, bias] */
  linear: NoAttrs;
}

/**
 * How torch.matmul's operands map onto a batch of (m×k)·(k×n) products: a 1-D operand is a row
 * (left) or a column (right) whose axis is dropped from the result; when the right operand is a
 * plain matrix every leading axis of the left one folds into m, so the whole product is one GEMM.
 */
interface MatmulPlan {
  m: number;
  n: number;
  k: number;
  /** Per product in the batch, which matrix of a and of b it reads (broadcast batch axes repeat one). */
  ia: Int32Array;
  ib: Int32Array;
  /** The product's own place in the result: 0, 1, 2, … */
  ic: Int32Array;
  shape: Shape;
}

function planMatmul(a: Shape, b: Shape): MatmulPlan {
  if (a.length === 0 || b.length === 0) {
    throw new ShapeError(`matmul needs tensors of rank ≥ 1, got ${formatShape(a)} and ${formatShape(b)}`);
  }
  const k = a[a.length - 1];
  const kb = b.length === 1 ? b[0] : b[b.length - 2];
  if (k !== kb) throw new ShapeError(`matmul: shapes ${formatShape(a)} and ${formatShape(b)} cannot be multiplied (${k} ≠ ${kb})`);
  const n = b.length === 1 ? 1 : b[b.length - 1];
  const one = Int32Array.of(0);
  if (b.length <= 2) {
    // [..., m, k] @ [k, n]: the leading axes of a are just more rows.
    const shape = [...a.slice(0, -1), ...(b.length === 2 ? [n] : [])];
    return { m: sizeOf(a.slice(0, -1)), n, k, ia: one, ib: one, ic: one, shape };
  }
  const m = a.length === 1 ? 1 : a[a.length - 2];
  const batchA = a.slice(0, -2);
  const batchB = b.slice(0, -2);
  const batch = broadcastShape(batchA, batchB);
  const shape = [...batch, ...(a.length === 1 ? [] : [m]), n];
  const ia = broadcastIndex(batchA, batch);
  return { m, n, k, ia, ib: broadcastIndex(batchB, batch), ic: Int32Array.from(ia, (_, t) => t), shape };
}

function checkLinear(inputs: readonly Tensor[]): { rows: number; nIn: number; nOut: number } {
  const [x, w, bias] = inputs;
  if (w.rank !== 2) throw new ShapeError(`linear: weight must be [out_features, in_features], got ${formatShape(w.shape)}`);
  const [nOut, nIn] = w.shape;
  if (x.rank === 0 || x.shape[x.rank - 1] !== nIn) {
    throw new ShapeError(`linear: input ${formatShape(x.shape)} does not end in in_features = ${nIn} of weight ${formatShape(w.shape)}`);
  }
  if (bias && (bias.rank !== 1 || bias.shape[0] !== nOut)) {
    throw new ShapeError(`linear: bias ${formatShape(bias.shape)} must be [${nOut}] to match weight ${formatShape(w.shape)}`);
  }
  return { rows: nIn ? x.size / nIn : sizeOf(x.shape.slice(0, -1)), nIn, nOut };
}

/**
 * x's shape with the last axis replaced: without spreading slices, as this runs on every linear call.
 * A square layer's output has x's own shape, which it shares (shapes are never written), one array
 * fewer per call.
 */
function withLastAxis(shape: Shape, last: number): Shape {
  if (shape[shape.length - 1] === last) return shape;
  const out = shape.slice();
  out[out.length - 1] = last;
  return out;
}

export const linalgOps: OpTable<LinalgAttrs> = {
  // d(a·b) = dy·bᵀ, aᵀ·dy (summed over broadcast batch axes)
  matmul: defineOp({
    saves: eachOther,
    forward: ([a, b]) => {
      const p = planMatmul(a.shape, b.shape);
      const { m, n, k } = p;
      const out = like(a.data, sizeOf(p.shape));
      gemmBatch(false, false, m, n, k, a.data, p.ia, b.data, p.ib, out, p.ic, false);
      return { data: out, shape: p.shape, saved: p };
    },
    backward: ({ gy, inputs: [a, b], saved: { m, n, k, ia, ib, ic }, needs }) => {
      const da = needs[0] ? like(a.data) : null;
      const db = needs[1] ? like(b.data) : null;
      // a matrix of a broadcast operand sums the gradients of every product that read it
      if (da) gemmBatch(false, true, m, k, n, gy, ic, b.data, ib, da, ia, false);
      if (db) gemmBatch(true, false, k, n, m, a.data, ia, gy, ic, db, ib, false);
      return [da, db];
    },
  }),
  // d(x·Wᵀ + b) = dy·W, dyᵀ·x, Σ_rows dy
  linear: defineOp({
    saves: eachOther,
    forward: (inputs) => {
      const [x, w, bias] = inputs;
      const { rows, nIn, nOut } = checkLinear(inputs);
      const out = likeUnzeroed(x.data, rows * nOut);
      linearForward(x, w, bias ? bias.data : null, out, rows, nIn, nOut);
      return { data: out, shape: withLastAxis(x.shape, nOut), saved: undefined };
    },
    backward: ({ gy, inputs, needs }) => {
      const [x, w, bias] = inputs;
      const [nOut, nIn] = w.shape;
      const rows = nIn ? x.size / nIn : sizeOf(x.shape.slice(0, -1));
      const dx = needs[0] ? likeUnzeroed(x.data) : null;
      const dw = needs[1] ? likeUnzeroed(w.data) : null;
      const db = bias && needs[2] ? like(bias.data) : null;
      linearBackward({ gy, x, w, rows, nIn, nOut, dx, dw, db });
      return bias ? [dx, dw, db] : [dx, dw];
    },
  }),
};
