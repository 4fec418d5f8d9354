/**
 * The tensor: a flat row-major typed array, a shape, a dtype and (when it was computed) the tape node.
 *
 * In-place ops follow PyTorch's autograd: every tensor has a version counter (shared with its views)
 * that an in-place op bumps; an op that saved a tensor for its backward remembers the version, and
 * the backward refuses to run on a tensor changed since ("modified by an inplace operation"). The
 * data of a tensor is always contiguous: a view (a slice, a transpose, x[0]) holds its own copy of
 * the values and the description of where they sit in its base, so a write through the view reaches
 * the base, and a view whose base was written re-reads its values when next used.
 */
import { dtypeOf, FloatArray, TensorDType } from './dtype';
import type { Node } from './autograd';
import { formatShape, gatherStrided, Shape, sizeOf } from './shape';

/** PyTorch's `_version`: shared by a tensor and its views, bumped by every in-place write. */
export interface VersionCounter {
  value: number;
}

/** Where a view's elements sit in its base's (contiguous) data: element i at offset + Σ index_d·strides_d. */
export interface ViewInfo {
  /** The tensor that owns the storage (never itself a view). */
  readonly base: Tensor;
  readonly offset: number;
  readonly strides: readonly number[];
  /** Version of the base this view's values were read at. */
  dataSeen: number;
  /** Version of the base this view's tape node was made at (the dispatcher rebases it when stale). */
  nodeSeen: number;
  /** A view made by detach(): writes through it change the base's values but not its tape node, as PyTorch. */
  readonly detached: boolean;
}

/** What a tensor was before an in-place op gave it a new tape node: consumers recorded before it still differentiate into this. */
export interface Snapshot {
  /** The snapshot stands for the tensor at every version below this one (and after the previous snapshot). */
  readonly until: number;
  readonly tensor: Tensor;
}

export class Tensor {
  /** Gradient of the last `backward` with respect to this tensor (accumulated for leaves, as PyTorch). */
  grad: FloatArray | null = null;
  /** How this tensor was computed; null for leaves (inputs, parameters). */
  node: Node | null = null;
  /** `named_parameters()` name when this is a parameter. */
  name: string | null = null;
  /** Backward's bookkeeping: the gradient in flight and the walk that last visited this tensor. */
  pending: FloatArray | null = null;
  visit = 0;
  readonly dtype: TensorDType;
  counter: VersionCounter = { value: 0 };
  /** Set when this tensor is a view of another's storage (slicing, transpose, select, expand, …). */
  view: ViewInfo | null = null;
  /** Earlier tape nodes of this tensor, oldest first; null until an in-place op replaces its node. */
  history: Snapshot[] | null = null;
  private values: FloatArray;

  constructor(
    data: FloatArray,
    public readonly shape: Shape,
    public requiresGrad = false,
    dtype?: TensorDType,
  ) {
    if (sizeOf(shape) !== data.length) {
      throw new Error(`tensor of shape ${formatShape(shape)} needs ${sizeOf(shape)} values, got ${data.length}`);
    }
    this.values = data;
    this.dtype = dtype ?? dtypeOf(data);
  }

  /** The values, row-major; a view whose base was written since re-reads them first. */
  get data(): FloatArray {
    const v = this.view;
    if (v !== null && v.dataSeen !== this.counter.value) {
      gatherStrided(v.base.data, v.offset, v.strides, this.shape, this.values);
      v.dataSeen = this.counter.value;
    }
    return this.values;
  }

  set data(a: FloatArray) {
    if (a.length !== this.values.length) throw new Error(`tensor of shape ${formatShape(this.shape)} needs ${this.values.length} values, got ${a.length}`);
    this.values = a;
    markWritten(this);
  }

  /**
   * @internal The array this tensor's values live in, as it is (a view's not re-read from its base):
   * the step scope gives it back to the buffer pool by identity (step-scope.ts).
   */
  get storage(): FloatArray {
    return this.values;
  }

  /**
   * @internal Gives a replayed step's intermediate its values of this step, without a version bump:
   * nothing but the replay (engine/replay/plan.ts) holds such a tensor, and its version stays 0 as
   * an op's fresh result's does.
   */
  rebind(a: FloatArray): void {
    this.values = a;
  }

  /** PyTorch's `_version`. */
  get version(): number {
    return this.counter.value;
  }

  get size(): number {
    return this.values.length;
  }

  get rank(): number {
    return this.shape.length;
  }

  get isFloatingPoint(): boolean {
    return this.dtype === 'float32' || this.dtype === 'float64';
  }

  /** A leaf is a tensor no op computed (a parameter, an input, a constant), as PyTorch's `is_leaf`. */
  get isLeaf(): boolean {
    return this.node === null;
  }

  /** The value of a one-element tensor. */
  item(): number {
    if (this.values.length !== 1) throw new Error(`item() needs one element, tensor has shape ${formatShape(this.shape)}`);
    return this.data[0];
  }

  /** The values as a plain array (row-major). */
  toArray(): number[] {
    return Array.from(this.data);
  }

  toString(): string {
    return `Tensor(${formatShape(this.shape)}, ${this.dtype})`;
  }
}

/**
 * Records a write of `t`'s values made outside the dispatcher's in-place ops (an optimiser step, an
 * init, loading weights, `w.data = …`): bumps its version, as PyTorch's in-place writes do, so a copy
 * kept of the old values (the kernels' resident copies) is never read again.
 */
export function markWritten(t: Tensor): void {
  t.counter.value++;
}

/** Makes `t` a leaf that requires a gradient (PyTorch's `requires_grad_()`); only float tensors can. */
export function requireGrad(t: Tensor, flag = true): Tensor {
  if (flag && !t.isFloatingPoint) throw new TypeError(`only Tensors of floating point dtype can require gradients, got ${t.dtype}`);
  if (!flag && t.node) throw new Error('you can only change requires_grad flags of leaf variables.');
  t.requiresGrad = flag;
  return t;
}
