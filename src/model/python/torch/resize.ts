/**
 * Tensor.resize_(*sizes), as torch 1.13 does it on the tensors scripts resize: a batch flattened in
 * place (`images.resize_(64, 784)`, the Udacity course's notebooks and their fc_model/helper
 * modules). The engine's tensors have a fixed shape, so the Python object is given a new engine
 * tensor over the same storage: every name bound to the object sees the new shape, as in PyTorch.
 */
import * as F from '../../../engine/functional';
import type { Range } from '../ast';
import { CantFollow } from '../errors';
import { PyOpaque } from '../values';
import type { TensorObj, Torch } from './runtime';

export function resize_(torch: Torch, obj: TensorObj, sizes: readonly number[], r: Range): void {
  const t = obj.t;
  // torch refuses before looking at the sizes, in or out of no_grad.
  if (t.requiresGrad) torch.interp.raise('RuntimeError', 'cannot resize variables that require grad', r);
  // torch's own message for any negative size (a -1 as view takes it included).
  if (sizes.some((d) => d < 0)) torch.interp.raise('RuntimeError', 'numel: integer multiplication overflow', r);
  const n = sizes.reduce((p, d) => p * d, 1);
  // More elements than the storage holds are uninitialised memory in PyTorch: no value to follow.
  if (n > t.size) throw new CantFollow(new PyOpaque(`resize_ to ${n} elements of a tensor of ${t.size} (uninitialised memory)`, r), r);
  // A non-contiguous tensor is resized over its storage's order, not its elements': not followed.
  if (F.contiguous(t) !== t) throw new CantFollow(new PyOpaque('resize_ of a non-contiguous tensor', r), r);
  const flat = F.view(t, [t.size]);
  obj.t = F.view(n === t.size ? flat : F.narrow(flat, 0, 0, n), sizes);
}
