/**
 * Gradients that are themselves on the tape (`torch.autograd.grad(..., create_graph=True)`): a
 * WGAN-GP's gradient penalty differentiates the critic's gradient with respect to its input, so a
 * later backward() reaches the critic's weights through it. The engine's backward rules work on
 * plain arrays (autograd.ts), so here each op between the inputs and the outputs has its gradient
 * written again with tape ops: dense and convolutional critics (Linear, Conv2d, ConvTranspose2d,
 * BatchNorm, Dropout, pooling, pointwise activations), the math of a penalty and a MAML step.
 * Any other op on that path is refused by name: the caller says it cannot follow it, never a guess.
 */
import { checkNotFreed, inputAt, topologicalOrder, type Node } from './autograd';
import { add } from './functional/math';
import { CONV_RULES } from './grad-graph-conv';
import { DENSE_RULES, type Rules } from './grad-graph-rules';
import type { OpKind } from './ops';
import type { Tensor } from './tensor';

/** Every op whose gradient is written again with tape ops (grad-graph-rules.ts, grad-graph-conv.ts). */
const RULES: Rules = { ...DENSE_RULES, ...CONV_RULES };

/** The ops followed, in the user's words, for the can't-follow that names one outside them. */
export const SUPPORTED_OPS =
  'Gradient Lens differentiates again the gradients of Linear, Conv2d, ConvTranspose2d, BatchNorm, GroupNorm/InstanceNorm/LayerNorm, Dropout, MaxPool2d/AvgPool2d, ReLU/LeakyReLU/ELU/Softplus/Tanh/Sigmoid, arithmetic, exp/log/sqrt/pow, sum/mean, matmul, views, cat, indexing, and MSE/BCEWithLogits losses';

export type GradGraph = { grads: (Tensor | null)[] } | { unsupported: OpKind } | { unused: number };

/**
 * The gradient of `output` (weighted by `gradOutput`, PyTorch's grad_outputs) with respect to each
 * of `inputs`, as tensors on the tape; null for an input `output` does not depend on (unless
 * `allowUnused` is false: then which one that is). Parameters'
 * `.grad` are not touched, as in PyTorch. Unless `retainGraph`, the nodes it differentiated through
 * are freed, as torch.autograd.grad frees the ones it ran (only those between inputs and output).
 */
export function gradWithGraph(output: Tensor, inputs: readonly Tensor[], gradOutput: Tensor, allowUnused = true, retainGraph = true): GradGraph {
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
  const ran: Node[] = [];
  for (let i = order.length - 1; i >= 0; i--) {
    const t = order[i];
    const d = grads.get(t);
    const node = t.node;
    if (!d || !node || !wanted.has(t) || inputs.includes(t)) continue;
    checkNotFreed(node);
    ran.push(node);
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
  if (!retainGraph) for (const node of ran) node.freed = true;
  return { grads: inputs.map((x) => grads.get(x) ?? null) };
}
