/**
 * The tensor API's ops: float64 finite-difference gradient checks of each, and what NaN and ±inf
 * give (the values PyTorch gives; the op parity suite checks the same against torch itself).
 */
import assert from 'node:assert/strict';
import * as F from '../../../src/engine';
import { backward, Tensor } from '../../../src/engine';
import { gradcheck, rand } from '../support/gradcheck';

const t64 = (values: number[], shape = [values.length], grad = false): Tensor => F.tensor(values, shape, 'float64', grad);
const values = (t: Tensor): number[] => Array.from(t.data);
const gradOf = (f: (x: Tensor) => Tensor, x: Tensor): number[] => {
  x.grad = null;
  backward(F.sum(f(x)));
  return Array.from(x.grad!);
};

describe('tensor ops: gradients by finite differences (float64)', () => {
  it('unary math: sin, cos, log1p, expm1, rsqrt, sqrt', () => {
    gradcheck(F.sin, [rand([3, 4], 1)]);
    gradcheck(F.cos, [rand([3, 4], 2)]);
    gradcheck(F.log1p, [rand([3, 4], 3, -0.5, 2)]);
    gradcheck(F.expm1, [rand([3, 4], 4)]);
    gradcheck(F.rsqrt, [rand([3, 4], 5, 0.2, 3)]);
    gradcheck(F.sqrt, [rand([5], 6, 0.2, 3)]);
  });
  it('binary math with broadcasting: pow of two tensors, a number base, minimum, maximum, remainder', () => {
    gradcheck((a, b) => F.pow(a, b), [rand([2, 3], 7, 0.5, 2), rand([3], 8)]);
    gradcheck((b) => F.pow(3, b), [rand([4], 9)]);
    gradcheck((a, b) => F.maximum(a, b), [rand([2, 3], 10), rand([3], 11)]);
    gradcheck((a, b) => F.minimum(a, b), [rand([2, 3], 12), rand([2, 1], 13)]);
    gradcheck((a, b) => F.remainder(a, b), [rand([5], 14, 0.1, 3), rand([5], 15, 0.7, 1.3)]);
    gradcheck((a, b) => F.div(a, b), [rand([2, 3], 16), rand([3], 17, 0.5, 2)]);
    gradcheck((a) => F.sub(a, 1.5, 2), [rand([3], 18)]);
  });
  it('where, masked_fill, tril/triu', () => {
    const c = F.gt(rand([3, 4], 19, -1, 1, false), 0);
    gradcheck((a, b) => F.where(c, a, b), [rand([3, 4], 20), rand([4], 21)]);
    gradcheck((a) => F.maskedFill(a, c, 3), [rand([3, 4], 22)]);
    gradcheck((a) => F.tril(a, 1), [rand([2, 3, 3], 23)]);
    gradcheck((a) => F.triu(a, -1), [rand([3, 4], 24)]);
  });
  it('reductions: min, amax over two axes, var and std with a correction, logsumexp, cumsum', () => {
    gradcheck((a) => F.min(a, 1), [rand([3, 4], 25)]);
    gradcheck((a) => F.amax(a, [0, 2]), [rand([2, 3, 4], 26)]);
    gradcheck((a) => F.variance(a, 1), [rand([3, 5], 27)]);
    gradcheck((a) => F.variance(a, null, 0), [rand([3, 5], 28)]);
    gradcheck((a) => F.std(a, 0, 1, true), [rand([4, 3], 29)]);
    gradcheck((a) => F.logsumexp(a, 1), [rand([3, 4], 30)]);
    gradcheck((a) => F.logsumexp(a, [0, 1], true), [rand([3, 4], 31)]);
    gradcheck((a) => F.cumsum(a, 1), [rand([3, 4], 32)]);
    gradcheck((a) => F.cumsum(a, 0), [rand([3, 4], 33)]);
  });
  it('views: view, reshape of a transpose, unsqueeze/squeeze, expand, select, narrow, slices with steps', () => {
    gradcheck((a) => F.view(a, [4, -1]), [rand([2, 6], 34)]);
    gradcheck((a) => F.reshape(F.t(a), [-1]), [rand([2, 3], 35)]);
    gradcheck((a) => F.squeeze(F.unsqueeze(a, 1), 1), [rand([3, 2], 36)]);
    gradcheck((a) => F.mul(F.expand(a, [2, 3, 4]), F.expand(a, [2, 3, 4])), [rand([3, 1], 37)]);
    gradcheck((a) => F.select(a, 1, -1), [rand([3, 4], 38)]);
    gradcheck((a) => F.narrow(a, 0, 1, 2), [rand([4, 2], 39)]);
    gradcheck((a) => F.getItem(a, [{ start: 1 }, { step: 2 }]), [rand([4, 5], 40)]);
  });
  it('joining and splitting: cat, stack, split, chunk, unbind', () => {
    gradcheck((a, b) => F.cat([a, b], 1), [rand([2, 3], 41), rand([2, 2], 42)]);
    gradcheck((a, b) => F.stack([a, b], -1), [rand([2, 3], 43), rand([2, 3], 44)]);
    gradcheck((a) => F.mul(F.split(a, 2)[1], F.chunk(a, 3)[0]), [rand([6, 2], 45)]);
    gradcheck((a) => F.add(F.unbind(a, 1)[0], F.unbind(a, 1)[2]), [rand([2, 3], 46)]);
  });
  it('copies by position: flip, roll, repeat, gather with repeats, index_select, advanced and mask indexing', () => {
    const idx = F.tensor([2, 0, 2, 1], [2, 2], 'int64');
    gradcheck((a) => F.flip(a, [0, 1]), [rand([2, 3], 47)]);
    gradcheck((a) => F.roll(a, [1, -1], [0, 1]), [rand([3, 4], 48)]);
    gradcheck((a) => F.repeat(a, [2, 1, 3]), [rand([2, 2], 49)]);
    gradcheck((a) => F.gather(a, 1, idx), [rand([2, 3], 50)]);
    gradcheck((a) => F.indexSelect(a, 0, F.tensor([1, 1, 0], [3], 'int64')), [rand([2, 3], 51)]);
    gradcheck((a) => F.getItem(a, [F.ALL, idx]), [rand([2, 3], 52)]);
    gradcheck((a) => F.getItem(a, [F.gt(a, 0)]), [rand([3, 3], 53)]);
  });
  it('matrix products: bmm and broadcast batched matmul', () => {
    gradcheck((a, b) => F.bmm(a, b), [rand([2, 3, 4], 54), rand([2, 4, 2], 55)]);
    gradcheck((a, b) => F.matmul(a, b), [rand([2, 1, 2, 3], 56), rand([3, 3, 2], 57)]);
  });
  it('in place: item assignment, add_, mul_ by a tensor, relu_, writes through views', () => {
    gradcheck((x, w) => F.setItem(F.mul(x, 1), [F.ALL, { start: 0, step: 2 }], F.mul(w, 2)), [rand([3, 4], 58), rand([2], 59)]);
    gradcheck((x, w) => F.add_(F.mul(x, 1), w), [rand([2, 3], 60), rand([3], 61)]);
    gradcheck((x, w) => F.mul_(F.mul(x, 1), w), [rand([2, 3], 62), rand([2, 3], 63)]);
    gradcheck((x) => F.relu_(F.mul(x, 2)), [rand([3, 3], 64)]);
    gradcheck(
      (x, w) => {
        const y = F.mul(x, 1);
        F.mul_(F.getItem(y, [1]), w);
        return y;
      },
      [rand([3, 2], 65), rand([2], 66)],
    );
    gradcheck(
      (x, w) => {
        const y = F.mul(x, 1);
        F.setItem(F.getItem(y, [0]), [1], F.sum(w));
        return F.mul(y, y);
      },
      [rand([2, 3], 67), rand([2], 68)],
    );
    gradcheck((x, v) => F.indexPut_(F.mul(x, 1), [F.tensor([0, 2, 0], [3], 'int64')], v, true), [rand([4], 69), rand([3], 70)]);
  });
});

