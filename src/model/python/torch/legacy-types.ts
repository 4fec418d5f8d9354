/**
 * `Tensor.type()` as older tutorials call it: with no argument the tensor's legacy type name
 * ('torch.FloatTensor'); with a legacy class (typed-tensors.ts), its name as a string, or a
 * torch.dtype, a conversion to that type.
 */
import type { TensorDType } from '../../../engine/dtype';
import type { Range } from '../ast';
import type { Value } from '../values';
import type { Torch } from './runtime';

const LEGACY_NAMES: [string, TensorDType][] = [
  ['FloatTensor', 'float32'],
  ['DoubleTensor', 'float64'],
  ['LongTensor', 'int64'],
  ['BoolTensor', 'bool'],
];

/** A tensor's legacy type name, as `x.type()` returns it: 'torch.FloatTensor'. */
export function legacyTypeName(dtype: TensorDType): string {
  return `torch.${LEGACY_NAMES.find(([, d]) => d === dtype)![0]}`;
}

/** What `x.type(t)` converts to: a legacy type's name as a string, else what torch.dtypeArg reads (a legacy class, a torch.dtype). */
export function typeArgDtype(torch: Torch, v: Value, r: Range): TensorDType {
  if (typeof v === 'string') {
    const hit = LEGACY_NAMES.find(([name]) => v === `torch.${name}`);
    if (hit) return hit[1];
    return torch.interp.raise('ValueError', `invalid type: '${v}'`, r);
  }
  // `batch.type(Tensor)` with `Tensor = torch.Tensor` (a CPU run of a script that picks torch.cuda.FloatTensor on a GPU): the default type.
  if (v === torch.Tensor) return torch.dtype;
  return torch.dtypeArg(v, r)!;
}
