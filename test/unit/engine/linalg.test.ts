import assert from 'node:assert/strict';
import * as F from '../../../src/engine';
import { backward, tensor, Tensor } from '../../../src/engine';
import { gemm } from '../../../src/engine/kernels/gemm';
import { gradcheck, rand } from '../support/gradcheck';

/** Plain triple loop over 2-D row-major arrays, the reference for forward values. */
function naiveMatmul(a: ArrayLike<number>, b: ArrayLike<number>, m: number, k: number, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j];
      out.push(s);
    }
  }
  return out;
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-12): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol * (1 + Math.abs(expected[i])), `[${i}] ${actual[i]} vs ${expected[i]}`);
  }
}

describe('matmul', () => {
  const cases: [number[], number[], number[]][] = [
    [[3, 4], [4, 5], [3, 5]],
    [[2, 3, 4], [4, 5], [2, 3, 5]],
    [[2, 3, 4], [2, 4, 5], [2, 3, 5]],
    [[2, 1, 3, 4], [3, 4, 2], [2, 3, 3, 2]],
    [[4], [4], []],
    [[4], [4, 3], [3]],
    [[2, 3, 4], [4], [2, 3]],
    [[4], [2, 4, 3], [2, 3]],
    [[8, 64], [64, 66], [8, 66]], // big enough for the packed GEMM path
  ];
  for (const [sa, sb, so] of cases) {
    it(`${JSON.stringify(sa)} @ ${JSON.stringify(sb)} → ${JSON.stringify(so)}: gradient matches finite differences`, () => {
      const a = rand(sa, 1);
      const b = rand(sb, 2);
      assert.deepEqual(F.matmul(a, b).shape, so);
      gradcheck(F.matmul, [a, b]);
    });
  }

  it('forward equals the naive product, per batch', () => {
    const a = rand([2, 3, 4], 3);
    const b = rand([2, 4, 5], 4);
    const y = F.matmul(a, b);
    for (let t = 0; t < 2; t++) {
      assertClose(y.data.subarray(t * 15, (t + 1) * 15), naiveMatmul(a.data.subarray(t * 12), b.data.subarray(t * 20), 3, 4, 5));
    }
    assert.deepEqual(Array.from(F.matmul(tensor([1, 2], [1, 2]), tensor([3, 4], [2, 1])).data), [11]);
  });

  it('repeats a broadcast batch operand and sums its gradient over the batch', () => {
    const a = rand([3, 2, 4], 5);
    const b = rand([4, 2], 6);
    const bb = new Tensor(new Float64Array([...b.data, ...b.data, ...b.data]), [3, 4, 2], true);
    const y1 = F.matmul(a, b);
    const y2 = F.matmul(a, bb);
    assertClose(y1.data, y2.data);
    backward(F.sum(y1));
    backward(F.sum(y2));
    const summed = new Float64Array(8);
    for (let t = 0; t < 3; t++) for (let i = 0; i < 8; i++) summed[i] += bb.grad![t * 8 + i];
    assertClose(b.grad!, summed);
  });

  it('refuses mismatched inner sizes, naming both shapes', () => {
    assert.throws(() => F.matmul(rand([2, 3]), rand([4, 2])), /\[2, 3\] and \[4, 2\]/);
    assert.throws(() => F.matmul(rand([2, 2, 3]), rand([3, 3, 2])), /^ShapeError: The size of tensor a \(2\) must match the size of tensor b \(3\) at non-singleton dimension 0$/);
  });

  it('NaN and inf spread along their row and column only', () => {
    const a = tensor([NaN, 0, 1, 1], [2, 2], 'float64');
    const b = tensor([1, Infinity, 1, 1], [2, 2], 'float64');
    const y = F.matmul(a, b).data;
    assert.ok(Number.isNaN(y[0]) && Number.isNaN(y[1]));
    assert.equal(y[2], 2);
    assert.equal(y[3], Infinity);
  });

  it('float32 in, float32 out, through the packed path too', () => {
    const a = F.full([50, 50], 0.5);
    const y = F.matmul(a, a);
    assert.ok(y.data instanceof Float32Array);
    assert.equal(y.data[0], 12.5);
  });
});

