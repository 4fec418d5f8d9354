/** Reverse mode: each computed tensor points at its node; backward walks them in topological order. */
import { chargeMemory, getInstrument, popLayer, pushLayer } from './context';
import type { Instrument } from './instrument';
import { forgetLeft } from './kernels/chain';
import { giveBack, POOLED_FROM_BYTES, poolingOn, startTracking, stopTracking } from './buffer-pool';
import { bytesOf, copyOf, FloatArray, legacyTypeName, like } from './dtype';
import type { OpKind } from './ops';
import type { OpDef, Slot } from './ops/types';
import { formatShape } from './shape';
import type { Tensor, VersionCounter } from './tensor';

export interface Node {
  kind: OpKind;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  def: OpDef<any, any>;
  inputs: readonly Tensor[];
  attrs: unknown;
  saved: unknown;
  /** The user's layer that ran this op, for findings and error messages. */
  layer: string | null;
  /** Each input's version when the op ran: after an in-place op, which earlier self the gradient belongs to. */
  versions: readonly number[];
  /** Which inputs required a gradient when the op ran. */
  needs: readonly boolean[];
  /** What the backward reads (inputs by index, or the output), checked against the versions above. */
  savedSlots: readonly Slot[];
  /** The output's version counter and its version when saved (an in-place op that adopts the node moves them). */
  outCounter: VersionCounter;
  outVersion: number;
  /**
   * Set once a backward without retain_graph has run this node: PyTorch frees what it saved then,
   * and a later backward that reaches it raises GRAPH_FREED. Only a flag: the saved values stay
   * (the trace's statistics read them after the backward).
   */
  freed: boolean;
}

/**
 * The tensor a node's input k stood for when the op ran: the input itself, or, when an in-place op
 * has since given it a new tape node, the snapshot of what it was then.
 */
export function inputAt(node: Node, k: number): Tensor {
  const x = node.inputs[k];
  const h = x.history;
  if (h === null) return x;
  const v = node.versions[k];
  for (let i = 0; i < h.length; i++) if (v < h[i].until) return h[i].tensor;
  return x;
}

/** Each walk gets a fresh mark, so visited flags live on the tensors instead of in a Set. */
let walk = 0;

/**
 * Tensors reachable from `root` through tensors that require a gradient, each after every tensor
 * it depends on. An explicit stack instead of recursion: a recursive walk overflows past a few
 * thousand ops.
 */
export function topologicalOrder(root: Tensor): Tensor[] {
  const mark = ++walk;
  const order: Tensor[] = [];
  // A tensor being expanded stays on the stack under a null, its inputs above: when the null comes
  // back to the top, everything the tensor depends on is in the order, and it follows.
  const stack: (Tensor | null)[] = [root];
  while (stack.length) {
    const t = stack.pop()!;
    if (t === null) {
      order.push(stack.pop()!);
      continue;
    }
    if (t.visit === mark) continue;
    t.visit = mark;
    const node = t.node;
    if (!node) {
      order.push(t);
      continue;
    }
    stack.push(t);
    stack.push(null);
    for (let k = 0; k < node.inputs.length; k++) {
      const input = inputAt(node, k);
      if (input.requiresGrad && input.visit !== mark) stack.push(input);
    }
  }
  return order;
}

/** PyTorch's error when a backward would read a tensor an in-place op has changed since it was saved. */
export class InplaceModificationError extends Error {
  override name = 'InplaceModificationError';
}

function describe(t: Tensor): string {
  return `[${legacyTypeName(t.dtype)} ${formatShape(t.shape)}]`;
}

function where(node: Node | null): string {
  if (!node) return 'a leaf tensor';
  return `the output of ${node.kind}${node.layer ? ` in layer '${node.layer}'` : ''}`;
}

/** Throws when a tensor the backward of `node` reads was changed in place after the op ran. */
function checkSaved(node: Node, out: Tensor): void {
  const slots = node.savedSlots;
  for (let i = 0; i < slots.length; i++) {
    const slot = slots[i];
    let t: Tensor;
    let now: number;
    let then: number;
    let producer: Node | null;
    if (slot === 'output') {
      t = out;
      now = node.outCounter.value;
      then = node.outVersion;
      producer = node;
    } else {
      t = node.inputs[slot];
      now = t.counter.value;
      then = node.versions[slot];
      producer = inputAt(node, slot).node;
    }
    if (now === then) continue;
    throw new InplaceModificationError(
      `one of the variables needed for gradient computation has been modified by an inplace operation: ${describe(t)}, ` +
        `which is ${where(producer)}, is at version ${now}; expected version ${then} instead. ` +
        `The backward of ${node.kind}${node.layer ? ` in layer '${node.layer}'` : ''} reads it: clone() it before the in-place change, or use the out-of-place form.`,
    );
  }
}

