import assert from 'node:assert/strict';
import * as F from '../../../src/engine';
import { backward, Instrument, noGrad, setInstrument, tensor, Tensor } from '../../../src/engine';
import { sigmoidGradKernel } from '../../../src/engine/kernels/elementwise';
import { OPS } from '../../../src/engine/ops';
import { erf, GELU_PEAK } from '../../../src/engine/ops/activation';
import type { ActivationShape } from '../../../src/engine/ops/types';
import { gradcheck, rand } from '../support/gradcheck';

/** |a − b| within rtol·max(|a|, |b|) + atol, with NaN only equal to NaN and infinities exactly equal. */
function close(actual: number, expected: number, rtol = 1e-12, atol = 1e-300): boolean {
  if (Number.isNaN(expected)) return Number.isNaN(actual);
  if (!Number.isFinite(expected)) return actual === expected;
  return Math.abs(actual - expected) <= atol + rtol * Math.max(Math.abs(actual), Math.abs(expected));
}

function assertClose(actual: ArrayLike<number>, expected: readonly number[], rtol = 1e-12, atol = 1e-300, what = ''): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(close(actual[i], expected[i], rtol, atol), `${what}[${i}]: got ${actual[i]}, expected ${expected[i]}`);
  }
}

/** Output and input gradient (for dy = 1) of f at the given float64 values. */
function valueAndGrad(f: (x: Tensor) => Tensor, values: readonly number[]): { y: number[]; g: number[] } {
  const x = tensor(values, [values.length], 'float64', true);
  const y = f(x);
  backward(y, new Float64Array(y.size).fill(1));
  return { y: Array.from(y.data), g: Array.from(x.grad!) };
}

type Elementwise = 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'elu' | 'gelu' | 'softplus';

/** Each elementwise activation through the public API at PyTorch's default arguments. */
const defaults: [Elementwise, (x: Tensor) => Tensor][] = [
  ['sigmoid', F.sigmoid],
  ['tanh', F.tanh],
  ['relu', F.relu],
  ['leaky_relu', (x) => F.leakyRelu(x)],
  ['elu', (x) => F.elu(x)],
  ['gelu', (x) => F.gelu(x)],
  ['softplus', (x) => F.softplus(x)],
];

/** PyTorch's default attributes of each elementwise activation. */
const DEFAULT_ATTRS: Record<Elementwise, unknown> = {
  sigmoid: {},
  tanh: {},
  relu: {},
  leaky_relu: { negativeSlope: 0.01 },
  elu: { alpha: 1 },
  gelu: { approximate: 'none' },
  softplus: { beta: 1, threshold: 20 },
};

function shapeOf(kind: Elementwise, attrs: unknown = DEFAULT_ATTRS[kind]): ActivationShape {
  return (OPS[kind].activation as (a: unknown) => ActivationShape)(attrs);
}

