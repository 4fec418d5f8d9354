/** Ops that index or mask: embedding lookup and seeded dropout. */
import { like } from '../dtype';
import type { Rng } from '../rng';
import { formatShape, ShapeError } from '../shape';
import { defineOp, OpTable } from './types';

export interface SparseAttrs {
  /** inputs: [indices (any shape, integer values stored as floats), weight (num, dim)] */
  embedding: { paddingIdx: number | null };
  /** Inverted dropout: kept units are scaled by 1/(1-p); identity when not training. */
  dropout: { p: number; training: boolean; rng: Rng };
}

/** padding_idx as nn.Embedding reads it: negative counts from the end; null means none. */
function paddingRow(paddingIdx: number | null, rows: number): number {
  if (paddingIdx === null) return -1;
  if (!Number.isInteger(paddingIdx) || paddingIdx < -rows || paddingIdx >= rows) {
    throw new ShapeError(`embedding: padding_idx ${paddingIdx} must be within the table of ${rows} rows`);
  }
  return paddingIdx < 0 ? paddingIdx + rows : paddingIdx;
}

export const sparseOps: OpTable<SparseAttrs> = {
  // d embedding = dy rows scatter-added into the rows they were read from (none into padding_idx); indices get none
  embedding: defineOp({
    saves: [0],
    outDtype: (inputs) => inputs[1].dtype,
    forward: ([indices, weight], { paddingIdx }) => {
      if (weight.rank !== 2) throw new ShapeError(`embedding: weight must be (num_embeddings, embedding_dim), got ${formatShape(weight.shape)}`);
      const [rows, dim] = weight.shape;
      paddingRow(paddingIdx, rows);
      const idx = indices.data;
      const wd = weight.data;
      const out = like(wd, idx.length * dim);
      for (let t = 0; t < idx.length; t++) {
        const r = idx[t];
        if (!Number.isInteger(r) || r < 0 || r >= rows) {
          throw new RangeError(`embedding: index ${r} is out of range for a table of ${rows} rows (valid: 0 to ${rows - 1})`);
        }
        out.set(wd.subarray(r * dim, (r + 1) * dim), t * dim);
      }
      return { data: out, shape: [...indices.shape, dim], saved: undefined };
    },
    backward: ({ gy, inputs: [indices, weight], attrs: { paddingIdx }, needs }) => {
      if (!needs[1]) return [null, null];
      const [rows, dim] = weight.shape;
      const skip = paddingRow(paddingIdx, rows);
      const idx = indices.data;
      const dw = like(weight.data);
      for (let t = 0; t < idx.length; t++) {
        const r = idx[t];
        if (r === skip) continue;
        const o = r * dim;
        const g = t * dim;
        for (let j = 0; j < dim; j++) dw[o + j] += gy[g + j];
      }
      return [null, dw];
    },
  }),
  // d dropout = mask·dy/(1-p), the same mask as the forward
  dropout: defineOp({
    saves: [],
    // the mask (NativeDropoutBackward0's result1); in eval or at p = 0 PyTorch makes no dropout node
    savesBesides: ({ p, training }) => training && p > 0,
    forward: ([x], { p, training, rng }) => {
      if (!(p >= 0 && p <= 1)) throw new RangeError(`dropout probability has to be between 0 and 1, but got ${p}`);
      if (!training || p === 0) return { data: x.data.slice(), shape: x.shape, saved: null };
      // Multiplying (rather than writing zeros) keeps PyTorch's NaN·0 = NaN for dropped NaNs.
      const factor = p === 1 ? 0 : 1 / (1 - p);
      const scales = like(x.data);
      const out = like(x.data);
      for (let i = 0; i < out.length; i++) {
        scales[i] = p === 1 || rng.uniform() < p ? 0 : factor;
        out[i] = x.data[i] * scales[i];
      }
      return { data: out, shape: x.shape, saved: scales };
    },
    backward: ({ gy, saved: scales }) => {
      if (!scales) return [gy];
      const dx = like(gy);
      for (let i = 0; i < dx.length; i++) dx[i] = gy[i] * scales[i];
      return [dx];
    },
  }),
};