describe('tensor ops: NaN and ±inf', () => {
  const nanInf = [NaN, Infinity, -Infinity, 0];
  it('unary math gives PyTorch values at NaN, ±inf and the poles', () => {
    assert.deepEqual(values(F.sin(t64(nanInf))), [NaN, NaN, NaN, 0]);
    assert.deepEqual(values(F.cos(t64(nanInf))), [NaN, NaN, NaN, 1]);
    assert.deepEqual(values(F.log1p(t64([NaN, Infinity, -1, -2]))), [NaN, Infinity, -Infinity, NaN]);
    assert.deepEqual(values(F.expm1(t64(nanInf))), [NaN, Infinity, -1, 0]);
    assert.deepEqual(values(F.rsqrt(t64([NaN, Infinity, 0, -1]))), [NaN, 0, Infinity, NaN]);
    assert.deepEqual(values(F.sign(t64(nanInf))), [0, 1, -1, 0]);
  });
  it('gradients at the poles are the limits PyTorch gives', () => {
    assert.deepEqual(gradOf(F.rsqrt, t64([0], [1], true)), [-Infinity]);
    assert.deepEqual(gradOf(F.log1p, t64([-1], [1], true)), [Infinity]);
    assert.deepEqual(gradOf(F.abs, t64([NaN, 0], [2], true)), [0, 0]);
    assert.deepEqual(gradOf(F.expm1, t64([-Infinity], [1], true)), [0]);
  });
  it('minimum and maximum propagate NaN and give both sides the gradient there', () => {
    const a = t64([NaN, 1, 2], [3], true);
    const b = t64([0, 1, Infinity], [3], true);
    const y = F.maximum(a, b);
    assert.deepEqual(values(y), [NaN, 1, Infinity]);
    backward(F.sum(y));
    assert.deepEqual(Array.from(a.grad!), [1, 0.5, 0]);
    assert.deepEqual(Array.from(b.grad!), [1, 0.5, 1]);
  });
  it('where and masked_fill pass NaN and inf from the side they pick, and none to the side they do not', () => {
    const x = t64([NaN, Infinity, 1], [3], true);
    const y = F.maskedFill(x, F.fromNested([true, false, false]), -Infinity);
    assert.deepEqual(values(y), [-Infinity, Infinity, 1]);
    backward(F.sum(y));
    assert.deepEqual(Array.from(x.grad!), [0, 1, 1], 'the filled position gets exactly 0, NaN or not');
  });
  it('reductions: max picks NaN, var of inf is NaN, logsumexp of ±inf, cumsum carries inf', () => {
    assert.deepEqual(values(F.max(t64([1, NaN, 3]))), [NaN]);
    assert.deepEqual(values(F.min(t64([1, -Infinity, 3]))), [-Infinity]);
    assert.deepEqual(values(F.argmax(t64([1, NaN, 3, NaN]))), [1]);
    assert.deepEqual(values(F.variance(t64([1, Infinity, 3]))), [NaN]);
    assert.deepEqual(values(F.logsumexp(t64([-Infinity, -Infinity, 0, Infinity], [2, 2]), 1)), [-Infinity, Infinity]);
    assert.deepEqual(values(F.cumsum(t64([1, Infinity, -Infinity, 2]), 0)), [1, Infinity, NaN, NaN]);
  });
  it('indexing copies NaN and inf, and assignment writes them', () => {
    const x = t64([NaN, Infinity, -Infinity, 5], [2, 2]);
    assert.deepEqual(values(F.getItem(x, [F.ALL, 0])), [NaN, -Infinity]);
    const y = F.clone(x);
    F.setItem(y, [1], NaN);
    assert.deepEqual(values(y), [NaN, Infinity, NaN, NaN]);
  });
  it('casts: NaN is true as a bool, a float → int64 cast truncates toward zero', () => {
    assert.deepEqual(values(F.bool(t64([NaN, 0, -0.5]))), [1, 0, 1]);
    assert.deepEqual(values(F.long(t64([2.9, -2.9, 0.5]))), [2, -2, 0]);
  });
});

