/**
 * The one place every op runs through: forward, tape recording, memory cap and instrumentation,
 * and the in-place path that gives an op's result to an existing tensor with PyTorch's autograd
 * semantics (version counters, snapshots of the tensor's earlier node, writes through views).
 */
import type { Node } from './autograd';
import { chargeMemory, currentLayer, getInstrument, isGradEnabled, opRecorder } from './context';
import { bytesOf, canCast, dtypeOf, isFloating } from './dtype';
import { OpAttrs, OpKind, OPS } from './ops';
import type { OpDef, Slot } from './ops/types';
import { stridedPositions } from './shape';
import { Tensor } from './tensor';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyOp = OpDef<any, any>;

/** The table as a Map: a lookup by a different kind on each call cost twice as much in the object. */
const DEFS = new Map<string, AnyOp>(Object.entries(OPS));

function savedSlots(def: AnyOp, needs: readonly boolean[], attrs: unknown): readonly Slot[] {
  const s = def.saves;
  return typeof s === 'function' ? (s as (n: readonly boolean[], a: unknown) => readonly Slot[])(needs, attrs) : s;
}

// A node's `versions` and `needs` are read, never written, so the common answers are shared: every
// input at version 0 (nothing written in place yet), and each pattern of flags over up to three
// inputs. Two fewer arrays per op: a tiny model's step makes a few dozen objects in all.
const MAX_SHARED = 3;
const ZERO_VERSIONS: readonly number[][] = Array.from({ length: MAX_SHARED + 1 }, (_, n) => new Array<number>(n).fill(0));
const NEEDS: readonly (readonly boolean[])[][] = Array.from({ length: MAX_SHARED + 1 }, (_, n) =>
  Array.from({ length: 1 << n }, (_, mask) => Array.from({ length: n }, (_, k) => (mask & (1 << k)) !== 0)),
);

/** Each input's version now, as a shared array when all are 0. */
function versionsOf(inputs: readonly Tensor[]): readonly number[] {
  const n = inputs.length;
  let written = false;
  for (let k = 0; k < n; k++) if (inputs[k].counter.value !== 0) written = true;
  if (!written && n <= MAX_SHARED) return ZERO_VERSIONS[n];
  const versions = new Array<number>(n);
  for (let k = 0; k < n; k++) versions[k] = inputs[k].counter.value;
  return versions;
}

/** Which inputs require a gradient now, as a shared array for up to MAX_SHARED inputs. */
function needsOf(inputs: readonly Tensor[]): readonly boolean[] {
  const n = inputs.length;
  if (n <= MAX_SHARED) {
    let mask = 0;
    for (let k = 0; k < n; k++) if (inputs[k].requiresGrad) mask |= 1 << k;
    return NEEDS[n][mask];
  }
  const needs = new Array<boolean>(n);
  for (let k = 0; k < n; k++) needs[k] = inputs[k].requiresGrad;
  return needs;
}

export function apply<K extends OpKind>(kind: K, inputs: readonly Tensor[], attrs: OpAttrs[K]): Tensor {
  const def = DEFS.get(kind)!;
  const layer = currentLayer();
  const grad = isGradEnabled();
  let wants = false;
  for (let k = 0; k < inputs.length; k++) {
    const x = inputs[k];
    if (grad && x.view !== null && x.view.nodeSeen !== x.counter.value) rebaseView(x);
    wants ||= x.requiresGrad;
  }
  let r;
  try {
    r = def.forward(inputs, attrs);
  } catch (e) {
    // Which layer raised it, for an error on the user's line (see trace/errors.ts).
    if (e instanceof Error && !('layer' in e)) Object.defineProperty(e, 'layer', { value: layer, enumerable: false });
    throw e;
  }
  chargeMemory(bytesOf(r.data), r.shape);
  const dtype = def.outDtype ? def.outDtype(inputs, attrs) : inputs[0].dtype;
  if (isFloating(dtype) && dtypeOf(r.data) !== dtype) throw new Error(`${kind} produced ${dtypeOf(r.data)} values for a ${dtype} result`);
  const out = new Tensor(r.data, r.shape, false, dtype);
  const instrument = getInstrument();
  if (wants && grad) {
    if (def.differentiable !== false && isFloating(dtype)) {
      out.requiresGrad = true;
      const versions = versionsOf(inputs);
      const needs = needsOf(inputs);
      const node: Node = {
        kind,
        def,
        inputs,
        attrs,
        saved: r.saved,
        layer,
        versions,
        needs,
        savedSlots: savedSlots(def, needs, attrs),
        outCounter: out.counter,
        outVersion: 0,
        freed: false,
      };
      out.node = node;
    } else if (instrument) {
      instrument.onGradientStop(kind, layer);
    }
  }
  if (instrument) instrument.onForward(kind, layer, inputs, out, def, r.saved, attrs);
  const recorder = opRecorder();
  if (recorder) recorder.onOp(kind, def, inputs, attrs, out, r.saved, layer);
  return out;
}

