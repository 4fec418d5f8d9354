/**
 * Gradients that are themselves on the tape (`torch.autograd.grad(..., create_graph=True)`): a
 * WGAN-GP's gradient penalty differentiates the critic's gradient with respect to its input, so a
 * later backward() reaches the critic's weights through it. The engine's backward rules work on
 * plain arrays (autograd.ts), so here each op between the inputs and the outputs has its gradient
 * written again with tape ops, for the ops a critic of Linear layers and pointwise activations uses.
 * Any other op on that path is refused by name: the caller says it cannot follow it, never a guess.
 */
import { inputAt, topologicalOrder } from './autograd';
import { tensor } from './functional/creation';
import { add, mul, neg, sub } from './functional/math';
import { matmul } from './functional/nn';
import { reshape } from './functional/views';
import type { OpKind } from './ops';
import type { Tensor } from './tensor';

type Node = NonNullable<Tensor['node']>;

/** The gradient unchanged for an input of the output's shape; a broadcast input is not followed (undefined). */
const sameShape = (node: Node, out: Tensor, d: Tensor, k: number, sign: number): Tensor | undefined =>
  inputAt(node, k).shape.join() === out.shape.join() ? (sign < 0 ? neg(d) : d) : undefined;

/**
 * The ops whose gradient is written here with tape ops; `d` is the gradient reaching the op's output
 * and `k` the input it goes to: null when that input gets none, undefined when this form of the op is not followed.
 */
const RULES: Partial<Record<OpKind, (node: Node, out: Tensor, d: Tensor, k: number) => Tensor | null | undefined>> = {
  // d(a ± b) = dy, ±dy
  add: (node, out, d, k) => sameShape(node, out, d, k, 1),
  sub: (node, out, d, k) => sameShape(node, out, d, k, k === 0 ? 1 : -1),
  // d(c·x) = c·dy
  scale: (node, _out, d) => mul(d, (node.attrs as { factor: number }).factor),
  neg: (_node, _out, d) => neg(d),
  // d(x·Wᵀ + b)/dx = dy·W (differentiable in W and dy)
  linear: (node, _out, d, k) => (k === 0 ? matmul(d, inputAt(node, 1)) : null),
  // d reshape = dy reshaped back
  reshape: (node, _out, d) => reshape(d, inputAt(node, 0).shape),
  // d leaky_relu = dy·(x > 0 ? 1 : slope): the mask's own derivative is zero almost everywhere
  leaky_relu: (node, _out, d) => mul(d, maskOf(inputAt(node, 0), (node.attrs as { negativeSlope: number }).negativeSlope)),
  // d relu = dy·(x > 0)
  relu: (node, out, d) => mul(d, maskOf(out, 0)),
  // d tanh = dy·(1 - y²), differentiable in y
  tanh: (_node, out, d) => mul(d, sub(1, mul(out, out))),
  // d sigmoid = dy·y(1 - y), differentiable in y
  sigmoid: (_node, out, d) => mul(d, mul(out, sub(1, out))),
};

/** 1 where x > 0, else `slope`, as a constant tensor. */
function maskOf(x: Tensor, slope: number): Tensor {
  const d = x.data;
  const m = new Array<number>(d.length);
  for (let i = 0; i < d.length; i++) m[i] = d[i] > 0 ? 1 : slope;
  return tensor(m, x.shape, x.dtype);
}

export type GradGraph = { grads: (Tensor | null)[] } | { unsupported: OpKind } | { unused: number };

/**
 * The gradient of `output` (weighted by `gradOutput`, PyTorch's grad_outputs) with respect to each
 * of `inputs`, as tensors on the tape; null for an input `output` does not depend on (unless
 * `allowUnused` is false: then which one that is). Parameters'
 * `.grad` are not touched, as in PyTorch.
 */
export function gradWithGraph(output: Tensor, inputs: readonly Tensor[], gradOutput: Tensor, allowUnused = true): GradGraph {
  const order = topologicalOrder(output);
  // An input the output does not depend on is PyTorch's error before any gradient is computed.
  const unused = inputs.findIndex((x) => !order.includes(x));
  if (unused >= 0 && !allowUnused) return { unused };
  // Only the ops between the inputs and the output carry a gradient the caller asked for.
  const wanted = new Set<Tensor>(inputs);
  for (const t of order) {
    const node = t.node;
    if (node && node.inputs.some((_, k) => wanted.has(inputAt(node, k)))) wanted.add(t);
  }
  const grads = new Map<Tensor, Tensor>([[output, gradOutput]]);
  for (let i = order.length - 1; i >= 0; i--) {
    const t = order[i];
    const d = grads.get(t);
    const node = t.node;
    if (!d || !node || !wanted.has(t) || inputs.includes(t)) continue;
    const rule = RULES[node.kind];
    if (!rule) return { unsupported: node.kind };
    for (let k = 0; k < node.inputs.length; k++) {
      const x = inputAt(node, k);
      if (!wanted.has(x)) continue;
      const g = rule(node, t, d, k);
      if (g === undefined) return { unsupported: node.kind };
      if (!g) continue;
      const had = grads.get(x);
      grads.set(x, had ? add(had, g) : g);
    }
  }
  return { grads: inputs.map((x) => grads.get(x) ?? null) };
}
