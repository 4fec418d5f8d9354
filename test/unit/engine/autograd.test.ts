import assert from 'node:assert/strict';
import * as F from '../../../src/engine';
import { backward, Instrument, noGrad, setInstrument, setMemoryLimit, tensor, TensorMemoryError, withLayer } from '../../../src/engine';

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
});