describe('tensor ops: dtypes', () => {
  it('integer and bool tensors are first-class: promotion, sums, indices', () => {
    const i = F.tensor([1, 2, 3], [3], 'int64');
    assert.equal(F.add(i, 1).dtype, 'int64');
    assert.equal(F.add(i, 1.5).dtype, 'float32');
    assert.equal(F.div(i, 2).dtype, 'float32');
    assert.equal(F.mul(i, F.tensor([0.5], [1], 'float64')).dtype, 'float64');
    assert.equal(F.sum(F.gt(i, 1)).dtype, 'int64');
    assert.equal(F.argmax(i).dtype, 'int64');
    assert.equal(F.gt(i, 1).dtype, 'bool');
    assert.throws(() => F.requireGrad(i), /only Tensors of floating point dtype can require gradients/);
  });
  it('argmax cuts the gradient, and the instrument records where', () => {
    const w = t64([1, 2, 3], [3], true);
    const idx = F.argmax(w);
    assert.equal(idx.requiresGrad, false);
    assert.equal(idx.node, null);
  });
});

describe('in place: PyTorch autograd semantics', () => {
  it('a gradient recorded before an in-place change still reaches the earlier value', () => {
    const w = t64([1, 2, 3], [3], true);
    const a = F.mul(w, 2);
    const b = F.add(a, 1);
    F.setItem(a, [0], 0);
    backward(F.sum(F.add(b, a)));
    assert.deepEqual(Array.from(w.grad!), [2, 4, 4]);
  });
  it('bumps the version of the tensor and of its views', () => {
    const y = F.mul(t64([1, 2, 3], [3], true), 1);
    const v = F.view(y, [3, 1]);
    assert.equal(y.version, 0);
    F.add_(y, 1);
    assert.equal(y.version, 1);
    assert.equal(v.version, 1);
    assert.deepEqual(values(v), [2, 3, 4], 'the view re-reads its base');
  });
  it('refuses a backward through a saved tensor that changed, naming the op and the versions', () => {
    const w = t64([1, 2, 3], [3], true);
    const y = F.sigmoid(w);
    F.add_(y, 1);
    assert.throws(() => backward(F.sum(y)), /modified by an inplace operation: \[torch\.DoubleTensor \[3\]\], which is the output of sigmoid, is at version 1; expected version 0/);
  });
  it('no_grad in-place writes to a leaf are allowed (as an optimiser does)', () => {
    const w = t64([1, 2], [2], true);
    F.noGrad(() => F.mul_(w, 2));
    assert.deepEqual(values(w), [2, 4]);
    assert.equal(w.node, null);
    assert.equal(w.requiresGrad, true);
  });
});