/** PyTorch's words (torch 1.13) for a backward reaching a node an earlier backward freed. */
export const GRAPH_FREED =
  'Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). ' +
  'Saved intermediate values of the graph are freed when you call .backward() or autograd.grad(). ' +
  'Specify retain_graph=True if you need to backward through the graph a second time or if you need to access saved tensors after calling backward.';

/** PyTorch's RuntimeError when a backward reaches a node whose saved tensors an earlier backward freed. */
export class GraphFreedError extends Error {
  override name = 'GraphFreedError';
}

/**
 * Throws when an earlier backward freed `node` and it saved a tensor: PyTorch raises on unpacking
 * a freed saved tensor, so a node that saved none (add, sum, a view) runs again without complaint.
 * Checked before the in-place check, as torch's unpack does.
 */
export function checkNotFreed(node: Node): void {
  if (node.freed && (node.savedSlots.length > 0 || node.def.savesBesides?.(node.attrs))) throw new GraphFreedError(GRAPH_FREED);
}

/** PyTorch's words for backward() of a tensor off the graph (torch 1.13). */
export const NO_GRAD_FN = 'element 0 of tensors does not require grad and does not have a grad_fn';

/**
 * Computes d root / d t for every tensor that requires a gradient. Leaves (parameters) accumulate
 * into `.grad` as in PyTorch; gradients of intermediate tensors are released once used. Unless
 * `retainGraph`, every node the walk runs is freed, as PyTorch's backward(retain_graph=None) frees it.
 */
export function backward(root: Tensor, seed?: FloatArray, retainGraph = false): void {
  if (!root.requiresGrad) throw new Error(NO_GRAD_FN);
  const order = topologicalOrder(root);
  const instrument = getInstrument();
  if (seed && seed.length !== root.size) throw new Error(`backward seed has ${seed.length} values, output has ${root.size}`);
  // Filled by a loop: slice() and fill() cost more than the whole of a scalar loss's walk step.
  const g0 = like(root.data, root.size);
  for (let i = 0; i < g0.length; i++) g0[i] = seed ? seed[i] : 1;
  // Gradients in flight live on the tensors (`pending`), cleared as each is consumed.
  root.pending = g0;
  // The gradients this walk computes are its own: once the op that consumed one has run, nothing
  // reads it again, so it goes back to the pool for the next op (or step) of the same size.
  const tracking = poolingOn() && order.some(pooledSize) ? startTracking() : null;
  const record = tracking?.record ?? null;
  instrument?.backwardStarts();
  try {
    walkBackward(order, record, instrument, !retainGraph);
  } catch (e) {
    // Cut short: the gradients still in flight are dropped (a finished walk consumed them all).
    for (let i = 0; i < order.length; i++) order[i].pending = null;
    throw e;
  } finally {
    if (tracking) stopTracking(tracking);
  }
}

