import assert from 'node:assert/strict';
import * as F from '../../../src/engine';
import { backward, tensor, Tensor } from '../../../src/engine';
import { gradcheck, rand } from '../support/gradcheck';

/** d out/d x for the seed gy (ones when omitted). */
function gradOf(f: (x: Tensor) => Tensor, x: Tensor, gy?: number[]): number[] {
  x.grad = null;
  const y = f(x);
  backward(y, gy ? Float64Array.from(gy) : new Float64Array(y.size).fill(1));
  return Array.from(x.grad!);
}

const m23 = () => tensor([1, 2, 3, 4, 5, 6], [2, 3], 'float64', true);

describe('reduce ops', () => {
  describe('forward values and shapes', () => {
    it('sum over all, each axis, negative axes and keepDims', () => {
      const x = m23();
      const s = F.sum(x);
      assert.deepEqual(s.shape, []);
      assert.equal(s.item(), 21);
      assert.deepEqual(Array.from(F.sum(x, 0).data), [5, 7, 9]);
      assert.deepEqual(Array.from(F.sum(x, -1).data), [6, 15]);
      assert.deepEqual(F.sum(x, 1, true).shape, [2, 1]);
      assert.deepEqual(F.sum(x, -2, true).shape, [1, 3]);
      assert.deepEqual(F.sum(x, null, true).shape, [1, 1]);
      assert.deepEqual(F.sum(x, [0, 1]).shape, []);
      assert.deepEqual(F.sum(x, [1, 0, -1]).shape, [], 'duplicates and negatives normalise to the same set');
    });
    it('sum and mean over several axes of a rank-4 tensor', () => {
      const data = Array.from({ length: 24 }, (_, i) => i);
      const x = tensor(data, [2, 3, 2, 2], 'float64');
      const s = F.sum(x, [1, 3]);
      assert.deepEqual(s.shape, [2, 2]);
      // element (a, c) sums i = 12a + 4b + 2c + d over b ∈ 0..2, d ∈ 0..1
      const expected = [0, 1].flatMap((a) => [0, 1].map((c) => 6 * (12 * a + 2 * c) + 2 * 12 + 3)); // Σb 4b·2 = 24, Σd d·3 = 3
      assert.deepEqual(Array.from(s.data), expected);
      const m = F.mean(x, [-3, -1], true);
      assert.deepEqual(m.shape, [2, 1, 2, 1]);
      assert.deepEqual(Array.from(m.data), expected.map((v) => v / 6));
    });
    it('mean and max of a matrix', () => {
      const x = tensor([1, 5, 3, 4, 2, 6], [2, 3], 'float64');
      assert.equal(F.mean(x).item(), 3.5);
      assert.deepEqual(Array.from(F.mean(x, 0).data), [2.5, 3.5, 4.5]);
      assert.deepEqual(Array.from(F.max(x, 1).data), [5, 6]);
      assert.deepEqual(Array.from(F.max(x, 0).data), [4, 5, 6]);
      assert.equal(F.max(x).item(), 6);
      assert.deepEqual(F.max(x, -1, true).shape, [2, 1]);
    });
    it('rank-0 input reduces to itself', () => {
      const x = tensor([3], [], 'float64');
      assert.equal(F.sum(x).item(), 3);
      assert.equal(F.mean(x).item(), 3);
      assert.equal(F.max(x).item(), 3);
    });
    it('float32 sums accumulate in float64 and return float32', () => {
      const x = tensor(new Array(1_000_000).fill(0.1), [1000, 1000]);
      const s = F.sum(x);
      assert.ok(s.data instanceof Float32Array);
      assert.ok(Math.abs(s.item() - 100000) < 0.01, `sum ${s.item()}`);
      assert.ok(Math.abs(F.mean(x, 0).data[0] - 0.1) < 1e-7);
    });
    it("rejects an axis out of range with PyTorch's IndexError message", () => {
      assert.throws(() => F.sum(m23(), 2), { name: 'DimError', message: 'Dimension out of range (expected to be in range of [-2, 1], but got 2)' });
      assert.throws(() => F.max(m23(), -3), { name: 'DimError', message: 'Dimension out of range (expected to be in range of [-2, 1], but got -3)' });
      assert.throws(() => F.cumsum(tensor([1], []), 1), { name: 'DimError', message: 'Dimension out of range (expected to be in range of [-1, 0], but got 1)' });
    });
  });

  describe('gradients match finite differences (float64)', () => {
    const cases: [number[], (number | number[] | null)[]][] = [
      [[5], [null, 0, -1]],
      [[3, 4], [null, 0, 1, -1, [0, 1]]],
      [[2, 3, 4], [null, 0, 1, 2, -1, [0, 2], [1, 2], [0, 1, 2]]],
      [[2, 3, 2, 3], [null, 1, -1, [0, 3], [1, 2], [0, 1, 3]]],
    ];
    for (const [name, f] of [
      ['sum', F.sum],
      ['mean', F.mean],
      ['max', F.max],
    ] as const) {
      for (const [shape, axesList] of cases) {
        it(`${name} over rank ${shape.length}, keepDims both ways`, () => {
          for (const axes of axesList) {
            for (const keepDims of [false, true]) {
              gradcheck((x) => f(x, axes, keepDims), [rand(shape, 40 + shape.length, -2, 2)]);
            }
          }
        });
      }
    }
    it('a reduction feeding other ops (mean of squares, softmax-like normalisation)', () => {
      gradcheck((x) => F.mean(F.mul(x, x), -1, true), [rand([3, 4], 51)]);
      gradcheck((x) => F.div(x, F.sum(x, 0, true)), [rand([3, 4], 52, 0.5, 2)]);
      gradcheck((x) => F.sub(x, F.max(x, -1, true)), [rand([2, 3, 4], 53)]);
    });
  });

  describe('max: ties, as PyTorch', () => {
    // torch 1.13: x.max(1) → indices [1, 0]; x.max() and torch.amax spread over ties
    const ties = () => tensor([1, 3, 3, 0, 2, 3], [2, 3], 'float64', true);
    it('over one axis the whole gradient goes to the first maximum (torch.max(x, dim))', () => {
      assert.deepEqual(gradOf((x) => F.max(x, 1), ties()), [0, 1, 0, 0, 0, 1]);
      assert.deepEqual(gradOf((x) => F.max(x, 0), tensor([2, 1, 2, 1], [2, 2], 'float64', true)), [1, 1, 0, 0]);
      assert.deepEqual(gradOf((x) => F.max(x, -1, true), ties(), [2, 5]), [0, 2, 0, 0, 0, 5]);
    });
    it('over all axes the gradient is shared evenly by the ties (x.max())', () => {
      assert.deepEqual(gradOf((x) => F.max(x), ties(), [3]), [0, 1, 1, 0, 0, 1]);
      assert.deepEqual(gradOf((x) => F.max(x, null, true), ties(), [3]), [0, 1, 1, 0, 0, 1]);
    });
    it('over several axes the gradient is shared evenly (torch.amax(x, dims))', () => {
      assert.deepEqual(gradOf((x) => F.max(x, [0, 1]), ties(), [3]), [0, 1, 1, 0, 0, 1]);
      const x = tensor([1, 4, 4, 0, 2, 2, 2, 2], [2, 2, 2], 'float64', true);
      // slices over axes 1 and 2: [1, 4, 4, 0] and [2, 2, 2, 2]
      assert.deepEqual(gradOf((t) => F.max(t, [1, 2]), x, [1, 8]), [0, 0.5, 0.5, 0, 2, 2, 2, 2]);
    });
  });

  describe('NaN, ±inf and empty inputs', () => {
    it('max propagates NaN; the gradient goes to the first NaN along one axis', () => {
      const x = tensor([1, 3, 3, NaN, 2, NaN], [2, 3], 'float64', true);
      const y = F.max(x, 1);
      assert.equal(y.data[0], 3);
      assert.ok(Number.isNaN(y.data[1]));
      assert.deepEqual(gradOf((t) => F.max(t, 1), x), [0, 1, 0, 1, 0, 0]);
    });
    it('max over all axes with NaN is NaN and shares the gradient among the NaNs (PyTorch)', () => {
      const x = tensor([1, 3, 3, NaN, 2, NaN], [2, 3], 'float64', true);
      assert.ok(Number.isNaN(F.max(x).item()));
      assert.deepEqual(gradOf((t) => F.max(t), x), [0, 0, 0, 0.5, 0, 0.5]);
    });
    it('a NaN after the maximum, or before it, still wins', () => {
      assert.ok(Number.isNaN(F.max(tensor([5, NaN, 1], [3], 'float64'), 0).item()));
      assert.ok(Number.isNaN(F.max(tensor([NaN, 5, 1], [3], 'float64'), 0).item()));
      assert.ok(Number.isNaN(F.max(tensor([1, 5, NaN], [3], 'float64')).item()));
    });
    it('max of all -inf is -inf with the gradient on the first element; +inf wins', () => {
      const x = tensor([-Infinity, -Infinity, 1, Infinity], [2, 2], 'float64', true);
      assert.deepEqual(Array.from(F.max(x, 1).data), [-Infinity, Infinity]);
      assert.deepEqual(gradOf((t) => F.max(t, 1), x), [1, 0, 0, 1]);
      assert.deepEqual(gradOf((t) => F.max(t), x), [0, 0, 0, 1]);
    });
    it('sum and mean follow IEEE: inf − inf is NaN, NaN spreads; gradients stay finite', () => {
      const x = tensor([Infinity, 1, Infinity, -Infinity, NaN, 2], [3, 2], 'float64', true);
      const s = F.sum(x, 1).data;
      assert.equal(s[0], Infinity);
      assert.ok(Number.isNaN(s[1]) && Number.isNaN(s[2]));
      assert.deepEqual(gradOf((t) => F.sum(t, 1), x), [1, 1, 1, 1, 1, 1]);
      assert.deepEqual(gradOf((t) => F.mean(t), x), new Array(6).fill(1 / 6));
    });
    it('sum of an empty axis is 0, mean is NaN, max throws', () => {
      const x = tensor([], [0, 3], 'float64');
      assert.deepEqual(Array.from(F.sum(x, 0).data), [0, 0, 0]);
      assert.equal(F.sum(x).item(), 0);
      assert.ok(Number.isNaN(F.mean(x).item()));
      assert.throws(() => F.max(x, 0), /size 0/);
      assert.throws(() => F.max(x), /size 0/);
      assert.deepEqual(F.max(x, 1).shape, [0], 'reducing a non-empty axis of an empty tensor is fine');
    });
  });

  it('float32 in gives float32 out', () => {
    const x = tensor([1, 2, 3, 4], [2, 2]);
    for (const f of [F.sum, F.mean, F.max]) assert.ok(f(x, 0).data instanceof Float32Array);
  });
});
