/**
 * torch.topk / Tensor.topk (`top_p, top_class = ps.topk(1, dim=1)`, the accuracy of the Udacity
 * course's validation loops): the indices chosen on the values as torch 1.13's CPU kernel orders
 * them (NaN above every number, ties to the lower index), the values gathered through them so the
 * gradient reaches the chosen elements only.
 */
import * as F from '../../../engine/functional';
import type { Tensor } from '../../../engine/tensor';
import type { Range } from '../ast';
import type { Torch } from './runtime';

export function topk(torch: Torch, x: Tensor, k: number, dim: number, largest: boolean, r: Range): [Tensor, Tensor] {
  const rank = Math.max(1, x.rank);
  if (dim < -rank || dim >= rank) torch.interp.raise('IndexError', `Dimension out of range (expected to be in range of [${-rank}, ${rank - 1}], but got ${dim})`, r);
  const d = x.rank === 0 ? 0 : (dim + rank) % rank;
  const shape = x.rank === 0 ? [1] : [...x.shape];
  const n = shape[d];
  if (k < 0 || k > n) torch.interp.raise('RuntimeError', 'selected index k out of range', r);
  const inner = shape.slice(d + 1).reduce((p, s) => p * s, 1);
  const outer = shape.slice(0, d).reduce((p, s) => p * s, 1);
  const values = F.contiguous(x).data;
  // NaN counts as the largest value (first when largest, last otherwise); Array.sort is stable: ties keep the lower index first.
  const key = (v: number) => (Number.isNaN(v) ? Infinity : v);
  const before = (a: number, b: number) => {
    if (Number.isNaN(a) !== Number.isNaN(b)) return largest ? (Number.isNaN(a) ? -1 : 1) : Number.isNaN(a) ? 1 : -1;
    return largest ? key(b) - key(a) : key(a) - key(b);
  };
  const chosen = new Array<number>(outer * k * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const at = (j: number) => values[o * n * inner + j * inner + i];
      const order = Array.from({ length: n }, (_, j) => j).sort((a, b) => before(at(a), at(b)) || a - b);
      for (let j = 0; j < k; j++) chosen[o * k * inner + j * inner + i] = order[j];
    }
  }
  const outShape = [...shape];
  outShape[d] = k;
  const indices = F.reshape(F.fromNested(chosen, 'int64'), x.rank === 0 ? [] : outShape);
  const picked = F.gather(x.rank === 0 ? F.reshape(x, [1]) : x, d, x.rank === 0 ? F.reshape(indices, [k]) : indices);
  return [x.rank === 0 ? F.reshape(picked, []) : picked, indices];
}
