import assert from 'node:assert/strict';
import * as F from '../../../src/engine';
import { backward, Rng, tensor } from '../../../src/engine';
import { gradcheck, rand } from '../support/gradcheck';

describe('embedding', () => {
  const indices = tensor([1, 3, 1, 0, 3, 3], [2, 3], 'float64');

  it('gradient matches finite differences, repeated indices included', () => {
    gradcheck((w) => F.embedding(indices, w), [rand([4, 5], 1)]);
  });

  it('looks rows up into shape [...indices, dim]', () => {
    const w = tensor([0, 1, 10, 11, 20, 21], [3, 2], 'float64');
    const y = F.embedding(tensor([2, 0, 2], [3], 'float64'), w);
    assert.deepEqual(y.shape, [3, 2]);
    assert.deepEqual(Array.from(y.data), [20, 21, 0, 1, 20, 21]);
  });

  it('scatter-adds the gradient of repeated indices and gives none to padding_idx (negative counts from the end)', () => {
    for (const paddingIdx of [3, -1]) {
      const w = rand([4, 2], 2);
      const y = F.embedding(indices, w, paddingIdx);
      // The padding row is still looked up in the forward; only its gradient is dropped.
      assert.equal(y.data[2], w.data[6]);
      const gy = new Float64Array(12).map((_, i) => i + 1);
      backward(y, gy);
      // Row 1 is read at positions 0 and 2, row 0 at position 3, row 3 (padding) at 1, 4, 5.
      assert.deepEqual(Array.from(w.grad!), [7, 8, 1 + 5, 2 + 6, 0, 0, 0, 0]);
    }
  });

  it('refuses an out-of-range or non-integer index, naming it and the table size', () => {
    const w = rand([4, 2], 3);
    assert.throws(() => F.embedding(tensor([0, 4], [2]), w), /index 4 is out of range for a table of 4 rows/);
    assert.throws(() => F.embedding(tensor([-1], [1]), w), /index -1 is out of range for a table of 4 rows/);
    assert.throws(() => F.embedding(tensor([NaN], [1]), w), /index NaN is out of range/);
    assert.throws(() => F.embedding(tensor([1.5], [1]), w), /index 1.5/);
    assert.throws(() => F.embedding(tensor([0], [1]), w, 4), /padding_idx 4/);
  });

  it('passes NaN and inf in the table through to the rows that read them', () => {
    const w = tensor([NaN, 1, Infinity, 2], [2, 2], 'float64');
    const y = F.embedding(tensor([1, 0], [2]), w).data;
    assert.equal(y[0], Infinity);
    assert.ok(Number.isNaN(y[2]));
  });
});

describe('dropout', () => {
  it('gradient matches finite differences with a fixed mask', () => {
    gradcheck((x) => F.dropout(x, 0.3, true, new Rng(5)), [rand([4, 6], 1)]);
  });

  it('keeps each unit with probability 1-p and scales it by 1/(1-p); the backward reuses the mask', () => {
    const x = F.full([20000], 2, 'float64');
    x.requiresGrad = true;
    const y = F.dropout(x, 0.25, true, new Rng(11));
    const kept = y.data.filter((v) => v !== 0);
    assert.ok(kept.every((v) => Math.abs(v - 2 / 0.75) < 1e-15));
    assert.ok(Math.abs(kept.length / 20000 - 0.75) < 0.015, `kept ${kept.length}`);
    backward(y);
    for (let i = 0; i < 20000; i++) assert.equal(x.grad![i], y.data[i] === 0 ? 0 : 1 / 0.75);
  });

  it('the same seed gives the same mask', () => {
    const x = rand([50], 2);
    assert.deepEqual(F.dropout(x, 0.5, true, new Rng(3)).data, F.dropout(x, 0.5, true, new Rng(3)).data);
  });

  it('is the identity when p = 0 or not training, and gives zeros when p = 1', () => {
    const x = rand([3, 4], 3);
    const rng = new Rng(1);
    assert.deepEqual(F.dropout(x, 0, true, rng).data, x.data);
    assert.deepEqual(F.dropout(x, 0.9, false, rng).data, x.data);
    assert.notEqual(F.dropout(x, 0, true, rng).data, x.data, 'the output owns its values');
    const z = F.dropout(x, 1, true, rng);
    assert.ok(z.data.every((v) => v === 0));
    backward(z);
    assert.ok(x.grad!.every((v) => v === 0));
    const eval_ = F.dropout(x, 0.5, false, rng);
    x.grad = null;
    backward(eval_);
    assert.ok(x.grad!.every((v) => v === 1));
  });

  it('a dropped NaN stays NaN (NaN·0, as PyTorch multiplies by the mask)', () => {
    const x = tensor(new Array(40).fill(NaN), [40], 'float64');
    assert.ok(F.dropout(x, 0.5, true, new Rng(4)).data.every(Number.isNaN));
    assert.ok(F.dropout(x, 1, true, new Rng(4)).data.every(Number.isNaN));
  });

  it('refuses p outside [0, 1]', () => {
    assert.throws(() => F.dropout(rand([2]), 1.5, true, new Rng(1)), /between 0 and 1, but got 1.5/);
    assert.throws(() => F.dropout(rand([2]), -0.1, true, new Rng(1)), /between 0 and 1/);
  });
});
