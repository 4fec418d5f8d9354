/**
 * The gradients grad-graph.ts writes again with tape ops, so they can be differentiated once more
 * (create_graph): pointwise math and activations, reductions, layout and indexing, matmul/linear
 * and the regression losses here; convolutions, pooling, batch norm and dropout in
 * grad-graph-conv.ts. Each rule's derivative is its one-line comment, as in ops/.
 */
import { inputAt } from './autograd';
import { tensor, zeros } from './functional/creation';
import { add, clamp, div, exp, mul, neg, pow, sqrt, sub } from './functional/math';
import { matmul, sigmoid } from './functional/nn';
import { sum } from './functional/reduce';
import { expand, permute, reshape, sliceDim, transpose } from './functional/views';
import { apply } from './dispatch';
import type { OpAttrs, OpKind } from './ops';
import type { Tensor } from './tensor';

export type Node = NonNullable<Tensor['node']>;

/**
 * `d` is the gradient reaching the op's output `out`, `k` the input it goes to: the gradient for that
 * input as tape ops, null when it gets none, undefined when this form of the op is not followed.
 */
export type Rule = (node: Node, out: Tensor, d: Tensor, k: number) => Tensor | null | undefined;
export type Rules = Partial<Record<OpKind, Rule>>;

const attrsOf = <K extends OpKind>(node: Node, _kind: K) => node.attrs as OpAttrs[K];

/** A broadcast operand's gradient: `g` summed over the axes `shape` was broadcast along, in `shape`. */
export function sumTo(g: Tensor, shape: readonly number[]): Tensor {
  if (g.shape.join() === shape.join()) return g;
  const lead = g.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  return reshape(axes.length ? sum(g, axes, true) : g, shape);
}

/** dy added into zeros of `shape` at the flat positions it was read from (a position read twice gets both). */
export function scatterAdd(shape: readonly number[], d: Tensor, positions: Int32Array): Tensor {
  return apply('put', [zeros(shape, d.dtype), reshape(d, [-1])], { positions, accumulate: true });
}

/** A constant tensor of x's shape: `f` of each of x's values (a mask whose own derivative is zero almost everywhere). */
function constantOf(x: Tensor, f: (v: number) => number): Tensor {
  const d = x.data;
  const m = new Array<number>(x.size);
  for (let i = 0; i < m.length; i++) m[i] = f(d[i]);
  return tensor(m, x.shape, x.dtype);
}

/** The reduced axes of a sum or mean (null: all of them). */
const reducedAxes = (x: Tensor, axes: number[] | null): number[] => axes ?? x.shape.map((_, i) => i);

/** A reduction's output gradient spread back over x's shape. */
function spread(d: Tensor, x: Tensor, axes: number[] | null, keepDims: boolean): Tensor {
  const all = reducedAxes(x, axes);
  const kept = keepDims ? d : reshape(d, x.shape.map((s, i) => (all.includes(i) ? 1 : s)));
  return expand(kept, x.shape);
}

/** matmul's operand gradient for ranks ≥ 2 (batch axes broadcast): dA = dy·Bᵀ, dB = Aᵀ·dy; a vector operand is not followed. */
function matmulGrad(node: Node, d: Tensor, k: number): Tensor | undefined {
  const [a, b] = [inputAt(node, 0), inputAt(node, 1)];
  if (a.rank < 2 || b.rank < 2) return undefined;
  return k === 0 ? sumTo(matmul(d, transpose(b)), a.shape) : sumTo(matmul(transpose(a), d), b.shape);
}

/** How many elements a `reduction: 'mean'` loss divided by, 1 for 'sum'; undefined for 'none' (not followed). */
function lossScale(reduction: string, size: number): number | undefined {
  if (reduction === 'mean') return 1 / size;
  return reduction === 'sum' ? 1 : undefined;
}

