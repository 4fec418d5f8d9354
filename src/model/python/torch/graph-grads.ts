/**
 * `loss.backward(create_graph=True)`: the gradients it accumulates into each leaf's `.grad` are on
 * the tape (engine/grad-graph.ts), so a later loss built from `p.grad` (a gradient-norm penalty, an
 * inner step taken by hand) differentiates through them, as PyTorch does. The values go into
 * `.grad` as every backward's do; the tape tensor is kept beside them and `.grad` gives it back as
 * long as the values are still the ones it holds (zero_grad, a step's in-place change or an
 * assignment part them). Through an op whose gradient is not written again it is the can't-follow.
 */
import { topologicalOrder } from '../../../engine/autograd';
import { add } from '../../../engine/functional/math';
import { tensor } from '../../../engine/functional/creation';
import { gradWithGraph, SUPPORTED_OPS } from '../../../engine/grad-graph';
import type { Tensor } from '../../../engine/tensor';
import type { Range } from '../ast';
import { CantFollow } from '../errors';
import { PyOpaque } from '../values';

/** Each leaf's gradient on the tape from backward(create_graph=True), and the values it was when stored. */
const onTape = new WeakMap<Tensor, Tensor>();
/** Whether any backward(create_graph=True) ran: until then a plain backward has nothing on the tape to keep. */
let anyOnTape = false;

/** Stores `sum` as the leaf's .grad, values and tape tensor. */
function hold(leaf: Tensor, sum: Tensor): void {
  leaf.grad = sum.data.slice();
  onTape.set(leaf, sum);
  anyOnTape = true;
}

/** The leaves `loss` reaches that hold a gradient. */
const leavesOf = (loss: Tensor): Tensor[] => topologicalOrder(loss).filter((x) => !x.node && x.requiresGrad);

/**
 * A plain backward (`run`) after backward(create_graph=True): PyTorch adds the new gradient to a
 * .grad on the graph out of place, so it stays on the graph; here the values the backward added
 * join the tape tensor as a constant.
 */
export function backwardKeepingGraph(loss: Tensor, run: () => void): void {
  if (!anyOnTape) return run();
  const held = leavesOf(loss).flatMap((leaf) => {
    const g = graphGradOf(leaf);
    return g ? [[leaf, g] as const] : [];
  });
  run();
  for (const [leaf, g] of held) {
    const now = leaf.grad;
    if (!now) continue;
    const added = tensor(Array.from(now, (v, i) => v - g.data[i]), leaf.shape, leaf.dtype);
    hold(leaf, add(g, added));
  }
}

/** backward(create_graph=True) of `loss` seeded with `seed`: every leaf requiring a gradient gets it added to its .grad, on the tape. */
export function backwardWithGraph(loss: Tensor, seed: Tensor, r: Range, retainGraph: boolean, plain: () => void): void {
  const leaves = leavesOf(loss);
  const got = gradWithGraph(loss, leaves, seed, true, retainGraph);
  if ('unsupported' in got) {
    // The values are the plain backward's; only reading a .grad as on the graph is not followed.
    plain();
    const what = new PyOpaque(`Tensor.backward(create_graph=True) through ${got.unsupported} (${SUPPORTED_OPS})`, r);
    for (const leaf of leaves) if (leaf.grad) notFollowed.set(leaf, { what, values: leaf.grad.slice() });
    return;
  }
  if (!('grads' in got)) return;
  leaves.forEach((leaf, i) => {
    const g = got.grads[i];
    if (!g) return;
    // What .grad held before joins the sum: on the tape if it was, a constant otherwise.
    const before = leaf.grad ? (graphGradOf(leaf) ?? tensor(leaf.grad, leaf.shape, leaf.dtype)) : null;
    hold(leaf, before ? add(before, g) : g);
  });
}

/** Leaves whose backward(create_graph=True) went through an op not followed: what, and the values it left. */
const notFollowed = new WeakMap<Tensor, { what: PyOpaque; values: ArrayLike<number> }>();

/** Whether `now` still holds exactly `values`. */
function same(now: ArrayLike<number>, values: ArrayLike<number>): boolean {
  if (now.length !== values.length) return false;
  for (let i = 0; i < now.length; i++) if (!Object.is(now[i], values[i])) return false;
  return true;
}

/**
 * The leaf's .grad as the tape tensor backward(create_graph=True) left, while its values are still
 * those; else null. Reading one that backward could not put on the tape is the can't-follow at `r`.
 */
export function graphGradOf(leaf: Tensor, r?: Range): Tensor | null {
  const now = leaf.grad;
  if (!now) return null;
  const refused = notFollowed.get(leaf);
  if (r && refused && same(now, refused.values)) throw new CantFollow(refused.what, r);
  const g = onTape.get(leaf);
  return g && same(now, g.data) ? g : null;
}
