/**
 * A training step's forward intermediates, given back to the buffer pool once the step is over.
 *
 * The backward gives back the gradients it computed (autograd.ts); the forward's results (each op's
 * output and what it saved for its backward) are the other half of a step's large arrays: W7
 * allocates ~30 MB of them a step. Only a caller that owns every reference to them may give them
 * back: the trace of a model it built itself from a spec, where no user code ran, the loss is read
 * once as a number, and the step's record holds numbers. A TypeScript model or the Python front end
 * may keep any tensor of its forward (an attribute, a list of activations, a hook), so they stay out.
 *
 * Even there the scope gives back only arrays that are (1) taken from the pool during this step's
 * forward, outside the backward and the optimiser (so never a parameter, a gradient, an
 * optimiser's state or anything allocated before the step), (2) the storage of a tensor of the
 * step's graph or an array an op saved for its backward, and (3) not reachable from anything that
 * outlives the step: the modules' fields (parameters, buffers such as BatchNorm's running stats,
 * any tensor a layer keeps), the batch, and whatever the caller names (the step's statistics).
 */
import { topologicalOrder } from './autograd';
import { giveBack, POOLED_FROM_BYTES, startTracking, stopTracking } from './buffer-pool';
import type { FloatArray } from './dtype';
import { Module } from './nn/module';
import { Tensor } from './tensor';

/** What outlives a step: its arrays are never given back, whatever the graph says. */
export interface StepSurvivors {
  module: Module;
  /** Tensors kept across steps besides the module's (the batch). */
  tensors: readonly Tensor[];
  /** Anything else kept (the step's record of statistics): searched for arrays. */
  values?: readonly unknown[];
}

export interface StepScope {
  /** Arrays the step's forward took from the pool, not yet given back. */
  readonly record: Set<FloatArray>;
  /** Bytes given back by `release`. */
  released: number;
}

/**
 * Runs `step` (a forward, loss and backward) recording what its forward takes from the pool. The
 * backward records its own allocations apart (recordings nest), so gradients never join this record.
 */
export function recordStep<T>(step: () => T): { result: T; scope: StepScope } {
  const tracking = startTracking();
  try {
    return { result: step(), scope: { record: tracking.record, released: 0 } };
  } finally {
    stopTracking(tracking);
  }
}

/**
 * Gives back the step's forward intermediates reachable from `loss` (see the file's comment).
 * The caller promises that nothing reads `loss` or any tensor of its graph afterwards.
 */
export function releaseStep(scope: StepScope, loss: Tensor, survivors: StepSurvivors): void {
  // A small model's arrays are all carved from shared blocks (dtype.ts): nothing to give back, and
  // the walk and the search below would be most of its step.
  if (!scope.record.size) return;
  const held = heldBuffers(survivors);
  const offer = (a: FloatArray) => {
    if (!scope.record.has(a) || held.has(a.buffer)) return;
    if (giveBack(a, scope.record)) scope.released += a.byteLength;
  };
  for (const t of topologicalOrder(loss)) {
    // Leaves are parameters and inputs; an in-place op's earlier selves are walked as tensors of their own.
    if (!t.node) continue;
    offer(t.storage);
    savedArrays(t.node.saved, offer);
  }
  // The rest of the record (a tensor that needed no gradient, a scratch array) is left to the GC.
  scope.record.clear();
}

/**
 * Gives back the parameters' gradients of the step before, as the next step begins (its backward
 * takes arrays of the same sizes). Only for a caller that read them and handed them to no one: the
 * trace of a model it built, whose record holds numbers. Leaves every `.grad` null, as the next
 * step's forward would.
 */
export function releaseGradients(params: readonly Tensor[], survivors: StepSurvivors): number {
  const grads = new Set<FloatArray>();
  for (const p of params) {
    if (p.grad && p.grad.byteLength > POOLED_FROM_BYTES) grads.add(p.grad);
    p.grad = null;
  }
  // Small gradients are never pooled: a small model skips the search.
  if (!grads.size) return 0;
  const held = heldBuffers(survivors);
  let released = 0;
  for (const g of grads) if (!held.has(g.buffer) && giveBack(g, grads)) released += g.byteLength;
  return released;
}

/**
 * What an op saved for its backward: an array, a tensor, or a list or record of them (an LSTM's
 * gates per time step). Two levels deep: what an op saves is flat, and deeper objects are not ours.
 */
function savedArrays(saved: unknown, offer: (a: FloatArray) => void, depth = 2): void {
  if (saved === null || typeof saved !== 'object') return;
  if (saved instanceof Tensor) offer(saved.storage);
  else if (saved instanceof Float32Array || saved instanceof Float64Array) offer(saved);
  else if (depth > 0 && (Array.isArray(saved) || Object.getPrototypeOf(saved) === Object.prototype)) {
    for (const v of Object.values(saved)) savedArrays(v, offer, depth - 1);
  }
}

/** Buffers of every array reachable from what outlives the step: none of them may be reused. */
function heldBuffers(survivors: StepSurvivors): Set<ArrayBufferLike> {
  const held = new Set<ArrayBufferLike>();
  const seen = new Set<object>();
  const visit = (v: unknown, depth: number): void => {
    if (v === null || typeof v !== 'object' || v instanceof Module || seen.has(v)) return;
    seen.add(v);
    if (ArrayBuffer.isView(v)) {
      held.add(v.buffer);
      return;
    }
    if (v instanceof Tensor) {
      held.add(v.storage.buffer);
      if (v.grad) held.add(v.grad.buffer);
      if (v.view) visit(v.view.base, depth);
      return;
    }
    if (depth === 0) return;
    const values = v instanceof Map || v instanceof Set ? [...v.values()] : Object.values(v);
    for (const x of values) visit(x, depth - 1);
  };
  // Each module's own fields: registered parameters and buffers (their Maps), and any tensor, array
  // or list of them a layer keeps. Child modules are visited from namedModules, not through fields.
  for (const [, m] of survivors.module.namedModules()) {
    for (const v of Object.values(m)) visit(v, 3);
  }
  for (const t of survivors.tensors) visit(t, 0);
  for (const v of survivors.values ?? []) visit(v, 6);
  return held;
}