// ── in place ───────────────────────────────────────────────────────────────

export class InplaceError extends Error {
  override name = 'InplaceError';
}

/** A stand-in for `t` as it is now: its node, its gradient flag, and (when an op reads it) its values. */
function snapshotOf(t: Tensor, copyValues: boolean): Tensor {
  const s = new Tensor(copyValues ? t.data.slice() : t.data, t.shape, false, t.dtype);
  s.node = t.node;
  s.requiresGrad = t.requiresGrad;
  s.counter = { value: t.counter.value };
  return s;
}

/** Consumers recorded before now keep differentiating into `snapshot`, the tensor's earlier self. */
function pushHistory(t: Tensor, snapshot: Tensor): void {
  (t.history ??= []).push({ until: t.counter.value, tensor: snapshot });
}

/** Gives `t` the tape node `node` came with, as its producer from now on. */
function adopt(t: Tensor, from: Tensor): void {
  t.node = from.node;
  t.requiresGrad = from.requiresGrad;
  if (t.node) {
    t.node.outCounter = t.counter;
    t.node.outVersion = t.counter.value;
  }
}

/**
 * A view whose base was written since its tape node was made reads its values from the base again,
 * through a new node, so its gradient reaches the base's new producer (PyTorch regenerates a
 * view's grad_fn the same way).
 */
function rebaseView(t: Tensor): void {
  const v = t.view!;
  v.nodeSeen = t.counter.value;
  if (v.detached || !(v.base.requiresGrad || t.requiresGrad)) return;
  const fresh = apply('take', [v.base], { positions: stridedPositions(v.offset, v.strides, t.shape), shape: t.shape });
  pushHistory(t, snapshotOf(t, false));
  adopt(t, fresh);
}

function overlapsItself(t: Tensor): boolean {
  const v = t.view;
  if (!v) return false;
  for (let d = 0; d < t.rank; d++) if (v.strides[d] === 0 && t.shape[d] > 1) return true;
  return false;
}

/**
 * Runs `kind` on [target, ...others] and writes the result into `target` (PyTorch's `add_`,
 * `x[idx] = v`, `relu_`): same tensor object, values overwritten, version bumped, and from now on
 * computed by this op. Earlier ops that saved the target for their backward will refuse it.
 */
export function applyInPlace<K extends OpKind>(kind: K, target: Tensor, others: readonly Tensor[], attrs: OpAttrs[K]): Tensor {
  const grad = isGradEnabled();
  opRecorder()?.onInPlace(kind);
  const v = target.view;
  if (grad && !v?.detached) {
    if (target.node === null && target.requiresGrad) throw new InplaceError('a leaf Variable that requires grad is being used in an in-place operation.');
    if (v && v.base.node === null && v.base.requiresGrad) throw new InplaceError('a view of a leaf Variable that requires grad is being used in an in-place operation.');
  }
  if (overlapsItself(target)) {
    throw new InplaceError(
      'unsupported operation: more than one element of the written-to tensor refers to a single memory location. Please clone() the tensor before performing the operation.',
    );
  }
  if (grad && v && v.nodeSeen !== target.counter.value) rebaseView(target);
  const needs = [target.requiresGrad, ...others.map((o) => o.requiresGrad)];
  const self = snapshotOf(target, grad && savedSlots(DEFS.get(kind)!, needs, attrs).includes(0));
  let value = apply(kind, [self, ...others], attrs);
  if (value.dtype !== target.dtype) {
    if (!canCast(value.dtype, target.dtype)) throw new InplaceError(`result type ${value.dtype} can't be cast to the desired output type ${target.dtype}`);
    value = apply('to_dtype', [value], { dtype: target.dtype });
  }
  if (!v) {
    commitValues(target, value, self);
    return target;
  }
  const base = v.base;
  const positions = stridedPositions(v.offset, v.strides, target.shape);
  if (v.detached || !grad) {
    // a detached alias (or no tape): the base's values change, its producer does not
    const bd = base.data;
    const vd = value.data;
    for (let i = 0; i < positions.length; i++) bd[positions[i]] = vd[i];
    base.counter.value++;
  } else {
    const baseSelf = snapshotOf(base, false);
    const written = apply('put', [baseSelf, value], { positions, accumulate: false });
    commitValues(base, written, baseSelf);
  }
  // the view: its values are what was just written; its producer, the base's new one
  target.data.set(value.data);
  v.dataSeen = target.counter.value;
  if (grad) rebaseView(target);
  return target;
}

/** Writes `value` into `t`'s own array (aliases such as detach() see it), bumps the version, adopts the node. */
function commitValues(t: Tensor, value: Tensor, self: Tensor): void {
  t.data.set(value.data);
  t.counter.value++;
  if (value.node || self.node) pushHistory(t, self);
  if (value.node) adopt(t, value);
}
