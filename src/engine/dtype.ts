/** Element types a tensor can hold: float32 for tracing, float64 for gradient checks and parity. */
export type DType = 'float32' | 'float64';
export type FloatArray = Float32Array | Float64Array;

export function alloc(dtype: DType, n: number): FloatArray {
  return dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
}

export function dtypeOf(a: FloatArray): DType {
  return a instanceof Float64Array ? 'float64' : 'float32';
}

/** A zero-filled array of the same type and length as `a`. */
export function like(a: FloatArray, n: number = a.length): FloatArray {
  return a instanceof Float64Array ? new Float64Array(n) : new Float32Array(n);
}

export function fromValues(dtype: DType, values: ArrayLike<number>): FloatArray {
  return dtype === 'float64' ? Float64Array.from(values) : Float32Array.from(values);
}
