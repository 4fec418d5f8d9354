/**
 * Comparisons, logic, casts and detach: the ops a gradient does not pass through (their outputs
 * are bool or cut from the tape), and the dtype cast, which passes it between float dtypes.
 */
import { alloc, castValue, FloatArray, like, TensorDType } from '../dtype';
import { sizeOf } from '../shape';
import { broadcastForward, expand, plan } from './broadcast';
import { defineOp, NoAttrs, OpTable } from './types';

export type Comparison = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';
export type Logic = 'and' | 'or' | 'xor';

export interface CompareAttrs {
  /** a <op> b, broadcast, as a bool tensor (NaN compares false except with ne) */
  compare: { op: Comparison };
  /** logical and/or/xor of the operands' truth (non-zero), as a bool tensor */
  logical: { op: Logic };
  logical_not: NoAttrs;
  /** x.to(dtype): float → int truncates toward zero, anything non-zero → true */
  to_dtype: { dtype: TensorDType };
  /** the same values, cut from the tape (the caller shares the array and the version counter) */
  detach: NoAttrs;
}

const COMPARE: Record<Comparison, (a: number, b: number) => boolean> = {
  eq: (a, b) => a === b,
  ne: (a, b) => a !== b,
  lt: (a, b) => a < b,
  le: (a, b) => a <= b,
  gt: (a, b) => a > b,
  ge: (a, b) => a >= b,
};

const LOGIC: Record<Logic, (a: boolean, b: boolean) => boolean> = {
  and: (a, b) => a && b,
  or: (a, b) => a || b,
  xor: (a, b) => a !== b,
};

/** Never called: the dispatcher records no node for an op that is not differentiable. */
function noGradient(): (FloatArray | null)[] {
  throw new Error('this op has no derivative and is never on the tape');
}

const truth = (v: number): boolean => v !== 0;

export const compareOps: OpTable<CompareAttrs> = {
  // no derivative: the output is bool
  compare: defineOp({
    saves: [],
    differentiable: false,
    outDtype: () => 'bool',
    forward: (inputs, { op }) => {
      const f = COMPARE[op];
      return broadcastForward(
        inputs,
        (a, b, o) => {
          for (let i = 0; i < o.length; i++) o[i] = f(a[i], b[i]) ? 1 : 0;
        },
        alloc('bool', 0),
      );
    },
    backward: noGradient,
  }),
  // no derivative: the output is bool
  logical: defineOp({
    saves: [],
    differentiable: false,
    outDtype: () => 'bool',
    forward: (inputs, { op }) => {
      const f = LOGIC[op];
      const [a, b] = inputs;
      const p = plan(a, b);
      const av = expand(a.data, p.index[0]);
      const bv = expand(b.data, p.index[1]);
      const out = alloc('bool', sizeOf(p.shape));
      for (let i = 0; i < out.length; i++) out[i] = f(truth(av[i]), truth(bv[i])) ? 1 : 0;
      return { data: out, shape: p.shape, saved: undefined };
    },
    backward: noGradient,
  }),
  // no derivative: the output is bool
  logical_not: defineOp({
    saves: [],
    differentiable: false,
    outDtype: () => 'bool',
    forward: ([x]) => {
      const out = alloc('bool', x.size);
      const d = x.data;
      for (let i = 0; i < d.length; i++) out[i] = d[i] === 0 ? 1 : 0;
      return { data: out, shape: x.shape, saved: undefined };
    },
    backward: noGradient,
  }),
  // d to(dtype) = dy cast back to the input's float dtype (an integer or bool result has none)
  to_dtype: defineOp({
    saves: [],
    outDtype: (_inputs, { dtype }) => dtype,
    forward: ([x], { dtype }) => {
      const out = alloc(dtype, x.size);
      const d = x.data;
      for (let i = 0; i < d.length; i++) out[i] = castValue(d[i], dtype);
      return { data: out, shape: x.shape, saved: undefined };
    },
    backward: ({ gy, inputs: [x] }) => {
      const g = like(x.data);
      g.set(gy);
      return [g];
    },
  }),
  // no derivative: detach() is where the user cuts the tape
  detach: defineOp({
    saves: [],
    differentiable: false,
    forward: ([x]) => ({ data: x.data, shape: x.shape, saved: undefined }),
    backward: noGradient,
  }),
};