describe('activation ops', () => {
  describe('erf', () => {
    it('matches known values to 1e-15 relative in every branch of the approximation', () => {
      // Python's math.erf (the C library's), which is correctly rounded to within an ulp
      const known: [number, number][] = [
        [1e-10, 1.1283791670955126e-10],
        [0.2, 0.22270258921047847],
        [0.5, 0.5204998778130465],
        [0.9, 0.7969082124228322],
        [1, 0.8427007929497149],
        [1.2, 0.9103139782296353],
        [2, 0.9953222650189527],
        [2.5, 0.999593047982555],
        [3.5, 0.9999992569016276],
        [4.5, 0.9999999998033839],
        [5.9, 0.9999999999999999],
        [6.1, 1],
      ];
      for (const [x, e] of known) {
        assert.ok(close(erf(x), e, 1e-15), `erf(${x}) = ${erf(x)}, expected ${e}`);
        assert.ok(close(erf(-x), -e, 1e-15), `erf(${-x}) = ${erf(-x)}, expected ${-e}`);
      }
    });
    it('is exactly 0 at 0, ±1 at ±inf and NaN at NaN', () => {
      assert.equal(erf(0), 0);
      assert.equal(erf(Infinity), 1);
      assert.equal(erf(-Infinity), -1);
      assert.ok(Number.isNaN(erf(NaN)));
    });
    it('is odd and increasing across the branch boundaries', () => {
      let prev = -1;
      for (let x = -7; x <= 7; x += 0.001) {
        const v = erf(x);
        assert.equal(erf(-x), -v);
        assert.ok(v >= prev, `erf not monotone at ${x}`);
        prev = v;
      }
    });
  });

  describe('forward values against PyTorch 1.13 (float64)', () => {
    const xs = [-3, -1, -0.5, 0, 0.5, 1, 3];
    const cases: [string, (x: Tensor) => Tensor, number[], number[]][] = [
      ['sigmoid', F.sigmoid,
        [0.04742587317756678, 0.2689414213699951, 0.3775406687981454, 0.5, 0.6224593312018546, 0.7310585786300049, 0.9525741268224334],
        [0.04517665973091214, 0.19661193324148185, 0.2350037122015945, 0.25, 0.2350037122015945, 0.19661193324148185, 0.045176659730912]],
      ['tanh', F.tanh,
        [-0.9950547536867305, -0.7615941559557649, -0.46211715726000974, 0, 0.46211715726000974, 0.7615941559557649, 0.9950547536867305],
        [0.009866037165440166, 0.41997434161402614, 0.7864477329659274, 1, 0.7864477329659274, 0.41997434161402614, 0.009866037165440166]],
      ['relu', F.relu, [0, 0, 0, 0, 0.5, 1, 3], [0, 0, 0, 0, 1, 1, 1]],
      ['leaky_relu 0.2', (x) => F.leakyRelu(x, 0.2), [-0.6000000000000001, -0.2, -0.1, 0, 0.5, 1, 3], [0.2, 0.2, 0.2, 0.2, 1, 1, 1]],
      ['elu 1.5', (x) => F.elu(x, 1.5),
        [-1.4253193974482041, -0.9481808382428365, -0.5902040104310499, 0, 0.5, 1, 3],
        [0.07468060255179591, 0.5518191617571635, 0.9097959895689501, 1.5, 1, 1, 1]],
      ['gelu', (x) => F.gelu(x),
        [-0.00404969409489031, -0.15865525393145702, -0.15426876936299344, 0, 0.34573123063700656, 0.841344746068543, 2.99595030590511],
        [-0.01194564720418392, -0.08331547058768635, 0.13250487534383712, 0.5, 0.8674951246561629, 1.0833154705876864, 1.011945647204184]],
      ['gelu tanh', (x) => F.gelu(x, 'tanh'),
        [-0.0036373920817729943, -0.15880800939172324, -0.15428599017485606, 0, 0.34571400982514394, 0.8411919906082768, 2.996362607918227],
        [-0.011584166630969648, -0.08296408384578252, 0.13263009646535764, 0.5, 0.8673699035346424, 1.0829640838457826, 1.0115841666309695]],
      ['softplus', (x) => F.softplus(x),
        [0.04858735157374206, 0.31326168751822286, 0.4740769841801067, 0.6931471805599453, 0.9740769841801067, 1.3132616875182228, 3.048587351573742],
        [0.04742587317756679, 0.2689414213699951, 0.37754066879814546, 0.5, 0.6224593312018546, 0.7310585786300049, 0.9525741268224333]],
      ['softplus beta 2 threshold 1', (x) => F.softplus(x, 2, 1),
        [0.0012378425688652247, 0.06346400552148625, 0.15663084375911143, 0.34657359027997264, 0.6566308437591114, 1, 3],
        [0.0024726231566347748, 0.11920292202211755, 0.2689414213699951, 0.5, 0.7310585786300049, 1, 1]],
    ];
    for (const [name, f, ys, gs] of cases) {
      it(`${name}: values and gradients`, () => {
        const { y, g } = valueAndGrad(f, xs);
        assertClose(y, ys, 1e-13, 1e-300, `${name} y`);
        assertClose(g, gs, 1e-13, 1e-300, `${name} dy/dx`);
      });
    }
    it('gelu(1) is Φ(1) = 0.8413447460685429', () => {
      assert.ok(close(F.gelu(tensor([1], [1], 'float64')).data[0], 0.8413447460685429, 1e-15));
    });
    it('softmax and log_softmax over each axis of a matrix', () => {
      const x = tensor([1, 2, 3, -1, 0, 4], [2, 3], 'float64');
      const s0 = [0.8807970779778823, 0.8807970779778823, 0.2689414213699951, 0.11920292202211755, 0.11920292202211755, 0.7310585786300049];
      const s1 = [0.09003057317038045, 0.2447284710547976, 0.6652409557748218, 0.006573263185309083, 0.0178679818703045, 0.9755587549443865];
      const l0 = [-0.1269280110429726, -0.1269280110429726, -1.3132616875182228, -2.1269280110429727, -2.1269280110429727, -0.31326168751822286];
      const l1 = [-2.4076059644443806, -1.4076059644443804, -0.4076059644443804, -5.024744890138822, -4.024744890138822, -0.02474489013882259];
      assertClose(F.softmax(x, 0).data, s0, 1e-14);
      assertClose(F.softmax(x, -2).data, s0, 1e-14);
      assertClose(F.softmax(x).data, s1, 1e-14);
      assertClose(F.softmax(x, 1).data, s1, 1e-14);
      assertClose(F.logSoftmax(x, 0).data, l0, 1e-14);
      assertClose(F.logSoftmax(x).data, l1, 1e-14);
      assert.deepEqual(F.softmax(x, 0).shape, [2, 3]);
    });
    it('softmax sums to 1 along the axis of a rank-4 tensor', () => {
      const x = rand([2, 3, 4, 5], 3, -5, 5, false);
      for (const axis of [0, 1, 2, 3]) {
        const y = F.softmax(x, axis);
        const s = F.sum(y, axis);
        for (const v of s.data) assert.ok(Math.abs(v - 1) < 1e-14, `axis ${axis}: sum ${v}`);
      }
    });
  });

  describe('gradients match finite differences (float64)', () => {
    const fs: [string, (x: Tensor) => Tensor, number, number][] = [
      ['sigmoid', F.sigmoid, -6, 6],
      ['tanh', F.tanh, -3, 3],
      ['relu', F.relu, -2, 2],
      ['leaky_relu 0.2', (x) => F.leakyRelu(x, 0.2), -2, 2],
      ['elu', (x) => F.elu(x), -3, 3],
      ['elu 0.5', (x) => F.elu(x, 0.5), -3, 3],
      ['gelu', (x) => F.gelu(x), -4, 4],
      ['gelu tanh', (x) => F.gelu(x, 'tanh'), -4, 4],
      ['softplus', (x) => F.softplus(x), -5, 5],
      ['softplus beta 2 threshold 3 (both regions)', (x) => F.softplus(x, 2, 3), -3, 3],
      ['softplus beta 0.5', (x) => F.softplus(x, 0.5), -5, 5],
    ];
    for (const [name, f, lo, hi] of fs) {
      it(`${name} on rank 1 to 4`, () => {
        gradcheck(f, [rand([7], 21, lo, hi)]);
        gradcheck(f, [rand([4, 5], 22, lo, hi)]);
        gradcheck(f, [rand([2, 3, 4], 23, lo, hi)]);
        gradcheck(f, [rand([2, 3, 2, 2], 24, lo, hi)]);
      });
    }
    for (const [name, f] of [
      ['softmax', F.softmax],
      ['log_softmax', F.logSoftmax],
    ] as const) {
      it(`${name} over every axis, positive and negative, of rank 1 to 4`, () => {
        gradcheck((x) => f(x, 0), [rand([6], 31, -3, 3)]);
        gradcheck((x) => f(x, -1), [rand([6], 31, -3, 3)]);
        gradcheck((x) => f(x, 0), [rand([4, 5], 32, -3, 3)]);
        gradcheck((x) => f(x, -1), [rand([4, 5], 33, -3, 3)]);
        for (const axis of [0, 1, 2, -1, -2, -3]) gradcheck((x) => f(x, axis), [rand([2, 3, 4], 34, -3, 3)]);
        for (const axis of [0, 1, 2, 3, -1, -4]) gradcheck((x) => f(x, axis), [rand([2, 3, 2, 3], 35, -3, 3)]);
      });
    }
    it('log_softmax of large logits has the right gradient', () => {
      gradcheck((x) => F.logSoftmax(x, -1), [rand([3, 4], 36, 500, 520)]);
      gradcheck((x) => F.softmax(x, 0), [rand([3, 4], 37, -520, -500)]);
    });
  });

  describe('NaN, ±inf and huge inputs', () => {
    it('sigmoid(±inf) is 1 and 0 with zero gradient; sigmoid(±1000) does not overflow; sigmoid(NaN) is NaN', () => {
      const { y, g } = valueAndGrad(F.sigmoid, [Infinity, -Infinity, 1000, -1000, NaN]);
      assert.deepEqual(y.slice(0, 4), [1, 0, 1, 0]);
      assert.ok(Number.isNaN(y[4]));
      assert.deepEqual(g.slice(0, 4), [0, 0, 0, 0]);
      assert.ok(Number.isNaN(g[4]));
    });
    it('sigmoid keeps tiny outputs far on the negative side instead of rounding them to 0', () => {
      const { y } = valueAndGrad(F.sigmoid, [-700, -40]);
      assert.ok(close(y[0], Math.exp(-700), 1e-12));
      assert.ok(close(y[1], 4.248354255291589e-18, 1e-12));
    });
    it('tanh(±inf) is ±1 with zero gradient; tanh(NaN) is NaN', () => {
      const { y, g } = valueAndGrad(F.tanh, [Infinity, -Infinity, 1000, NaN]);
      assert.deepEqual(y.slice(0, 3), [1, -1, 1]);
      assert.deepEqual(g.slice(0, 3), [0, 0, 0]);
      assert.ok(Number.isNaN(y[3]) && Number.isNaN(g[3]));
    });
    it('relu passes NaN through forward and backward (torch.relu(nan) = nan with gradient 1), relu\'(0) = 0', () => {
      const { y, g } = valueAndGrad(F.relu, [NaN, Infinity, -Infinity, 0, -0]);
      assert.ok(Number.isNaN(y[0]));
      assert.deepEqual(y.slice(1), [Infinity, 0, 0, 0]);
      assert.deepEqual(g, [1, 1, 0, 0, 0]);
    });
    it('leaky_relu: slope at 0 and on NaN, ±inf keep their sign', () => {
      const { y, g } = valueAndGrad((x) => F.leakyRelu(x, 0.1), [0, NaN, Infinity, -Infinity]);
      assert.equal(y[0], 0);
      assert.ok(Number.isNaN(y[1]));
      assert.deepEqual(y.slice(2), [Infinity, -Infinity]);
      assert.deepEqual(g, [0.1, 0.1, 1, 0.1]);
    });
    it('elu: gradient α at 0, elu(-inf) = -α with gradient 0, NaN stays NaN', () => {
      const { y, g } = valueAndGrad((x) => F.elu(x, 2), [0, -Infinity, Infinity, NaN]);
      assert.deepEqual(y.slice(0, 3), [0, -2, Infinity]);
      assert.deepEqual(g.slice(0, 3), [2, 0, 1]);
      assert.ok(Number.isNaN(y[3]) && Number.isNaN(g[3]));
    });
    it('gelu follows PyTorch at the extremes: gelu(inf) = inf, gelu(-inf) = NaN, tiny negative tail', () => {
      const exact = valueAndGrad((x) => F.gelu(x), [Infinity, -Infinity, NaN, -10, 10]);
      assert.equal(exact.y[0], Infinity);
      assert.ok(Number.isNaN(exact.y[1]) && Number.isNaN(exact.y[2]));
      assert.ok(Object.is(exact.y[3], -0), 'PyTorch gives -0.0: -10·½·(1 + erf(-7.07)) with 1 + erf = 0');
      assert.equal(exact.y[4], 10);
      assert.ok(close(exact.g[3], -7.694598626706419e-22, 1e-12));
      assert.equal(exact.g[4], 1);
      const approx = valueAndGrad((x) => F.gelu(x, 'tanh'), [Infinity, -10, 10]);
      assert.deepEqual(approx.y, [Infinity, -0, 10]);
      assert.deepEqual(approx.g.slice(1), [0, 1]);
    });
    it('softplus: linear above the threshold, finite for huge inputs, 0 with gradient 0 at -inf', () => {
      const { y, g } = valueAndGrad((x) => F.softplus(x), [1000, -1000, Infinity, -Infinity, NaN, 20, 20.5]);
      assert.deepEqual(y.slice(0, 4), [1000, 0, Infinity, 0]);
      assert.deepEqual(g.slice(0, 4), [1, 0, 1, 0]);
      assert.ok(Number.isNaN(y[4]) && Number.isNaN(g[4]));
      assert.ok(close(y[5], 20.000000002061153, 1e-15), 'at the threshold itself the log form is used');
      assert.equal(y[6], 20.5);
      // a threshold past exp's range stays finite (log1p(e^1000) would overflow)
      const wide = valueAndGrad((x) => F.softplus(x, 1, 1e9), [1000]);
      assert.deepEqual([wide.y[0], wide.g[0]], [1000, 1]);
    });
    it('softmax with a +inf entry is NaN across the slice, as PyTorch', () => {
      const y = F.softmax(tensor([1, Infinity, 2, 0, 1, 2], [2, 3], 'float64'), -1).data;
      for (let i = 0; i < 3; i++) assert.ok(Number.isNaN(y[i]));
      assertClose(Array.from(y.slice(3)), [0.09003057317038046, 0.24472847105479764, 0.6652409557748219], 1e-14);
    });
    it('softmax with a -inf entry gives it 0 probability and 0 gradient', () => {
      const x = tensor([1, -Infinity, 2], [3], 'float64', true);
      const y = F.softmax(x);
      assertClose(Array.from(y.data), [0.2689414213699951, 0, 0.7310585786300049], 1e-14);
      backward(y, Float64Array.from([1, 2, 3]));
      assertClose(Array.from(x.grad!), [-0.39322386648296376, 0, 0.39322386648296376], 1e-13, 1e-300);
    });
    it('an all -inf slice and a NaN entry give NaN, as PyTorch', () => {
      assert.ok(Array.from(F.softmax(tensor([-Infinity, -Infinity], [2], 'float64')).data).every(Number.isNaN));
      assert.ok(Array.from(F.softmax(tensor([1, NaN, 2], [3], 'float64')).data).every(Number.isNaN));
      assert.ok(Array.from(F.logSoftmax(tensor([1, NaN, 2], [3], 'float64')).data).every(Number.isNaN));
    });
    it('log_softmax of huge logits stays finite, forward and backward', () => {
      const x = tensor([1000, 0, -1000], [3], 'float64', true);
      const y = F.logSoftmax(x);
      assert.deepEqual(Array.from(y.data), [0, -1000, -2000]);
      backward(y, Float64Array.from([1, 2, 3]));
      assert.deepEqual(Array.from(x.grad!), [-5, 2, 3]);
      const s = F.softmax(tensor([1000, 999, -1000], [3], 'float64'));
      assertClose(Array.from(s.data), [0.7310585786300049, 0.2689414213699951, 0], 1e-14);
    });
    it('log_softmax with a -inf entry keeps it at -inf and passes its gradient through', () => {
      const x = tensor([1, -Infinity, 2], [3], 'float64', true);
      const y = F.logSoftmax(x);
      assert.equal(y.data[1], -Infinity);
      backward(y, Float64Array.from([1, 2, 3]));
      assertClose(Array.from(x.grad!), [1 - 6 / (1 + Math.E), 2, 3 - (6 * Math.E) / (1 + Math.E)], 1e-13);
    });
    it('float32 huge logits do not overflow either', () => {
      const y = F.logSoftmax(tensor([80, 0, -80], [3]));
      assert.ok(y.data instanceof Float32Array);
      assert.ok(Array.from(y.data).every(Number.isFinite));
      assert.ok(Array.from(F.sigmoid(tensor([-100, 100], [2])).data).every(Number.isFinite));
    });
  });

  describe('activation shape read by the instrument', () => {
    const grid: number[] = [];
    for (let x = -30; x <= 30; x += 0.01) grid.push(Math.round(x * 100) / 100);
    // also the points where the derivative is discontinuous or peaks
    grid.push(0, -0, Math.SQRT2, 1e-9, -1e-9, 20, 20.0001);

    for (const [kind, f] of defaults) {
      it(`${kind}: derivative(x) equals the backward's dy/dx at the default arguments`, () => {
        const shape = shapeOf(kind);
        const { g } = valueAndGrad(f, grid);
        for (let i = 0; i < grid.length; i++) {
          const d = shape.derivative(grid[i]);
          // the backward of sigmoid/tanh uses y(1-y) and 1-y², which lose relative precision far out
          assert.ok(close(d, g[i], 1e-9, 1e-15), `${kind}'(${grid[i]}): derivative ${d}, backward ${g[i]}`);
        }
      });
      it(`${kind}: peak is the maximum of its derivative`, () => {
        const shape = shapeOf(kind);
        let best = -Infinity;
        for (let x = -30; x <= 30; x += 1e-4) best = Math.max(best, shape.derivative(x));
        for (const x of grid) best = Math.max(best, shape.derivative(x));
        assert.ok(best <= shape.peak * (1 + 1e-12), `${kind}: derivative reaches ${best} above peak ${shape.peak}`);
        assert.ok(best >= shape.peak * (1 - 1e-8), `${kind}: derivative never gets near peak ${shape.peak} (max ${best})`);
      });
    }
    it('the peaks are the documented numbers', () => {
      const peaks = Object.fromEntries(defaults.map(([k]) => [k, shapeOf(k).peak]));
      assert.deepEqual({ ...peaks, gelu: Math.round(peaks.gelu * 1e4) / 1e4 }, {
        sigmoid: 0.25, tanh: 1, relu: 1, leaky_relu: 1, elu: 1, gelu: 1.1289, softplus: 1,
      });
      assert.ok(close(GELU_PEAK, 1.128904145185155, 1e-14));
    });
    it('derivatives far out are exact, not rounded to 0 (flat-region statistics depend on it)', () => {
      const sig = shapeOf('sigmoid');
      const th = shapeOf('tanh');
      assert.ok(close(sig.derivative(40), Math.exp(-40), 1e-12));
      assert.ok(close(sig.derivative(-40), Math.exp(-40), 1e-12));
      assert.ok(close(th.derivative(20), 4 * Math.exp(-40), 1e-12));
      assert.equal(sig.derivative(Infinity), 0);
      assert.equal(th.derivative(-Infinity), 0);
    });
    it('follows non-default attributes: LeakyReLU(0.2), ELU(2), Softplus(β=5)', () => {
      const cases: [Elementwise, unknown, (x: Tensor) => Tensor][] = [
        ['leaky_relu', { negativeSlope: 0.2 }, (x) => F.leakyRelu(x, 0.2)],
        ['elu', { alpha: 2 }, (x) => F.elu(x, 2)],
        ['softplus', { beta: 5, threshold: 20 }, (x) => F.softplus(x, 5, 20)],
      ];
      for (const [kind, attrs, f] of cases) {
        const shape = shapeOf(kind, attrs);
        const { g } = valueAndGrad(f, grid);
        for (let i = 0; i < grid.length; i++) {
          assert.ok(close(shape.derivative(grid[i]), g[i], 1e-9, 1e-15), `${kind}'(${grid[i]}) with ${JSON.stringify(attrs)}`);
        }
      }
      assert.equal(shapeOf('elu', { alpha: 2 }).peak, 2);
    });
    it('softmax and log_softmax are not elementwise and carry no activation shape', () => {
      assert.equal(OPS.softmax.activation, undefined);
      assert.equal(OPS.log_softmax.activation, undefined);
    });
    it('the instrument counts saturated sigmoid units and dead ReLU entries from these shapes', () => {
      const inst = new Instrument();
      setInstrument(inst);
      try {
        noGrad(() => {
          F.sigmoid(tensor([10, -10, 0, 0.5, 7, -2], [2, 3], 'float64'));
          F.relu(tensor([1, -1, 0, 2, -3, 4], [2, 3], 'float64'));
        });
      } finally {
        setInstrument(null);
      }
      const [sig, relu] = inst.activations;
      assert.equal(sig.op, 'sigmoid');
      assert.equal(sig.saturated, 3); // |x| > 6 puts sigmoid' below 1% of 0.25
      assert.equal(relu.zeroDerivative, 3);
      assert.deepEqual(Array.from(relu.activePerUnit), [2, 0, 1]); // unit 0 is positive on both samples
    });
  });

  it('float32 in gives float32 out for every activation', () => {
    const x = tensor([-1, 0, 2], [3]);
    for (const [, f] of defaults) assert.ok(f(x).data instanceof Float32Array);
    assert.ok(F.softmax(x).data instanceof Float32Array);
  });

  it('softmax rejects an axis out of range', () => {
    assert.throws(() => F.softmax(tensor([1, 2], [2]), 1), /out of range/);
  });

  it('softmax and log_softmax of a 0-d tensor along axis 0 give 1 and 0 with a zero gradient, as torch.softmax(torch.tensor(2.), 0)', () => {
    for (const [f, want] of [[F.softmax, 1], [F.logSoftmax, 0]] as const) {
      const x = tensor([2], [], 'float64', true);
      const y = f(x, 0);
      assert.deepEqual([...y.shape, ...y.data], [want]);
      backward(y, Float64Array.from([1]));
      assert.deepEqual(Array.from(x.grad!), [0]);
    }
    assert.throws(() => F.softmax(tensor([2], [], 'float64'), 1), /out of range/);
  });
});

describe('sigmoid gradient on the core', () => {
  it('has the bits of the JavaScript loop, edge values included', () => {
    const rng = new F.Rng(3);
    const edges = [NaN, Infinity, -Infinity, 0, -0, 1, 0.5, 1e-45, -1e-45, 1.1754942e-38, 0.99999994, 3.4028235e38];
    // 4103: pairs of vectors, one vector more, then three single floats (each of the kernel's loops)
    const n = 4103;
    const y = Float32Array.from({ length: n }, (_, i) => (i < edges.length ? edges[i] : rng.between(-0.1, 1.1)));
    const gy = Float32Array.from({ length: n }, (_, i) => (i >= n - edges.length ? edges[n - 1 - i] : rng.between(-1e3, 1e3)));
    const expected = new Float32Array(n);
    for (let i = 0; i < n; i++) expected[i] = gy[i] * y[i] * (1 - y[i]);
    const got = sigmoidGradKernel(y, gy);
    assert.ok(got, 'ran on the core');
    assert.deepEqual(new Uint32Array(got.buffer, got.byteOffset, n), new Uint32Array(expected.buffer));
  });
});
