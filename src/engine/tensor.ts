/** The tensor: a flat row-major typed array, a shape, and (when it was computed) the tape node. */
import { alloc, DType, dtypeOf, FloatArray, fromValues } from './dtype';
import type { Node } from './autograd';
import { formatShape, Shape, sizeOf } from './shape';

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

  constructor(
    public data: FloatArray,
    public readonly shape: Shape,
    public requiresGrad = false,
  ) {
    if (sizeOf(shape) !== data.length) {
      throw new Error(`tensor of shape ${formatShape(shape)} needs ${sizeOf(shape)} values, got ${data.length}`);
    }
  }

  get dtype(): DType {
    return dtypeOf(this.data);
  }

  get size(): number {
    return this.data.length;
  }

  get rank(): number {
    return this.shape.length;
  }

  /** The value of a one-element tensor. */
  item(): number {
    if (this.data.length !== 1) throw new Error(`item() needs one element, tensor has shape ${formatShape(this.shape)}`);
    return this.data[0];
  }

  toString(): string {
    return `Tensor(${formatShape(this.shape)}, ${this.dtype})`;
  }
}

export function zeros(shape: Shape, dtype: DType = 'float32', requiresGrad = false): Tensor {
  return new Tensor(alloc(dtype, sizeOf(shape)), shape, requiresGrad);
}

export function full(shape: Shape, value: number, dtype: DType = 'float32'): Tensor {
  const t = zeros(shape, dtype);
  t.data.fill(value);
  return t;
}

export function tensor(values: ArrayLike<number>, shape: Shape = [values.length], dtype: DType = 'float32', requiresGrad = false): Tensor {
  return new Tensor(fromValues(dtype, values), shape, requiresGrad);
}

export function scalar(value: number, dtype: DType = 'float32'): Tensor {
  return tensor([value], [], dtype);
}
