/**
 * Ops that read or write elements by position: take (every view, slice, index and gather is one),
 * put (index and slice assignment, the write through a view), and where (masked_fill, tril).
 */
import { FloatArray, like } from '../dtype';
import { formatShape, Shape, ShapeError, sizeOf, sumToShape } from '../shape';
import { expand, plan } from './broadcast';
import { defineOp, NoAttrs, OpTable, type Slot } from './types';

const SAVES_INPUT: readonly Slot[] = [0];

export interface IndexingAttrs {
  /** out[i] = x[positions[i]] (torch.take over a flat x), reshaped to `shape`. */
  take: {
    positions: Int32Array;
    shape: Shape;
    /** Positions read from an index tensor (gather, index_select, x[idx]), which PyTorch saves; a view's are not. */
    indexed?: true;
  };
  /**
   * out[b·M + j] = x[b·block + offsets[j]] for each block b of x (M = offsets.length), reshaped to
   * `shape`: a take whose positions repeat block by block (nearest upsampling, reflection padding),
   * without a position per output element.
   */
  take_blocks: {
    offsets: Int32Array;
    block: number;
    shape: Shape;
    /** Reflection padding: PyTorch's node (ReflectionPad2DBackward0) saves its input, nearest upsampling's does not. */
    reflect?: true;
  };
  /** inputs [x, values]: x with x[positions[i]] = values[i] (or += when accumulating), as Tensor.put_/index_put_. */
  put: { positions: Int32Array; accumulate: boolean };
  /** inputs [condition (bool), a, b]: a where the condition holds, else b, all broadcast. */
  where: NoAttrs;
}

function checkPositions(op: string, positions: Int32Array, size: number): void {
  for (let i = 0; i < positions.length; i++) {
    const p = positions[i];
    if (p < 0 || p >= size) throw new RangeError(`${op}: position ${p} is out of range for a tensor of ${size} elements`);
  }
}

export const indexingOps: OpTable<IndexingAttrs> = {
  // d take = dy scatter-added back to the positions it was read from (a position read twice gets both)
  take: defineOp({
    saves: [],
    savesBesides: ({ indexed }) => indexed === true,
    forward: ([x], { positions, shape }) => {
      if (sizeOf(shape) !== positions.length) throw new ShapeError(`take: ${positions.length} positions for a result of shape ${formatShape(shape)}`);
      checkPositions('take', positions, x.size);
      const d = x.data;
      const out = like(d, positions.length);
      for (let i = 0; i < positions.length; i++) out[i] = d[positions[i]];
      return { data: out, shape: [...shape], saved: undefined };
    },
    backward: ({ gy, inputs: [x], attrs: { positions } }) => {
      const g = like(gy, x.size);
      for (let i = 0; i < positions.length; i++) g[positions[i]] += gy[i];
      return [g];
    },
  }),

  // d take_blocks = dy scatter-added back block by block, as take's
  take_blocks: defineOp({
    saves: (_needs, { reflect }) => (reflect ? SAVES_INPUT : []),
    forward: ([x], { offsets, block, shape }) => {
      const blocks = x.size / block;
      if (!Number.isInteger(blocks) || sizeOf(shape) !== blocks * offsets.length) throw new ShapeError(`take_blocks: ${offsets.length} offsets in blocks of ${block} for ${x.size} elements and a result of shape ${formatShape(shape)}`);
      checkPositions('take_blocks', offsets, block);
      const d = x.data;
      const m = offsets.length;
      const out = like(d, blocks * m);
      for (let b = 0, o = 0; b < blocks; b++) {
        const at = b * block;
        for (let j = 0; j < m; j++, o++) out[o] = d[at + offsets[j]];
      }
      return { data: out, shape: [...shape], saved: undefined };
    },
    backward: ({ gy, inputs: [x], attrs: { offsets, block } }) => {
      const g = like(gy, x.size);
      const m = offsets.length;
      for (let b = 0, o = 0; b < x.size / block; b++) {
        const at = b * block;
        for (let j = 0; j < m; j++, o++) g[at + offsets[j]] += gy[o];
      }
      return [g];
    },
  }),

  // d put = dy with the written positions zeroed (kept when accumulating), and dy read at the positions for the values
  put: defineOp({
    saves: [],
    // the indices (IndexPutBackward0, a mask's, masked_fill_'s mask), or for y[0] = v the write into
    // a view (CopySlices, which a backward frees as well)
    savesBesides: () => true,
    forward: ([x, values], { positions, accumulate }) => {
      if (values.size !== positions.length) throw new ShapeError(`put: ${values.size} values for ${positions.length} positions`);
      checkPositions('put', positions, x.size);
      const out = x.data.slice();
      const v = values.data;
      if (accumulate) for (let i = 0; i < positions.length; i++) out[positions[i]] += v[i];
      else for (let i = 0; i < positions.length; i++) out[positions[i]] = v[i];
      return { data: out, shape: x.shape, saved: undefined };
    },
    backward: ({ gy, attrs: { positions, accumulate }, needs }) => {
      let gx: FloatArray | null = null;
      if (needs[0]) {
        gx = gy.slice();
        if (!accumulate) for (let i = 0; i < positions.length; i++) gx[positions[i]] = 0;
      }
      let gv: FloatArray | null = null;
      if (needs[1]) {
        gv = like(gy, positions.length);
        for (let i = 0; i < positions.length; i++) gv[i] = gy[positions[i]];
      }
      return [gx, gv];
    },
  }),

  // d where = dy where the condition holds to a, elsewhere to b (summed over broadcast axes); none for the condition
  where: defineOp({
    saves: [0],
    outDtype: (inputs) => inputs[1].dtype,
    forward: (inputs) => {
      const [c, a, b] = inputs;
      if (a.dtype !== b.dtype) throw new TypeError(`where: a and b must have one dtype, got ${a.dtype} and ${b.dtype}`);
      const p = plan(c, a, b);
      const cv = expand(c.data, p.index[0]);
      const av = expand(a.data, p.index[1]);
      const bv = expand(b.data, p.index[2]);
      const out = like(a.data, sizeOf(p.shape));
      for (let i = 0; i < out.length; i++) out[i] = cv[i] ? av[i] : bv[i];
      return { data: out, shape: p.shape, saved: p };
    },
    backward: ({ gy, inputs: [c, a, b], saved, needs }) => {
      const cv = expand(c.data, saved.index[0]);
      const pick = (when: boolean, to: Shape): FloatArray => {
        const g = like(gy);
        for (let i = 0; i < g.length; i++) g[i] = !cv[i] === !when ? gy[i] : 0;
        return sumToShape(g, saved.shape, to);
      };
      return [null, needs[1] ? pick(true, a.shape) : null, needs[2] ? pick(false, b.shape) : null];
    },
  }),
};