export const DENSE_RULES: Rules = {
  // d(a ± b) = dy, ±dy (summed over broadcast axes)
  add: (node, _out, d, k) => sumTo(d, inputAt(node, k).shape),
  sub: (node, _out, d, k) => sumTo(k === 0 ? d : neg(d), inputAt(node, k).shape),
  // d(a·b) = dy·b, a·dy
  mul: (node, _out, d, k) => sumTo(mul(d, inputAt(node, 1 - k)), inputAt(node, k).shape),
  // d(a/b) = dy/b, −dy·a/b²
  div: (node, _out, d, k) => {
    const [a, b] = [inputAt(node, 0), inputAt(node, 1)];
    return sumTo(k === 0 ? div(d, b) : neg(div(mul(d, a), mul(b, b))), inputAt(node, k).shape);
  },
  // d(c·x) = c·dy
  scale: (node, _out, d) => mul(d, attrsOf(node, 'scale').factor),
  neg: (_node, _out, d) => neg(d),
  // d xᵉ = dy·e·xᵉ⁻¹
  pow: (node, _out, d) => {
    const e = attrsOf(node, 'pow').exponent;
    return e === 0 ? null : mul(d, mul(pow(inputAt(node, 0), e - 1), e));
  },
  // d eˣ = dy·eˣ, d log x = dy/x, d √x = dy/(2√x)
  exp: (node, _out, d) => mul(d, exp(inputAt(node, 0))),
  log: (node, _out, d) => div(d, inputAt(node, 0)),
  sqrt: (node, _out, d) => div(d, mul(sqrt(inputAt(node, 0)), 2)),
  // d clamp = dy inside [min, max], 0 outside
  clamp: (node, _out, d) => {
    const { min, max } = attrsOf(node, 'clamp');
    return mul(d, constantOf(inputAt(node, 0), (v) => ((min === null || v >= min) && (max === null || v <= max) ? 1 : 0)));
  },
  // d Σx = dy spread over the summed axes; d mean = that over the count
  sum: (node, _out, d) => {
    const { axes, keepDims } = attrsOf(node, 'sum');
    return spread(d, inputAt(node, 0), axes, keepDims);
  },
  mean: (node, _out, d) => {
    const { axes, keepDims } = attrsOf(node, 'mean');
    const x = inputAt(node, 0);
    const count = reducedAxes(x, axes).reduce((p, a) => p * x.shape[a], 1);
    return mul(spread(d, x, axes, keepDims), 1 / count);
  },
  // d(x·Wᵀ + b) = dy·W, dyᵀ·x, Σ dy over the rows
  linear: (node, _out, d, k) => {
    const x = inputAt(node, 0);
    const w = inputAt(node, 1);
    if (k === 0) return matmul(d, w);
    const rows = reshape(d, [-1, w.shape[0]]);
    if (k === 2) return sum(rows, [0]);
    return matmul(transpose(rows), reshape(x, [-1, w.shape[1]]));
  },
  matmul: (node, _out, d, k) => matmulGrad(node, d, k),
  // d reshape = dy reshaped back; d permute = dy permuted back
  reshape: (node, _out, d) => reshape(d, inputAt(node, 0).shape),
  transpose: (node, _out, d) => {
    const perm = attrsOf(node, 'transpose').perm;
    const back = perm.map((_, i) => perm.indexOf(i));
    return permute(d, back);
  },
  // d cat = dy's slice of each input along the axis
  concat: (node, _out, d, k) => {
    const axis = attrsOf(node, 'concat').axis;
    let start = 0;
    for (let j = 0; j < k; j++) start += inputAt(node, j).shape[axis];
    return sliceDim(d, axis, start, start + inputAt(node, k).shape[axis]);
  },
  // d take (views, slicing, indexing, expand) = dy scatter-added to the positions read; d put = dy without the written positions, and dy at them
  take: (node, _out, d) => {
    return scatterAdd(inputAt(node, 0).shape, d, attrsOf(node, 'take').positions);
  },
  put: (node, _out, d, k) => {
    const { positions, accumulate } = attrsOf(node, 'put');
    if (k === 1) return reshape(apply('take', [d], { positions, shape: [positions.length] }), inputAt(node, 1).shape);
    if (accumulate) return d;
    return apply('put', [d, zeros([positions.length], d.dtype)], { positions, accumulate: false });
  },
  // d leaky_relu = dy·(x > 0 ? 1 : slope), d relu = dy·(x > 0): the mask's own derivative is zero almost everywhere
  leaky_relu: (node, _out, d) => {
    const slope = attrsOf(node, 'leaky_relu').negativeSlope;
    return mul(d, constantOf(inputAt(node, 0), (v) => (v > 0 ? 1 : slope)));
  },
  relu: (_node, out, d) => mul(d, constantOf(out, (v) => (v > 0 ? 1 : 0))),
  // d tanh = dy·(1 - y²), d sigmoid = dy·y(1 - y), differentiable in y
  tanh: (_node, out, d) => mul(d, sub(1, mul(out, out))),
  sigmoid: (_node, out, d) => mul(d, mul(out, sub(1, out))),
  // d elu = dy for x > 0, dy·α·eˣ otherwise (eˣ of min(x, 0), so a large x never makes inf·0)
  elu: (node, _out, d) => {
    const x = inputAt(node, 0);
    const positive = constantOf(x, (v) => (v > 0 ? 1 : 0));
    const negative = mul(mul(exp(clamp(x, null, 0)), attrsOf(node, 'elu').alpha), sub(1, positive));
    return mul(d, add(positive, negative));
  },
  // d softplus = dy·σ(βx), dy where βx > threshold (the op is x there)
  softplus: (node, _out, d) => {
    const { beta, threshold } = attrsOf(node, 'softplus');
    const x = inputAt(node, 0);
    const linear = constantOf(x, (v) => (v * beta > threshold ? 1 : 0));
    return mul(d, add(linear, mul(sigmoid(mul(x, beta)), sub(1, linear))));
  },
  // d mean((a − b)²) = 2(a − b)·dy/n, and its negative for b
  mse_loss: (node, _out, d, k) => {
    const [a, b] = [inputAt(node, 0), inputAt(node, 1)];
    if (a.shape.join() !== b.shape.join()) return undefined;
    const s = lossScale(attrsOf(node, 'mse_loss').reduction, a.size);
    if (s === undefined) return undefined;
    const g = mul(mul(sub(a, b), expand(d, a.shape)), 2 * s);
    return k === 0 ? g : neg(g);
  },
  // d bce_with_logits = (σ(x) − y)·dy/n for x, −x·dy/n for y (unweighted)
  bce_with_logits: (node, _out, d, k) => {
    const { reduction, weighted, posWeighted } = attrsOf(node, 'bce_with_logits');
    const [x, y] = [inputAt(node, 0), inputAt(node, 1)];
    const s = lossScale(reduction, x.size);
    if (s === undefined || weighted || posWeighted || x.shape.join() !== y.shape.join()) return undefined;
    const dy = mul(expand(d, x.shape), s);
    return k === 0 ? mul(sub(sigmoid(x), y), dy) : neg(mul(x, dy));
  },
};