/** Runs each node's backward, from the root down, passing gradients on to its inputs. */
function walkBackward(order: readonly Tensor[], record: Set<FloatArray> | null, instrument: Instrument | null, free: boolean): void {
  for (let i = order.length - 1; i >= 0; i--) {
    const t = order[i];
    const gy = t.pending;
    if (!gy) continue;
    t.pending = null;
    const node = t.node;
    if (!node) {
      if (t.grad) {
        const acc = t.grad;
        for (let j = 0; j < acc.length; j++) acc[j] += gy[j];
        giveBack(gy, record);
      } else {
        // A parameter's .grad outlives the walk: whoever reads it decides when it is dead.
        record?.delete(gy);
        t.grad = gy;
      }
      continue;
    }
    const n = node.inputs.length;
    const targets = targetsOf(node);
    const needs = needsOf(node, targets);
    checkNotFreed(node);
    checkSaved(node, t);
    pushLayer(node.layer);
    let grads: (FloatArray | null)[];
    try {
      grads = node.def.backward({ gy, inputs: node.inputs, out: t, attrs: node.attrs, saved: node.saved, needs });
      for (let k = 0; k < grads.length; k++) {
        const g = grads[k];
        if (g && needs[k] && g !== gy) chargeMemory(bytesOf(g), targets[k].shape);
      }
    } finally {
      popLayer();
    }
    if (free) node.freed = true;
    if (instrument) instrument.onBackward(node.kind, node.layer, gy, node.inputs, grads, node.def, node.saved, node.attrs);
    for (let k = 0; k < n; k++) {
      let g = grads[k];
      const x = targets[k];
      if (!g || !needs[k]) continue;
      if (g.length !== x.size) throw new Error(`backward of ${node.kind} gave ${g.length} values for an input of ${x.size}`);
      const prev = x.pending;
      if (prev) {
        // The same tensor feeds several ops: sum their contributions into the array it owns.
        addIntoPending(prev, g, instrument);
        continue;
      }
      // gy is this node's own array and nothing reads it after this node (the instrument reads it
      // during onBackward), so an op that hands it back (reshape, a view) passes it on without a
      // copy. One array given for two inputs is copied for the second, before anyone adds into
      // either; a user's custom backward may keep the dy it was given, so its gy is copied too.
      if ((g === gy && node.kind === 'custom') || sharedWithEarlier(grads, k)) g = copyOf(g);
      x.pending = g;
    }
    if (!record) continue;
    if (node.kind === 'custom') {
      // A user's backward may keep the dy it was given and the tensors it returned.
      for (const g of grads) if (g) record.delete(g);
    } else {
      recycle(gy, grads, targets, record);
      for (const g of grads) if (g && g !== gy) recycle(g, grads, targets, record);
    }
  }
}

/**
 * The tensors a node's inputs stood for when it ran (see inputAt): its inputs themselves, unless an
 * in-place op has since given one of them a new tape node.
 */
function targetsOf(node: Node): readonly Tensor[] {
  const inputs = node.inputs;
  for (let k = 0; k < inputs.length; k++) if (inputs[k].history !== null) return inputs.map((_, j) => inputAt(node, j));
  return inputs;
}

/** Which of the targets want a gradient: as when the op ran (the node's own array), unless a leaf's flag changed since. */
function needsOf(node: Node, targets: readonly Tensor[]): readonly boolean[] {
  const then = node.needs;
  for (let k = 0; k < targets.length; k++) if (targets[k].requiresGrad !== then[k]) return targets.map((t) => t.requiresGrad);
  return then;
}

/**
 * Whether a gradient of `t` would come from the pool (gradients take their tensor's size). When
 * none would, as in a small model, the walk keeps no record: the bookkeeping is all it would get.
 */
function pooledSize(t: Tensor): boolean {
  return t.size * (t.dtype === 'float32' ? 4 : 8) > POOLED_FROM_BYTES;
}

/**
 * Gives a gradient back to the pool after its node has run, unless it went on as an input's
 * gradient in flight, or another of the node's gradients is a view into its buffer.
 */
function recycle(a: FloatArray, grads: readonly (FloatArray | null)[], targets: readonly Tensor[], record: Set<FloatArray>): void {
  for (const x of targets) if (x.pending === a) return;
  for (const g of grads) if (g && g !== a && g.buffer === a.buffer) return;
  giveBack(a, record);
}

/**
 * Adds another op's gradient `g` into `prev`, the gradient in flight for a tensor several ops read:
 * its copy left in the WebAssembly core and any norm the instrument measured of it are no longer
 * its values. The backward walk here and the replayed step's (replay/plan.ts) both sum this way.
 */
export function addIntoPending(prev: FloatArray, g: FloatArray, instrument: Instrument | null): void {
  forgetLeft(prev);
  instrument?.gradientAdded(prev);
  for (let j = 0; j < prev.length; j++) prev[j] += g[j];
}

/** Whether op input k's gradient is the same array as an earlier input's (it is copied before either is summed into). */
export function sharedWithEarlier(grads: readonly (FloatArray | null)[], k: number): boolean {
  for (let j = 0; j < k; j++) if (grads[j] === grads[k]) return true;
  return false;
}
