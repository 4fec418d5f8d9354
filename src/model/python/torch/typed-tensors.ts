/**
 * The legacy typed tensor constructors older scripts pick a device with (PyTorch-GAN's
 * `Tensor = torch.cuda.FloatTensor if cuda else torch.FloatTensor`): `Tensor(n, 1).fill_(1.0)`
 * (sizes), `Tensor(np.random.normal(...))` and `LongTensor(np.random.randint(...))` (data, copied in
 * the constructor's type), and `imgs.type(Tensor)` (a conversion, torch.dtypeArg). FloatTensor is the
 * run's float type: float32, or float64 when the run computes in float64 (a parity run), as
 * torch.Tensor is.
 */
import * as F from '../../../engine/functional';
import type { TensorDType } from '../../../engine/dtype';
import { PyClass, PyList, PyTuple } from '../values';
import { ArrayObj, TensorObj, type Torch } from './runtime';
import { toNested } from './tensor';

/** Each constructor's dtype; null: the run's float type. */
const TYPED: readonly [string, TensorDType | null][] = [
  ['FloatTensor', null],
  ['DoubleTensor', 'float64'],
  ['LongTensor', 'int64'],
  ['BoolTensor', 'bool'],
];

/** The typed constructors by name, subclasses of torch.Tensor (so isinstance holds). */
export function typedTensorClasses(torch: Torch): Record<string, PyClass> {
  const out: Record<string, PyClass> = {};
  for (const [name, fixed] of TYPED) {
    out[name] = new PyClass(
      name,
      [torch.Tensor],
      {
        ...torch.Tensor.native,
        construct: (_c, args, _k, r) => {
          const d = fixed ?? torch.dtype;
          const data = args.length === 1 ? args[0] : null;
          // Data is copied and detached, in this constructor's type, as torch.FloatTensor(ndarray) does.
          if (data instanceof TensorObj) return torch.wrap(F.to(F.detach(data.t), d));
          if (data instanceof ArrayObj) return torch.wrap(F.clone(F.to(data.t, d)));
          if (data instanceof PyList || data instanceof PyTuple) return torch.wrap(F.fromNested(toNested(torch, data, r), d));
          return torch.wrap(F.zeros(torch.shapeArgs(args, r), d));
        },
      },
      'torch',
    );
    torch.typedTensors.set(out[name], fixed);
  }
  return out;
}
