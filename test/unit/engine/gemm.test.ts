import assert from 'node:assert/strict';
import { gemm, gemmReference } from '../../../src/engine/kernels/gemm';
import { Rng } from '../../../src/engine';

type Ctor = Float32ArrayConstructor | Float64ArrayConstructor;

function random(ctor: Ctor, n: number, rng: Rng): Float32Array | Float64Array {
  const a = new ctor(n);
  for (let i = 0; i < n; i++) a[i] = rng.between(-1, 1);
  return a;
}

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < actual.length; i++) {
    const e = expected[i];
    const a = actual[i];
    if (a === e) continue;
    if (Number.isNaN(e)) {
      assert.ok(Number.isNaN(a), `${what}[${i}]: expected NaN, got ${a}`);
      continue;
    }
    assert.ok(Math.abs(a - e) <= tol * (1 + Math.abs(e)), `${what}[${i}]: ${a} vs reference ${e}`);
  }
}

describe('gemm kernel', () => {
  const sizes = [1, 3, 5, 17, 33, 65];
  const shapes: [number, number, number][] = [];
  for (const m of sizes) for (const n of sizes) for (const k of [1, 5, 33]) shapes.push([m, n, k]);
  // Large enough for the packed path, with ragged edges and more than one depth block.
  shapes.push([65, 33, 17], [67, 70, 300], [4, 4, 2049], [130, 5, 40], [5, 130, 40], [1, 300, 300]);

  for (const [ctor, tol] of [[Float64Array, 1e-12], [Float32Array, 1e-5]] as [Ctor, number][]) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        it(`${ctor.name} ${transA ? 'T' : 'N'}${transB ? 'T' : 'N'} matches the reference on awkward sizes`, () => {
          const rng = new Rng(3);
          for (const [m, n, k] of shapes) {
            const a = random(ctor, m * k, rng);
            const b = random(ctor, k * n, rng);
            const expected = new Float64Array(m * n);
            gemmReference(transA, transB, m, n, k, a, b, expected, false);
            const c = new ctor(m * n).fill(NaN);
            gemm(transA, transB, m, n, k, a, 0, b, 0, c, 0, false);
            close(c, expected, tol * Math.sqrt(k), `${m}×${n}×${k}`);
          }
        });
      }
    }
  }

  it('accumulates into C and honours offsets into every operand', () => {
    const rng = new Rng(9);
    for (const [m, n, k] of [[3, 5, 7], [40, 37, 50]]) {
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          const a = random(Float64Array, 2 + m * k, rng);
          const b = random(Float64Array, 3 + k * n, rng);
          const c0 = random(Float64Array, 5 + m * n, rng);
          const c = c0.slice();
          gemm(transA, transB, m, n, k, a, 2, b, 3, c, 5, true);
          const expected = c0.slice(5);
          gemmReference(transA, transB, m, n, k, a.subarray(2), b.subarray(3), expected, true);
          close(c.subarray(5), expected, 1e-12, `accumulate ${m}×${n}×${k}`);
          close(c.subarray(0, 5), c0.subarray(0, 5), 0, 'untouched prefix');
        }
      }
    }
  });

  it('float32 products small enough for the JavaScript kernel accumulate and honour offsets (its dot products run in four partial sums)', () => {
    const rng = new Rng(11);
    for (const [m, n, k] of [[1, 10, 10], [3, 5, 7], [2, 3, 1], [4, 4, 13]]) {
      const a = random(Float32Array, 2 + m * k, rng);
      const b = random(Float32Array, 3 + k * n, rng);
      const c0 = random(Float32Array, 5 + m * n, rng);
      const c = c0.slice();
      gemm(false, true, m, n, k, a, 2, b, 3, c, 5, true);
      const expected = Float64Array.from(c0.subarray(5));
      gemmReference(false, true, m, n, k, a.subarray(2), b.subarray(3), expected, true);
      close(c.subarray(5), Float32Array.from(expected), 1e-7, `float32 accumulate ${m}×${n}×${k}`);
      close(c.subarray(0, 5), c0.subarray(0, 5), 0, 'untouched prefix');
    }
  });

  it('float64 products in the JavaScript kernel are bit for bit the one running sum of the reference', () => {
    const rng = new Rng(12);
    for (const [m, n, k] of [[1, 10, 10], [3, 5, 7], [4, 4, 13]]) {
      const a = random(Float64Array, m * k, rng);
      const b = random(Float64Array, k * n, rng);
      const c = new Float64Array(m * n);
      gemm(false, true, m, n, k, a, 0, b, 0, c, 0, false);
      const expected = new Float64Array(m * n);
      gemmReference(false, true, m, n, k, a, b, expected, false);
      assert.deepEqual(Array.from(c), Array.from(expected));
    }
  });

  it('small products written in one pass are the bits of zeroing C, multiplying, then adding the bias row', () => {
    const rng = new Rng(13);
    for (const ctor of [Float32Array, Float64Array] as Ctor[]) {
      for (const [m, n, k] of [[10, 10, 1], [1, 10, 10], [1, 1, 10], [3, 5, 7]]) {
        for (const transA of [false, true]) {
          for (const transB of [false, true]) {
            const a = random(ctor, m * k, rng);
            const b = random(ctor, k * n, rng);
            // -0 operands give -0 products: a zeroed C turns 0 + -0 into +0, and so must the one pass
            a[0] = -0;
            b[b.length - 1] = -0;
            const row = random(ctor, n, rng);
            for (const bias of [null, row]) {
              const c = new ctor(m * n).fill(NaN);
              gemm(transA, transB, m, n, k, a, 0, b, 0, c, 0, false, bias);
              const expected = new ctor(m * n);
              gemm(transA, transB, m, n, k, a, 0, b, 0, expected, 0, true);
              if (bias) for (let i = 0; i < m * n; i++) expected[i] += bias[i % n];
              const what = `${ctor.name} ${m}×${n}×${k} ${transA ? 'T' : 'N'}${transB ? 'T' : 'N'}${bias ? ' + row' : ''}`;
              for (let i = 0; i < m * n; i++) assert.ok(Object.is(c[i], expected[i]), `${what}[${i}]: ${c[i]} vs ${expected[i]}`);
            }
          }
        }
      }
    }
  });

  it('k = 0 gives zeros (or leaves C when accumulating)', () => {
    const c = new Float64Array([1, 2, 3, 4]);
    gemm(false, false, 2, 2, 0, new Float64Array(0), 0, new Float64Array(0), 0, c, 0, true);
    assert.deepEqual(Array.from(c), [1, 2, 3, 4]);
    gemm(false, false, 2, 2, 0, new Float64Array(0), 0, new Float64Array(0), 0, c, 0, false);
    assert.deepEqual(Array.from(c), [0, 0, 0, 0]);
  });

  it('propagates NaN and ±inf along the row and column they sit on, in both paths', () => {
    for (const size of [3, 40]) {
      const a = new Float64Array(size * size).fill(1);
      const b = new Float64Array(size * size).fill(1);
      a[1 * size + 2] = NaN;
      b[0 * size + 1] = Infinity;
      const c = new Float64Array(size * size);
      gemm(false, false, size, size, size, a, 0, b, 0, c, 0, false);
      const expected = new Float64Array(size * size);
      gemmReference(false, false, size, size, size, a, b, expected, false);
      close(c, expected, 1e-12, `size ${size}`);
      assert.ok(Number.isNaN(c[1 * size + 0]));
      assert.equal(c[0 * size + 1], Infinity);
      assert.equal(c[2 * size + 0], size);
    }
  });
});
