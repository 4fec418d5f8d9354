import type { Tensor } from '../../engine';
import type { TensorDType } from '../../engine/dtype';
import * as F from '../../engine/functional';

/**
 * A given batch tensor (a batch file's numbers read as floats) as the script's own batch is typed:
 * token indices (`torch.randint`, a corpus of ids) are int64 in the script, and PyTorch's Embedding
 * or indexing takes nothing else, so integral values where the script's own are int64 become int64,
 * as `torch.tensor` of Python ints does. Values that are not integral stay as they are given.
 */
export function likeOwnBatch(given: Tensor, own: TensorDType | undefined): Tensor {
  if (own !== 'int64' || given.dtype === 'int64') return given;
  for (let i = 0; i < given.data.length; i++) if (!Number.isInteger(given.data[i])) return given;
  return F.long(given);
}
