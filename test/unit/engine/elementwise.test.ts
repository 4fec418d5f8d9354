import assert from 'node:assert/strict';
import * as F from '../../../src/engine';
import { backward, tensor, Tensor } from '../../../src/engine';
import { gradcheck, rand } from '../support/gradcheck';

const binary: [string, (a: Tensor, b: Tensor) => Tensor][] = [
  ['add', F.add],
  ['sub', F.sub],
  ['mul', F.mul],
  ['div', F.div],
];

describe('elementwise ops', () => {
  for (const [name, f] of binary) {
    describe(name, () => {
      it('gradient matches finite differences (same shape)', () => {
        gradcheck(f, [rand([3, 4], 1), rand([3, 4], 2, 0.5, 2)]);
      });
      it('gradient matches finite differences (broadcast bias and column)', () => {
        gradcheck(f, [rand([2, 3, 4], 3), rand([4], 4, 0.5, 2)]);
        gradcheck(f, [rand([3, 1], 5), rand([1, 4], 6, 0.5, 2)]);
        gradcheck(f, [rand([], 7, 0.5, 2), rand([2, 3], 8, 0.5, 2)]);
      });
      it('propagates NaN and ±inf like IEEE arithmetic', () => {
        const a = tensor([NaN, Infinity, -Infinity, 1], [4], 'float64');
        const b = tensor([1, 1, 1, Infinity], [4], 'float64');
        const out = f(a, b).data;
        assert.ok(Number.isNaN(out[0]));
        const expected = [NaN, Infinity, -Infinity, 1].map((v, i) =>
          name === 'add' ? v + [1, 1, 1, Infinity][i] : name === 'sub' ? v - [1, 1, 1, Infinity][i] : name === 'mul' ? v * [1, 1, 1, Infinity][i] : v / [1, 1, 1, Infinity][i],
        );
        assert.deepEqual(Array.from(out), expected);
      });
    });
  }

  it('rejects shapes that cannot broadcast in PyTorch 1.13\'s words', () => {
    assert.throws(() => F.add(rand([2, 3]), rand([4])), /^ShapeError: The size of tensor a \(3\) must match the size of tensor b \(4\) at non-singleton dimension 1$/);
  });

  const unary: [string, (x: Tensor) => Tensor, number, number][] = [
    ['neg', F.neg, -2, 2],
    ['exp', F.exp, -2, 2],
    ['log', F.log, 0.1, 3],
    ['sqrt', F.sqrt, 0.1, 3],
    ['abs', F.abs, -2, 2],
    ['scale', (x) => F.scale(x, -2.5), -2, 2],
    ['pow 3', (x) => F.pow(x, 3), -2, 2],
    ['pow 0.5', (x) => F.pow(x, 0.5), 0.1, 2],
    ['pow -2', (x) => F.pow(x, -2), 0.5, 2],
    ['clamp', (x) => F.clamp(x, -0.5, 0.5), -2, 2],
    ['clamp min only', (x) => F.clamp(x, 0, null), -2, 2],
  ];
  for (const [name, f, lo, hi] of unary) {
    it(`${name}: gradient matches finite differences`, () => gradcheck(f, [rand([4, 5], 11, lo, hi)]));
  }

  it('exp overflows to +inf and log of 0 is -inf, with the gradients IEEE gives', () => {
    const x = tensor([1000, -1000, 0], [3], 'float64', true);
    const y = F.exp(x);
    assert.deepEqual(Array.from(y.data), [Infinity, 0, 1]);
    backward(y);
    assert.deepEqual(Array.from(x.grad!), [Infinity, 0, 1]);
    const z = tensor([0, -1, Infinity], [3], 'float64', true);
    const l = F.log(z);
    assert.equal(l.data[0], -Infinity);
    assert.ok(Number.isNaN(l.data[1]));
    assert.equal(l.data[2], Infinity);
  });

  it('abs and clamp pass NaN through', () => {
    const x = tensor([NaN, 2], [2], 'float64', true);
    assert.ok(Number.isNaN(F.abs(x).data[0]));
    assert.ok(Number.isNaN(F.clamp(x, -1, 1).data[0]));
    assert.equal(F.clamp(x, -1, 1).data[1], 1);
  });

  it('float32 inputs give float32 outputs', () => {
    const a = tensor([1, 2], [2]);
    assert.ok(F.mul(a, a).data instanceof Float32Array);
  });
});
