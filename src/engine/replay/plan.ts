/**
 * A replayed training step for static graphs (issue 16).
 *
 * Design note (for whoever continues this):
 * - Record: one eager step runs under an op recorder (context.ts's OpRecorder, called by the
 *   dispatcher after every op): each op's kind, definition, attributes, layer, inputs and output.
 *   After its backward, the tape (topologicalOrder of the loss, as backward walked it) gives the
 *   backward's order. `recordPlan` turns both into a Plan: each op's output becomes one Tensor
 *   made once (a "slot"), whose array is the plan's own (ops with a replay kernel, kernels.ts:
 *   linear, sigmoid, tanh, relu, mse_loss of one shape) or the one the op's own forward returns
 *   each step (every other op of REPLAYED_OPS, and activations big enough for WebAssembly).
 * - Replay: `Plan.run()` runs the forward ops in the recorded order, the instrument's onForward
 *   after each as the dispatcher calls it, then the backward exactly as autograd.ts's walk does
 *   (gradients in flight per slot, the first to arrive owns the array and later ones are summed
 *   into it, a leaf's first gradient becomes its `.grad`), the instrument's onBackward after each.
 *   No Tensor or Node objects per op; the same kernels on the same values: the same bits. Dropout
 *   runs its own forward with its recorded attributes, so it draws from the module's Rng in the
 *   eager order of ops.
 * - Same graph: step.ts makes a plan only for a model whose every module is of a class whose
 *   forward is a fixed sequence of ops (STATIC_MODULES there, exact classes, so a user's subclass
 *   is not), with a loss of STATIC_LOSSES, every op of REPLAYED_OPS, no in-place op, and every
 *   leaf a parameter or the step's input or target. Then the graph depends only on the leaves and
 *   the Dropouts' modes: `matches` checks the leaves are the same tensors with the same shapes,
 *   dtypes and gradient flags, gradients on, no module hook, room under the memory cap; step.ts
 *   checks the modes. Anything else runs eagerly and becomes the next plan.
 * - One step function: trace/run.ts's forwardBackward (the CLI's and the editor's trace, and
 *   bench/engine.ts for every workload). The plan's arrays stay out of the buffer pool (the trace's
 *   survivors hold `StepReplay.held()`); what the ops' own forward and backward allocate during a
 *   replay is carved, not recorded by the step scope (buffer-pool.ts pauseTracking).
 * - Left for later: BatchNorm (its module bumps num_batches_tracked, may change momentum each step
 *   and marks its running statistics written: module-level effects a plan would have to replay),
 *   Flatten and other views, a replay kernel for cross_entropy, the optimiser step inside the plan,
 *   models with fan-out (a tensor read by two ops: no static module makes one yet; the plan sums
 *   them as autograd does, test/unit/engine/replay-plan.test.ts), W1's remaining cost (its 10×10
 *   products are a third of the step).
 * - `.grad` arrays are the plan's (reused every step): a caller that keeps a step's gradient past
 *   the next step must copy it (the trace reads them into numbers before the next step).
 */
import { addIntoPending, sharedWithEarlier, topologicalOrder } from '../autograd';
import { chargeMemory, getInstrument, isGradEnabled, kernelMemoryHeld, memoryCap, memoryInUse, moduleAppliedHookSet, OpRecorder } from '../context';
import { bytesOf, type FloatArray } from '../dtype';
import type { Instrument } from '../instrument';
import type { OpDef } from '../ops/types';
import { Tensor } from '../tensor';
import { replayKernel, ReplayKernel } from './kernels';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyOp = OpDef<any, any>;

/**
 * Op kinds a plan may hold: a function of their inputs and attributes alone, or (dropout) drawing
 * from the Rng its attributes hold, which the replay calls in the eager step's order of ops.
 */
export const REPLAYED_OPS: ReadonlySet<string> = new Set(['linear', 'sigmoid', 'tanh', 'relu', 'leaky_relu', 'mse_loss', 'l1_loss', 'cross_entropy', 'dropout']);

interface ForwardOp {
  kind: string;
  def: AnyOp;
  attrs: unknown;
  layer: string | null;
  inputs: readonly Tensor[];
  /** Input k's slot number. */
  inSlots: readonly number[];
  out: Tensor;
  slot: number;
  /** What the op's own forward saved this step (null under a replay kernel). */
  saved: unknown;
  kernel: ReplayKernel | null;
  /** Which inputs want a gradient (the node's own flags when it was recorded); null: no backward. */
  needs: readonly boolean[] | null;
  /** The plan's gradient arrays, one per input (null where not needed): a replay kernel's. */
  gradBuffers: (FloatArray | null)[];
  /** This step's gradients as the backward gave them. */
  grads: readonly (FloatArray | null)[];
}

/** One entry of the backward walk: an op's output (its node), or a leaf that wants a gradient. */
type BackwardStep = { op: ForwardOp; leaf: null; slot: number } | { op: null; leaf: Tensor; slot: number };

