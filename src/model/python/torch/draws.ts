/**
 * The values a run was given for the script's random draws (PythonOptions.noise: PyTorch's and
 * NumPy's, from a parity harness), taken in call order by torch.randn and its kin and by
 * numpy.random's draws alike, so both sides of a parity run see the same noise.
 */
import { alloc, type TensorDType } from '../../../engine/dtype';
import { Tensor } from '../../../engine/tensor';
import type { Torch } from './runtime';

/** The next given draw as a tensor of the drawn shape; null when none are left (the run's generator draws). */
export function given(torch: Torch, shape: readonly number[], d: TensorDType): Tensor | null {
  const next = torch.noise?.shift();
  if (!next) return null;
  const out = alloc(d, shape.reduce((a, b) => a * b, 1));
  if (next.length !== out.length) throw new Error(`the given noise has ${next.length} values for a draw of shape [${shape.join(', ')}]`);
  out.set(next);
  return new Tensor(out, [...shape], false, d);
}
