/**
 * `torch.autograd.grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
 * only_inputs=True, allow_unused=False)`: a WGAN-GP's gradient penalty. The gradients are on the
 * tape (create_graph) for the ops engine/grad-graph.ts writes them for; through any other op it is
 * Gradient Lens's can't-follow at the call, naming the op.
 */
import { NO_GRAD_FN } from '../../../engine/autograd';
import { detach } from '../../../engine/functional/views';
import { onesLike } from '../../../engine/functional/creation';
import { gradWithGraph, SUPPORTED_OPS } from '../../../engine/grad-graph';
import type { Tensor } from '../../../engine/tensor';
import type { Range } from '../ast';
import { CantFollow } from '../errors';
import { native } from '../native';
import { PyList, PyOpaque, PyTuple, type Value } from '../values';
import type { Torch } from './runtime';

/** One tensor, or the one tensor of a list or tuple (several outputs are not followed). */
function oneTensor(torch: Torch, v: Value, r: Range, what: string): Tensor {
  if (v instanceof PyTuple || v instanceof PyList) {
    if (v.items.length !== 1) throw new CantFollow(new PyOpaque(`torch.autograd.grad over several ${what}`, r), r);
    return torch.tensorOf(v.items[0], r, what);
  }
  return torch.tensorOf(v, r, what);
}

export function makeAutogradGrad(torch: Torch) {
  return native('grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, only_inputs=True, allow_unused=False, is_grads_batched=False)', (a, r) => {
    const interp = torch.interp;
    const output = oneTensor(torch, a.outputs, r, 'outputs');
    const inputs = a.inputs instanceof PyTuple || a.inputs instanceof PyList ? a.inputs.items.map((v) => torch.tensorOf(v, r, 'inputs')) : [torch.tensorOf(a.inputs, r, 'inputs')];
    if (!output.requiresGrad) return interp.raise('RuntimeError', NO_GRAD_FN, r);
    let seed: Tensor;
    if (a.grad_outputs === null) {
      if (output.size !== 1) return interp.raise('RuntimeError', 'grad can be implicitly created only for scalar outputs', r);
      seed = onesLike(output);
    } else {
      seed = oneTensor(torch, a.grad_outputs, r, 'grad_outputs');
      if (seed.shape.join() !== output.shape.join()) {
        return interp.raise('RuntimeError', `Mismatch in shape: grad_output[0] has a shape of torch.Size([${seed.shape.join(', ')}]) and output[0] has a shape of torch.Size([${output.shape.join(', ')}]).`, r);
      }
    }
    const create = interp.truthy(a.create_graph, r);
    // PyTorch's retain_graph=None is create_graph: without either, the nodes it ran are freed.
    const retain = a.retain_graph === null ? create : interp.truthy(a.retain_graph, r);
    const got = gradWithGraph(output, inputs, seed, interp.truthy(a.allow_unused, r), retain);
    if ('unused' in got) {
      return interp.raise('RuntimeError', 'One of the differentiated Tensors appears to not have been used in the graph. Set allow_unused=True if this is the desired behavior.', r);
    }
    if ('unsupported' in got) throw new CantFollow(new PyOpaque(`torch.autograd.grad through ${got.unsupported} (${SUPPORTED_OPS})`, r), r);
    return new PyTuple(got.grads.map((g) => (g === null ? null : torch.wrap(create ? g : detach(g)))));
  });
}

/**
 * `Variable(data, requires_grad=False)`, deprecated since PyTorch 0.4 and still in older scripts: a
 * tensor sharing `data`'s storage, cut from its graph (a leaf), requiring a gradient as asked, as
 * torch 1.13 returns it (WGAN-div's `Variable(imgs, requires_grad=True)`, differentiated by
 * `autograd.grad` later).
 */
export function makeVariable(torch: Torch) {
  return native('Variable(data, requires_grad=False)', (a, r) => {
    if (!torch.isTensor(a.data)) return a.data;
    const t = detach(a.data.t);
    if (torch.bool(a.requires_grad, r)) {
      if (!t.isFloatingPoint) return torch.interp.raise('RuntimeError', 'only Tensors of floating point dtype can require gradients', r);
      t.requiresGrad = true;
    }
    return torch.wrap(t);
  });
}