/** Why a step cannot be replayed (said once, for tests and the bench). */
export class NotReplayable extends Error {
  override name = 'NotReplayable';
}

/** Collects a step's ops as the dispatcher runs them. */
export class StepRecorder implements OpRecorder {
  readonly ops: { kind: string; def: AnyOp; inputs: readonly Tensor[]; attrs: unknown; out: Tensor; layer: string | null }[] = [];
  refused: string | null = null;

  onOp(kind: string, def: AnyOp, inputs: readonly Tensor[], attrs: unknown, out: Tensor, _saved: unknown, layer: string | null): void {
    if (this.refused) return;
    if (!REPLAYED_OPS.has(kind)) this.refused = `op ${kind} is not replayed`;
    else this.ops.push({ kind, def, inputs, attrs, out, layer });
  }

  onInPlace(kind: string): void {
    this.refused ??= `in-place ${kind}`;
  }
}

/** A fresh array of `a`'s type, outside the buffer pool: the plan keeps it for the whole run. */
function own(a: FloatArray, n = a.length): FloatArray {
  return a instanceof Float64Array ? new Float64Array(n) : new Float32Array(n);
}

export class Plan {
  /** Steps replayed (for tests and the bench). */
  replayed = 0;
  private readonly pending: (FloatArray | null)[];
  private readonly seed: FloatArray;

  constructor(
    /** The tensors the graph starts from, in slot order: parameters, input, target. */
    readonly leaves: readonly Tensor[],
    private readonly leafShapes: readonly (readonly number[])[],
    private readonly leafGrad: readonly boolean[],
    private readonly forward: readonly ForwardOp[],
    private readonly backwardSteps: readonly BackwardStep[],
    /** The loss's slot: the output of the last op. */
    readonly loss: Tensor,
    private readonly lossSlot: number,
    /** Tensor bytes one eager step charges (its ops' outputs and gradients). */
    private readonly bytes: number,
    slots: number,
  ) {
    this.pending = new Array<FloatArray | null>(slots).fill(null);
    this.seed = own(loss.storage);
  }

  /**
   * Whether the step's leaves (`params`, then `input` and `target`) are the recorded ones, unchanged
   * in what decides the graph, and nothing else decides it now.
   */
  matches(params: readonly Tensor[], input: Tensor, target: Tensor): boolean {
    const n = params.length;
    if (this.leaves.length !== n + 2 || !isGradEnabled() || moduleAppliedHookSet()) return false;
    for (let i = 0; i < n + 2; i++) {
      const t = i < n ? params[i] : i === n ? input : target;
      if (t !== this.leaves[i] || t.node !== null || t.view !== null || t.history !== null || t.requiresGrad !== this.leafGrad[i]) return false;
      const s = this.leafShapes[i];
      if (t.shape.length !== s.length) return false;
      for (let d = 0; d < s.length; d++) if (t.shape[d] !== s[d]) return false;
    }
    // an eager step would stop at the cap: it runs, and says where
    return memoryInUse() + kernelMemoryHeld() + this.bytes <= memoryCap();
  }

  /** One forward and backward as the eager step runs them; gradients are left on the leaves. Returns the loss. */
  run(at?: { phase: string }): Tensor {
    chargeMemory(this.bytes, this.loss.shape);
    const instrument = getInstrument();
    const fwd = this.forward;
    for (let i = 0; i < fwd.length; i++) {
      const op = fwd[i];
      // the loss module's ops run under the layer "loss" (nn/losses.ts): where an error is blamed
      if (at && op.layer === 'loss') at.phase = 'loss';
      const out = op.out.storage;
      if (op.kernel === null || !op.kernel.forward(op.inputs, out)) {
        const r = op.def.forward(op.inputs, op.attrs);
        op.out.rebind(r.data);
        op.saved = r.saved;
      }
      // the instrument's summary of this slot is made anew here each step, before any op reads it
      if (instrument) instrument.onForward(op.kind as never, op.layer, op.inputs, op.out, op.def, op.saved, op.attrs);
    }
    if (at) at.phase = 'backward';
    const pending = this.pending;
    const seed = this.seed;
    for (let i = 0; i < seed.length; i++) seed[i] = 1;
    pending[this.lossSlot] = seed;
    try {
      this.walkBackward(instrument);
    } catch (e) {
      // cut short: the gradients still in flight are dropped, as autograd's walk drops them
      pending.fill(null);
      throw e;
    }
    this.replayed++;
    return this.loss;
  }

