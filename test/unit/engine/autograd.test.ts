import assert from 'node:assert/strict';
import * as F from '../../../src/engine';
import { backward, InplaceModificationError, Instrument, noGrad, requireGrad, setInstrument, setMemoryLimit, tensor, TensorMemoryError, topologicalOrder, withLayer } from '../../../src/engine';

describe('autograd', () => {
  it('walks a graph 10,000 ops deep without recursion', () => {
    const x = tensor([0.5], [1], 'float64', true);
    let y = x;
    for (let i = 0; i < 10_000; i++) y = F.scale(y, 1.0001);
    backward(y);
    assert.ok(Math.abs(x.grad![0] - Math.pow(1.0001, 10_000)) < 1e-6);
  });

  it('sums gradients of a tensor used twice (x·x)', () => {
    const x = tensor([3, -2], [2], 'float64', true);
    backward(F.mul(x, x));
    assert.deepEqual(Array.from(x.grad!), [6, -4]);
  });

  it('accumulates into leaves across backward calls, as PyTorch', () => {
    const x = tensor([1, 2], [2], 'float64', true);
    backward(F.scale(x, 2));
    backward(F.scale(x, 2));
    assert.deepEqual(Array.from(x.grad!), [4, 4]);
  });

  it('records nothing under noGrad and for inputs that need no gradient', () => {
    const x = tensor([1], [1], 'float64', true);
    assert.equal(noGrad(() => F.exp(x)).node, null);
    assert.equal(F.exp(tensor([1], [1])).node, null);
    assert.notEqual(F.exp(x).node, null);
  });

  it('attributes ops to the running layer and finds the first op that made a non-finite value', () => {
    const inst = new Instrument();
    setInstrument(inst);
    try {
      const x = tensor([800, 1], [2], 'float32', true);
      const y = withLayer('2', () => F.exp(x));
      withLayer('3', () => F.log(y));
      assert.deepEqual(inst.outputs.map((o) => o.layer), ['2', '3']);
      assert.equal(inst.firstNonFinite?.op, 'exp');
      assert.equal(inst.firstNonFinite?.layer, '2');
      assert.equal(inst.firstNonFinite?.phase, 'forward');
      assert.equal(inst.firstNonFinite?.inputMaxAbs, 800);
    } finally {
      setInstrument(null);
    }
  });

  it("an Inf the user's own number brings in (a causal mask's ones * float('-inf')) is not an op's overflow", () => {
    const inst = new Instrument();
    setInstrument(inst);
    try {
      const mask = withLayer('root', () => F.triu(F.mul(F.full([3, 3], 1, 'float32'), -Infinity), 1));
      assert.equal(mask.data[1], -Infinity);
      assert.equal(inst.firstNonFinite === null, true);
      withLayer('root', () => F.mul(tensor([1e38, 1], [2], 'float32'), 1e3));
      assert.equal(inst.firstNonFinite?.op, 'scale');
    } finally {
      setInstrument(null);
    }
  });

  it('finds a non-finite value first produced in the backward pass', () => {
    const inst = new Instrument();
    setInstrument(inst);
    try {
      const x = tensor([0, 4], [2], 'float64', true);
      const y = withLayer('root', () => F.sqrt(x)); // forward finite; d√x at 0 is inf
      backward(y);
      assert.equal(inst.firstNonFinite?.phase, 'backward');
      assert.equal(inst.firstNonFinite?.op, 'sqrt');
      assert.equal(inst.firstNonFinite?.layer, 'root');
    } finally {
      setInstrument(null);
    }
  });

  it('orders a shared graph with each tensor once, after everything it depends on, in the order the gradient sums follow', () => {
    const x = tensor([0.5, -1.5], [2], 'float64', true);
    const a = F.exp(x);
    const b = F.mul(a, x);
    const c = F.add(b, a);
    // The walk's order fixes the order contributions are summed in, so float64 results stay bit for bit.
    assert.deepEqual(topologicalOrder(c), [x, a, b, c]);
    backward(c);
    // d/dx (e^x·x + e^x) = e^x·(x + 2)
    assert.deepEqual(Array.from(x.grad!), [0.5, -1.5].map((v) => Math.exp(v) + (1 + v) * Math.exp(v)));
  });

  it('gives no gradient to a leaf that stopped requiring one after the op ran, as PyTorch (AccumulateGrad skips it)', () => {
    const x = tensor([1, 2], [2], 'float64', true);
    const w = tensor([3, 4], [2], 'float64', true);
    const y = F.sum(F.mul(x, w));
    requireGrad(w, false);
    backward(y);
    assert.deepEqual(Array.from(x.grad!), [3, 4]);
    assert.equal(w.grad, null);
  });

  it('casts a seed gradient to the output dtype, as PyTorch', () => {
    const a = tensor([1, 2], [2], 'float32', true);
    backward(F.scale(a, 2), Float64Array.of(0.1, 0.2));
    assert.ok(a.grad instanceof Float32Array);
    assert.deepEqual(Array.from(a.grad), [Math.fround(Math.fround(0.1) * 2), Math.fround(Math.fround(0.2) * 2)]);
  });

  it('a backward that fails midway leaves no gradient in flight for the next one', () => {
    const x = tensor([1, 2], [2], 'float64', true);
    const h = F.scale(x, 1);
    const e = F.exp(h);
    const root = F.add(F.sum(F.scale(h, 2)), F.sum(e));
    F.add_(e, 1); // exp's backward reads its output: the walk stops there, after h got its first contribution
    assert.throws(() => backward(root), InplaceModificationError);
    assert.equal(x.grad, null);
    backward(F.sum(F.scale(h, 3)));
    assert.deepEqual(Array.from(x.grad!), [3, 3]);
  });

  it('stops with a clear error naming the layer when the tensor-memory cap is exceeded', () => {
    setMemoryLimit(1000);
    try {
      const x = tensor(new Array(100).fill(1), [10, 10]);
      F.exp(x); // 400 bytes
      assert.throws(
        () => withLayer('fc1', () => F.exp(F.exp(x))),
        (e: unknown) => e instanceof TensorMemoryError && /layer fc1/.test(e.message) && /\[10, 10\]/.test(e.message),
      );
    } finally {
      setMemoryLimit(Infinity);
    }
  });

  it("records on each op's tape node which inputs required a gradient and their versions then, whatever the pattern", () => {
    // The dispatcher shares these arrays between nodes with the same answer: each node must still read its own.
    for (let mask = 1; mask < 8; mask++) {
      const needs = [0, 1, 2].map((k) => (mask & (1 << k)) !== 0);
      const x = tensor([1, 2], [1, 2], 'float64', needs[0]);
      const w = tensor([1, 2, 3, 4], [2, 2], 'float64', needs[1]);
      const b = tensor([1, 2], [2], 'float64', needs[2]);
      assert.deepEqual(F.linear(x, w, b).node!.needs, needs, `linear, mask ${mask}`);
      if (mask < 4) assert.deepEqual(F.mul(x, tensor([3, 4], [1, 2], 'float64', needs[1])).node!.needs, [needs[0], needs[1]], `mul, mask ${mask}`);
    }
    // Versions: an input written in place before the op is recorded at its version then.
    const x = tensor([1, 2], [2], 'float64');
    F.add_(x, 1);
    F.add_(x, 1);
    const w = tensor([1, 2, 3, 4], [2, 2], 'float64', true);
    const y = F.linear(x, w);
    assert.deepEqual(y.node!.versions, [2, 0]);
    assert.deepEqual(F.linear(tensor([1, 2], [2], 'float64'), w).node!.versions, [0, 0]);
  });
});

