import assert from 'node:assert/strict';
import * as F from '../../../src/engine';
import { backward, tensor, Tensor } from '../../../src/engine';
import { gradcheck, rand } from '../support/gradcheck';

const iota = (shape: number[], requiresGrad = false): Tensor =>
  tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i), shape, 'float64', requiresGrad);

function gradOf(f: (...xs: Tensor[]) => Tensor, xs: Tensor[], gy: number[]): (number[] | null)[] {
  for (const x of xs) x.grad = null;
  backward(f(...xs), Float64Array.from(gy));
  return xs.map((x) => (x.grad ? Array.from(x.grad) : null));
}

describe('layout ops', () => {
  describe('reshape', () => {
    it('keeps the row-major order, resolves -1 and copies the data', () => {
      const x = iota([2, 3]);
      const y = F.reshape(x, [3, -1]);
      assert.deepEqual(y.shape, [3, 2]);
      assert.deepEqual(Array.from(y.data), [0, 1, 2, 3, 4, 5]);
      assert.notEqual(y.data, x.data);
      x.data[0] = 99;
      assert.equal(y.data[0], 0, 'changing x afterwards does not change y');
      assert.deepEqual(F.reshape(iota([6]), [1, 2, 1, 3]).shape, [1, 2, 1, 3]);
      assert.deepEqual(F.reshape(iota([1]), []).shape, []);
    });
    it('rejects a shape of another size', () => {
      assert.throws(() => F.reshape(iota([2, 3]), [4, 2]), /shape '\[4, 2\]' is invalid for input of size 6/);
    });
    it('gradient is dy reshaped back', () => {
      const [g] = gradOf((x) => F.reshape(x, [3, 2]), [iota([2, 3], true)], [1, 2, 3, 4, 5, 6]);
      assert.deepEqual(g, [1, 2, 3, 4, 5, 6]);
      gradcheck((x) => F.reshape(x, [4, -1]), [rand([2, 3, 4], 1)]);
      gradcheck((x) => F.mul(F.reshape(x, [6, 4]), F.reshape(x, [6, 4])), [rand([2, 3, 4], 2)]);
    });
    it('flatten keeps the batch axis', () => {
      const y = F.flatten(iota([2, 3, 4]), 1);
      assert.deepEqual(y.shape, [2, 12]);
      assert.deepEqual(F.flatten(iota([2, 3, 4, 5]), 1, 2).shape, [2, 12, 5]);
      assert.deepEqual(F.flatten(iota([2, 3, 4]), 0).shape, [24]);
    });
  });

  describe('transpose and permute', () => {
    it('transposes a matrix', () => {
      const y = F.transpose(iota([2, 3]));
      assert.deepEqual(y.shape, [3, 2]);
      assert.deepEqual(Array.from(y.data), [0, 3, 1, 4, 2, 5]);
    });
    it('swaps named axes of a rank-3 tensor, negatives included', () => {
      const x = iota([2, 3, 4]);
      const y = F.transpose(x, 0, -1);
      assert.deepEqual(y.shape, [4, 3, 2]);
      // y[k, j, i] = x[i, j, k] = 12i + 4j + k
      for (let k = 0; k < 4; k++) for (let j = 0; j < 3; j++) for (let i = 0; i < 2; i++) {
        assert.equal(y.data[k * 6 + j * 2 + i], 12 * i + 4 * j + k);
      }
    });
    it('permutes a rank-4 tensor: output axis d is input axis perm[d]', () => {
      const x = iota([2, 3, 4, 5]);
      const y = F.permute(x, [2, 0, 3, 1]);
      assert.deepEqual(y.shape, [4, 2, 5, 3]);
      // y[c, a, d, b] = x[a, b, c, d] = 60a + 20b + 5c + d
      for (let a = 0; a < 2; a++) for (let b = 0; b < 3; b++) for (let c = 0; c < 4; c++) for (let d = 0; d < 5; d++) {
        assert.equal(y.data[((c * 2 + a) * 5 + d) * 3 + b], 60 * a + 20 * b + 5 * c + d);
      }
      assert.deepEqual(Array.from(F.permute(F.permute(x, [2, 0, 3, 1]), [1, 3, 0, 2]).data), Array.from(x.data), 'the inverse permutation undoes it');
      assert.deepEqual(F.permute(x, [-1, 0, 1, 2]).shape, [5, 2, 3, 4]);
    });
    it('rejects something that is not a permutation', () => {
      assert.throws(() => F.permute(iota([2, 3]), [0, 0]), /not a permutation/);
      assert.throws(() => F.permute(iota([2, 3]), [0]), /not a permutation/);
      assert.throws(() => F.permute(iota([2, 3]), [1, 0, 2]), /not a permutation/);
      assert.throws(() => F.permute(iota([2, 3]), [0, 2]), /out of range/);
    });
    it('gradient is dy under the inverse permutation', () => {
      const [g] = gradOf((x) => F.transpose(x), [iota([2, 3], true)], [10, 20, 30, 40, 50, 60]);
      // dy has shape [3, 2]; dy[j, i] goes to x[i, j]
      assert.deepEqual(g, [10, 30, 50, 20, 40, 60]);
      gradcheck((x) => F.transpose(x), [rand([3, 4], 3)]);
      gradcheck((x) => F.transpose(x, 0, 2), [rand([2, 3, 4], 4)]);
      gradcheck((x) => F.permute(x, [2, 0, 3, 1]), [rand([2, 3, 4, 5], 5)]);
      gradcheck((x) => F.permute(x, [3, 2, 1, 0]), [rand([2, 1, 3, 2], 6)]);
    });
  });

  describe('concat', () => {
    it('joins along axis 0, 1 and -1', () => {
      const a = iota([2, 2]);
      const b = tensor([10, 11], [1, 2], 'float64');
      const c = tensor([20, 21, 22, 23], [2, 2], 'float64');
      assert.deepEqual(Array.from(F.concat([a, b]).data), [0, 1, 2, 3, 10, 11]);
      const y = F.concat([a, c], 1);
      assert.deepEqual(y.shape, [2, 4]);
      assert.deepEqual(Array.from(y.data), [0, 1, 20, 21, 2, 3, 22, 23]);
      assert.deepEqual(Array.from(F.concat([a, c, a], -1).data), [0, 1, 20, 21, 0, 1, 2, 3, 22, 23, 2, 3]);
    });
    it('joins rank-3 tensors along the middle axis', () => {
      const a = iota([2, 1, 2]);
      const b = tensor([10, 11, 12, 13, 14, 15, 16, 17], [2, 2, 2], 'float64');
      const y = F.concat([a, b], 1);
      assert.deepEqual(y.shape, [2, 3, 2]);
      assert.deepEqual(Array.from(y.data), [0, 1, 10, 11, 12, 13, 2, 3, 14, 15, 16, 17]);
    });
    it('rejects mismatched shapes, naming them', () => {
      assert.throws(() => F.concat([iota([2, 2]), iota([2, 3])], 0), /\[2, 2\] and \[2, 3\] along axis 0/);
      assert.throws(() => F.concat([iota([2, 2]), iota([4])], 0), /cannot concat/);
    });
    it('gradient splits dy into the inputs; an input without requiresGrad gets none', () => {
      const a = iota([2, 2], true);
      const b = tensor([10, 11, 12, 13], [2, 2], 'float64');
      const [ga, gb] = gradOf((x, y) => F.concat([x, y], 1), [a, b], [1, 2, 3, 4, 5, 6, 7, 8]);
      assert.deepEqual(ga, [1, 2, 5, 6]);
      assert.equal(gb, null);
      gradcheck((x, y, z) => F.concat([x, y, z], 0), [rand([2, 3], 7), rand([1, 3], 8), rand([3, 3], 9)]);
      gradcheck((x, y) => F.concat([x, y], -1), [rand([2, 3, 2], 10), rand([2, 3, 4], 11)]);
      gradcheck((x, y) => F.concat([x, y], 1), [rand([2, 1, 2, 3], 12), rand([2, 3, 2, 3], 13)]);
      gradcheck((x) => F.concat([x, x], 2), [rand([2, 2, 3], 14)]);
    });
  });

  describe('pixel shuffle (torch.pixel_shuffle, pixel_unshuffle)', () => {
    it('moves channel c·r² + i·r + j to pixel (h·r + i, w·r + j) of channel c', () => {
      // [1, 4, 1, 2]: channels 0-3 of a 1×2 image become one 2×4 image.
      const y = F.pixelShuffle(iota([1, 4, 1, 2]), 2);
      assert.deepEqual(y.shape, [1, 1, 2, 4]);
      // x[0, k, 0, w] = 2k + w; out[0, 0, i, 2w + j] = x[0, 2i + j, 0, w]
      assert.deepEqual(Array.from(y.data), [0, 2, 1, 3, 4, 6, 5, 7]);
      assert.deepEqual(F.pixelShuffle(iota([2, 3, 18, 2, 5]), 3).shape, [2, 3, 2, 6, 15]);
      assert.deepEqual(F.pixelShuffle(iota([9, 2, 2]), 3).shape, [1, 6, 6]);
    });
    it('unshuffle is its inverse', () => {
      const x = iota([2, 12, 3, 2]);
      const y = F.pixelShuffle(x, 2);
      assert.deepEqual(y.shape, [2, 3, 6, 4]);
      const back = F.pixelUnshuffle(y, 2);
      assert.deepEqual(back.shape, x.shape);
      assert.deepEqual(Array.from(back.data), Array.from(x.data));
    });
    it("refuses what PyTorch refuses, in PyTorch's words", () => {
      assert.throws(() => F.pixelShuffle(iota([1, 8, 2, 2]), 2.5), /^ShapeError: pixel_shuffle expects a positive upscale_factor, but got 2.5$/);
      assert.throws(() => F.pixelShuffle(iota([1, 8, 2, 2]), 0), /pixel_shuffle expects a positive upscale_factor, but got 0/);
      assert.throws(() => F.pixelShuffle(iota([1, 6, 2, 2]), 2), /input.size\(-3\)=6 is not divisible by 4/);
      assert.throws(() => F.pixelUnshuffle(iota([1, 1, 5, 4]), 2), /pixel_unshuffle expects height to be divisible by downscale_factor, but input.size\(-2\)=5 is not divisible by 2/);
      assert.throws(() => F.pixelUnshuffle(iota([4, 4]), 2), /at least 3 dimensions, but got input with 2 dimension\(s\)/);
    });
    it('gradient is the inverse shuffle of dy', () => {
      const [g] = gradOf((x) => F.pixelShuffle(x, 2), [iota([1, 4, 1, 2], true)], [10, 11, 12, 13, 14, 15, 16, 17]);
      // dy at out[0, 0, i, 2w + j] goes back to x[0, 2i + j, 0, w]
      assert.deepEqual(g, [10, 12, 11, 13, 14, 16, 15, 17]);
      gradcheck((x) => F.pixelShuffle(x, 3), [rand([2, 18, 2, 3], 21)]);
      gradcheck((x) => F.pixelUnshuffle(x, 2), [rand([3, 2, 4, 6], 22)]);
      gradcheck((x) => F.mul(F.pixelShuffle(x, 2), F.pixelShuffle(x, 2)), [rand([2, 1, 8, 2, 3], 23)]);
    });
  });

  describe('reflection padding and nearest upsampling', () => {
    it('reflects without repeating the edge, and repeats each pixel scale times', () => {
      assert.deepEqual(Array.from(F.reflectionPad(iota([1, 1, 4]), [2, 3]).data), [2, 1, 0, 1, 2, 3, 2, 1, 0]);
      const y = F.upsampleNearest(iota([1, 1, 2, 2]), null, [2, 2]);
      assert.deepEqual(y.shape, [1, 1, 4, 4]);
      assert.deepEqual(Array.from(y.data), [0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 3, 3]);
      assert.deepEqual(Array.from(F.upsampleNearest(iota([1, 1, 3]), [7], null).data), [0, 0, 0, 1, 1, 2, 2]);
      assert.throws(() => F.reflectionPad(iota([1, 1, 3]), [3, 0]), /padding \(3, 0\) at dimension 2 of input 3/);
    });
    it('gradient sums dy over every output that read an input', () => {
      const [g] = gradOf((x) => F.reflectionPad(x, [1, 1]), [iota([1, 1, 3], true)], [1, 2, 3, 4, 5]);
      // out = [x1, x0, x1, x2, x1]
      assert.deepEqual(g, [2, 1 + 3 + 5, 4]);
      gradcheck((x) => F.reflectionPad(x, [2, 1, 1, 2]), [rand([2, 2, 3, 4], 31)]);
      gradcheck((x) => F.upsampleNearest(x, null, [2, 3]), [rand([1, 2, 3, 2], 32)]);
      gradcheck((x) => F.upsampleNearest(x, [5], null), [rand([2, 1, 3], 33)]);
    });
  });

  describe('constantPad (F.pad in constant mode)', () => {
    it('pads the last axes, last first, with the value; negative amounts crop', () => {
      const x = tensor([1, 2, 3, 4], [2, 2]);
      assert.deepEqual(Array.from(F.constantPad(x, [1, 0]).data), [0, 1, 2, 0, 3, 4]);
      const both = F.constantPad(x, [0, 1, 1, 0], 9);
      assert.deepEqual(both.shape, [3, 3]);
      assert.deepEqual(Array.from(both.data), [9, 9, 9, 1, 2, 9, 3, 4, 9]);
      assert.deepEqual(Array.from(F.constantPad(x, [-1, 0]).data), [2, 4]);
    });
    it('rejects an odd number of amounts and more pairs than axes', () => {
      assert.throws(() => F.constantPad(tensor([1, 2], [2]), [1]), /divisible by 2/);
      assert.throws(() => F.constantPad(tensor([1, 2], [2]), [1, 1, 1, 1]), /too large/);
    });
    it('gradient is dy with the padding cut away (and zero where cropped)', () => {
      gradcheck((x) => F.constantPad(x, [1, 2, 0, 1], 0.5), [rand([2, 3, 4], 11)]);
      gradcheck((x) => F.constantPad(x, [-1, 1]), [rand([3, 4], 12)]);
    });
  });

  describe('slice', () => {
    it('takes a window per axis, keeping axes not given whole', () => {
      const x = iota([3, 4]);
      const y = F.slice(x, [1, 1], [3, 3]);
      assert.deepEqual(y.shape, [2, 2]);
      assert.deepEqual(Array.from(y.data), [5, 6, 9, 10]);
      assert.deepEqual(Array.from(F.slice(x, [2], [3]).data), [8, 9, 10, 11]);
      assert.deepEqual(F.slice(iota([2, 3, 4, 5]), [0, 1, 1, 2], [2, 3, 3, 5]).shape, [2, 2, 2, 3]);
    });
    it('narrow takes length elements from start along one axis', () => {
      const y = F.narrow(iota([2, 3, 4]), -1, 1, 2);
      assert.deepEqual(y.shape, [2, 3, 2]);
      assert.deepEqual(Array.from(y.data), [1, 2, 5, 6, 9, 10, 13, 14, 17, 18, 21, 22]);
    });
    it('bounds follow Python: negatives count from the end, past-the-end clamps, empty windows are allowed', () => {
      const x = iota([5]);
      assert.deepEqual(Array.from(F.slice(x, [-2], [5]).data), [3, 4]);
      assert.deepEqual(Array.from(F.slice(x, [1], [-1]).data), [1, 2, 3]);
      assert.deepEqual(Array.from(F.slice(x, [3], [100]).data), [3, 4]);
      assert.deepEqual(F.slice(x, [4], [2]).shape, [0]);
      assert.deepEqual(F.slice(x, [7], [9]).shape, [0]);
      assert.deepEqual(F.slice(iota([3, 4]), [0, 2], [3, 2]).shape, [3, 0]);
    });
    it('gradient scatters dy into zeros at the window', () => {
      const [g] = gradOf((x) => F.slice(x, [1, 1], [3, 3]), [iota([3, 4], true)], [1, 2, 3, 4]);
      assert.deepEqual(g, [0, 0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0]);
      const [e] = gradOf((x) => F.slice(x, [2], [2]), [iota([4], true)], []);
      assert.deepEqual(e, [0, 0, 0, 0]);
      gradcheck((x) => F.slice(x, [1], [3]), [rand([5], 15)]);
      gradcheck((x) => F.slice(x, [0, 1, 1], [2, 3, 4]), [rand([2, 3, 4], 16)]);
      gradcheck((x) => F.slice(x, [1, 0, 1, 2], [2, 3, 2, 5]), [rand([2, 3, 2, 5], 17)]);
      gradcheck((x) => F.add(F.narrow(x, 1, 0, 2), F.narrow(x, 1, 1, 2)), [rand([3, 3], 18)]);
    });
  });

  describe('NaN and ±inf are moved, never mixed', () => {
    const special = () => tensor([NaN, Infinity, -Infinity, 1, 2, 3], [2, 3], 'float64', true);
    const same = (a: ArrayLike<number>, b: readonly number[]) => assert.deepEqual(Array.from(a).map(String), b.map(String));
    it('forward keeps each special value at its new place', () => {
      same(F.reshape(special(), [3, 2]).data, [NaN, Infinity, -Infinity, 1, 2, 3]);
      same(F.transpose(special()).data, [NaN, 1, Infinity, 2, -Infinity, 3]);
      same(F.concat([special(), special()], 1).data, [NaN, Infinity, -Infinity, NaN, Infinity, -Infinity, 1, 2, 3, 1, 2, 3]);
      same(F.slice(special(), [0, 1], [2, 2]).data, [Infinity, 2]);
    });
    it('a non-finite upstream gradient reaches only the positions it came from', () => {
      const gy = [NaN, Infinity, 0, 0, 0, 0];
      same(gradOf((x) => F.transpose(x), [special()], gy)[0]!, [NaN, 0, 0, Infinity, 0, 0]);
      same(gradOf((x) => F.reshape(x, [6]), [special()], gy)[0]!, gy);
      same(gradOf((x) => F.slice(x, [0, 0], [2, 1]), [special()], [NaN, 1])[0]!, [NaN, 0, 0, 1, 0, 0]);
      same(gradOf((x, y) => F.concat([x, y], 0), [special(), special()], [...gy, 1, 2, 3, 4, 5, 6]).flatMap((g) => g!), [...gy, 1, 2, 3, 4, 5, 6]);
    });
  });

  it('float32 in gives float32 out', () => {
    const x = tensor([1, 2, 3, 4], [2, 2]);
    assert.ok(F.reshape(x, [4]).data instanceof Float32Array);
    assert.ok(F.transpose(x).data instanceof Float32Array);
    assert.ok(F.concat([x, x]).data instanceof Float32Array);
    assert.ok(F.slice(x, [0], [1]).data instanceof Float32Array);
  });
});