  /** The backward of the step, as autograd.ts's walkBackward runs it. */
  private walkBackward(instrument: Instrument | null): void {
    instrument?.backwardStarts();
    const pending = this.pending;
    const steps = this.backwardSteps;
    for (let i = 0; i < steps.length; i++) {
      const s = steps[i];
      const gy = pending[s.slot];
      if (!gy) continue;
      pending[s.slot] = null;
      if (s.leaf) {
        const acc = s.leaf.grad;
        if (acc) for (let j = 0; j < acc.length; j++) acc[j] += gy[j];
        else s.leaf.grad = gy;
        continue;
      }
      const op = s.op;
      const needs = op.needs!;
      if (op.kernel !== null && op.kernel.backward(gy, op.inputs, op.out.storage, op.gradBuffers)) op.grads = op.gradBuffers;
      else op.grads = op.def.backward({ gy, inputs: op.inputs, out: op.out, attrs: op.attrs, saved: op.saved, needs });
      const grads = op.grads;
      if (instrument) instrument.onBackward(op.kind as never, op.layer, gy, op.inputs, grads, op.def, op.saved, op.attrs);
      for (let k = 0; k < grads.length; k++) {
        let g = grads[k];
        if (!g || !needs[k]) continue;
        const to = op.inSlots[k];
        const prev = pending[to];
        if (prev) {
          addIntoPending(prev, g, instrument);
          continue;
        }
        if (sharedWithEarlier(grads, k)) g = g.slice();
        pending[to] = g;
      }
    }
  }

  /** The arrays the plan keeps across steps (never to be given to the buffer pool). */
  arrays(): FloatArray[] {
    const out: FloatArray[] = [this.seed];
    for (const op of this.forward) {
      if (op.kernel) out.push(op.out.storage);
      for (const g of op.gradBuffers) if (g) out.push(g);
    }
    return out;
  }
}

/**
 * The plan of the step just recorded: `recorder` saw its ops, `loss` is its root (backward has run),
 * `leaves` what it may start from. Throws NotReplayable with the reason when it is not static.
 */
export function recordPlan(recorder: StepRecorder, loss: Tensor, leaves: readonly Tensor[]): Plan {
  if (recorder.refused) throw new NotReplayable(recorder.refused);
  const ops = recorder.ops;
  if (!ops.length || ops[ops.length - 1].out !== loss) throw new NotReplayable('the loss is not the last op of the step');
  const slotOf = new Map<Tensor, number>();
  leaves.forEach((t, i) => {
    if (t.node !== null || t.view !== null || t.history !== null) throw new NotReplayable('a leaf is computed, a view or written in place');
    if (!slotOf.has(t)) slotOf.set(t, i);
  });
  let slots = leaves.length;
  let bytes = 0;
  const forward: ForwardOp[] = [];
  const opOf = new Map<Tensor, ForwardOp>();
  for (const r of ops) {
    const inSlots = r.inputs.map((x) => {
      const s = slotOf.get(x);
      if (s === undefined) throw new NotReplayable(`op ${r.kind} reads a tensor that is neither an earlier op's output nor a parameter, the input or the target`);
      return s;
    });
    if (r.out.history !== null || r.out.view !== null) throw new NotReplayable(`the output of ${r.kind} was written in place`);
    const kernel = replayKernel(r.kind, r.inputs, r.attrs);
    const data = r.out.storage;
    // the plan's own array under a replay kernel; else each step's from the op's own forward
    const out = new Tensor(kernel ? own(data) : data, r.out.shape, r.out.requiresGrad, r.out.dtype);
    const node = r.out.node;
    const op: ForwardOp = {
      kind: r.kind,
      def: r.def,
      attrs: r.attrs,
      layer: r.layer,
      inputs: [],
      inSlots,
      out,
      slot: slots,
      saved: node ? node.saved : null,
      kernel,
      needs: node ? node.needs : null,
      gradBuffers: [],
      grads: [],
    };
    slotOf.set(r.out, slots++);
    opOf.set(r.out, op);
    forward.push(op);
    bytes += bytesOf(data);
  }
  // inputs: the leaves themselves, or the slots made for earlier outputs
  const slotTensor: Tensor[] = [...leaves];
  for (const op of forward) slotTensor[op.slot] = op.out;
  for (const op of forward) {
    op.inputs = op.inSlots.map((s) => slotTensor[s]);
    const needs = op.needs;
    if (needs) {
      op.gradBuffers = op.inputs.map((x, k) => (needs[k] && op.kernel ? own(x.storage) : null));
      for (let k = 0; k < needs.length; k++) if (needs[k]) bytes += bytesOf(op.inputs[k].storage);
    }
  }
  const backwardSteps: BackwardStep[] = [];
  const order = topologicalOrder(loss);
  for (let i = order.length - 1; i >= 0; i--) {
    const t = order[i];
    const slot = slotOf.get(t);
    if (slot === undefined) throw new NotReplayable('the backward reaches a tensor the forward did not record');
    if (t.node) {
      const op = opOf.get(t);
      if (!op || !op.needs) throw new NotReplayable('the backward reaches an op without its node');
      backwardSteps.push({ op, leaf: null, slot });
    } else backwardSteps.push({ op: null, leaf: t, slot });
  }
  const last = forward[forward.length - 1];
  return new Plan(
    leaves,
    leaves.map((t) => [...t.shape]),
    leaves.map((t) => t.requiresGrad),
    forward,
    backwardSteps,
    last.out,
    last.slot,
    bytes,
    slots,
  );
}
