/**
 * PyTorch's legacy tensor types (torch.FloatTensor, torch.LongTensor, ...): still common in older
 * tutorials as `x.type(torch.LongTensor)`, `torch.FloatTensor(2, 3)` and `torch.LongTensor([1, 2])`.
 * Each is a constructor of one dtype; `Tensor.type()` names a tensor's and converts to one.
 */
import type { TensorDType } from '../../../engine/dtype';
import * as F from '../../../engine/functional';
import type { Range } from '../ast';
import { PyClass, PyList, PyTuple, Value } from '../values';
import type { Torch } from './runtime';
import { toNested } from './tensor';

/** The CPU legacy types the engine's dtypes have, by name. */
const LEGACY: [string, TensorDType][] = [
  ['FloatTensor', 'float32'],
  ['DoubleTensor', 'float64'],
  ['LongTensor', 'int64'],
  ['BoolTensor', 'bool'],
];

const legacyDtypes = new WeakMap<PyClass, TensorDType>();

/** The legacy classes for `torch`'s namespace: each builds a tensor of its dtype from sizes or nested data. */
export function legacyTensorTypes(torch: Torch): Record<string, PyClass> {
  const out: Record<string, PyClass> = {};
  for (const [name, dtype] of LEGACY) {
    const cls = new PyClass(
      name,
      [torch.Tensor],
      {
        ...torch.Tensor.native,
        construct: (_c, args, _k, r) => {
          if (args.length === 1 && (args[0] instanceof PyList || args[0] instanceof PyTuple)) return torch.wrap(F.fromNested(toNested(torch, args[0], r), dtype));
          return torch.wrap(F.zeros(torch.shapeArgs(args, r), dtype));
        },
      },
      'torch',
    );
    legacyDtypes.set(cls, dtype);
    out[name] = cls;
  }
  return out;
}

/** A tensor's legacy type name, as `x.type()` returns it: 'torch.FloatTensor'. */
export function legacyTypeName(dtype: TensorDType): string {
  return `torch.${LEGACY.find(([, d]) => d === dtype)![0]}`;
}

/** What `x.type(t)` converts to: a legacy class, its name as a string, or a torch.dtype. */
export function typeArgDtype(torch: Torch, v: Value, r: Range): TensorDType {
  if (v instanceof PyClass && legacyDtypes.has(v)) return legacyDtypes.get(v)!;
  if (typeof v === 'string') {
    const hit = LEGACY.find(([name]) => v === `torch.${name}`);
    if (hit) return hit[1];
    return torch.interp.raise('ValueError', `invalid type: '${v}'`, r);
  }
  return torch.dtypeArg(v, r)!;
}