describe('linear', () => {
  const shapes: [number[], number, number][] = [
    [[3, 4], 4, 5],
    [[2, 3, 4], 4, 2],
    [[4], 4, 3],
    [[8, 64], 64, 66], // big enough for the packed GEMM path
  ];
  for (const [sx, nIn, nOut] of shapes) {
    it(`x ${JSON.stringify(sx)}, weight [${nOut}, ${nIn}], with bias: gradient matches finite differences`, () => {
      gradcheck(F.linear, [rand(sx, 1), rand([nOut, nIn], 2), rand([nOut], 3)]);
    });
    it(`x ${JSON.stringify(sx)}, weight [${nOut}, ${nIn}], no bias: gradient matches finite differences`, () => {
      gradcheck((x, w) => F.linear(x, w), [rand(sx, 4), rand([nOut, nIn], 5)]);
    });
  }

  // The core adds the bias as C's starting value and takes all three gradients in one visit: the
  // bits must be those of the product, then the bias, and of one product per gradient.
  for (const [rows, nIn, nOut] of [
    [32, 64, 64],
    [5, 300, 17],
    [64, 3, 40],
  ]) {
    it(`float32 on the core, x [${rows}, ${nIn}], weight [${nOut}, ${nIn}]: the same bits as the product, bias and gradients one by one`, () => {
      const rng = new F.Rng(7);
      const f32 = (n: number) => Float32Array.from({ length: n }, () => rng.between(-1, 1));
      const [xv, wv, bv, gv] = [f32(rows * nIn), f32(nOut * nIn), f32(nOut), f32(rows * nOut)];
      const x = new Tensor(xv, [rows, nIn], true);
      const w = new Tensor(wv, [nOut, nIn], true);
      const b = new Tensor(bv, [nOut], true);
      const y = F.linear(x, w, b);
      backward(y, gv);
      const out = new Float32Array(rows * nOut);
      gemm(false, true, rows, nOut, nIn, xv, 0, wv, 0, out, 0, false);
      for (let r = 0; r < rows; r++) for (let j = 0; j < nOut; j++) out[r * nOut + j] += bv[j];
      const dx = new Float32Array(rows * nIn);
      gemm(false, false, rows, nIn, nOut, gv, 0, wv, 0, dx, 0, false);
      const dw = new Float32Array(nOut * nIn);
      gemm(true, false, nOut, nIn, rows, gv, 0, xv, 0, dw, 0, false);
      const db = new Float32Array(nOut);
      for (let r = 0; r < rows; r++) for (let j = 0; j < nOut; j++) db[j] += gv[r * nOut + j];
      assert.deepEqual(y.data, out);
      assert.deepEqual(x.grad, dx);
      assert.deepEqual(w.grad, dw);
      assert.deepEqual(b.grad, db);
    });
  }

  it('forward is x·Wᵀ + b as PyTorch stores W [out, in]', () => {
    const x = tensor([1, 2, 3, 4, 5, 6], [2, 3], 'float64');
    const w = tensor([1, 0, -1, 2, 1, 0], [2, 3], 'float64');
    const b = tensor([10, 20], [2], 'float64');
    assert.deepEqual(Array.from(F.linear(x, w, b).data), [1 - 3 + 10, 2 + 2 + 20, 4 - 6 + 10, 8 + 5 + 20]);
    assert.deepEqual(F.linear(x, w, b).shape, [2, 2]);
  });

  it('skips the input gradient when the input does not need one', () => {
    const x = rand([3, 4], 6, -1, 1, false);
    const w = rand([2, 4], 7);
    const b = rand([2], 8);
    backward(F.sum(F.linear(x, w, b)));
    assert.equal(x.grad, null);
    assert.ok(w.grad && b.grad);
    assert.deepEqual(Array.from(b.grad), [3, 3]);
  });

  it('refuses an input that does not end in in_features, and a wrong bias', () => {
    assert.throws(() => F.linear(rand([3, 5]), rand([2, 4])), /in_features = 4/);
    assert.throws(() => F.linear(rand([3, 4]), rand([2, 4]), rand([3])), /bias \[3\]/);
  });

  it('NaN in one input row stays in that output row', () => {
    const x = tensor([NaN, 1, 1, 1], [2, 2], 'float64');
    const y = F.linear(x, tensor([1, 1], [1, 2], 'float64'), tensor([0], [1], 'float64')).data;
    assert.ok(Number.isNaN(y[0]));
    assert.equal(y[1], 2);
  });
});
