import assert from 'node:assert/strict';
import { init, Rng, Tensor, zeros } from '../../../src/engine';
import { erf as erfOf } from '../../../src/engine/ops/activation';

function stats(t: Tensor): { mean: number; variance: number; min: number; max: number } {
  let s = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of t.data) {
    s += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const mean = s / t.size;
  let q = 0;
  for (const v of t.data) q += (v - mean) * (v - mean);
  return { mean, variance: q / t.size, min, max };
}

/**
 * Mean within 5 standard errors of 0 (or `mean`), variance within 3% of `variance` (the sample
 * variance of 200k draws has a relative error near 0.3–0.5%).
 */
function assertMoments(t: Tensor, variance: number, mean = 0): void {
  const s = stats(t);
  const se = Math.sqrt(variance / t.size);
  assert.ok(Math.abs(s.mean - mean) < 5 * se, `mean ${s.mean} vs ${mean} (standard error ${se})`);
  assert.ok(Math.abs(s.variance / variance - 1) < 0.03, `variance ${s.variance} vs ${variance}`);
}

function assertBounds(t: Tensor, bound: number): void {
  const s = stats(t);
  assert.ok(s.min >= -bound && s.max <= bound, `values in [${s.min}, ${s.max}] exceed ±${bound}`);
  // Uniform over the whole interval: both ends are nearly reached.
  assert.ok(s.min < -0.99 * bound && s.max > 0.99 * bound, `values in [${s.min}, ${s.max}] do not fill ±${bound}`);
}

describe('init (torch.nn.init with a seeded Rng)', () => {
  it("calculateGain gives PyTorch's gains", () => {
    for (const n of ['linear', 'conv1d', 'conv2d', 'conv3d', 'conv_transpose2d', 'sigmoid'] as const) assert.equal(init.calculateGain(n), 1);
    assert.equal(init.calculateGain('tanh'), 5 / 3);
    assert.equal(init.calculateGain('relu'), Math.sqrt(2));
    assert.equal(init.calculateGain('leaky_relu'), Math.sqrt(2 / (1 + 0.01 ** 2)));
    assert.equal(init.calculateGain('leaky_relu', 0.2), Math.sqrt(2 / 1.04));
    assert.equal(init.calculateGain('leaky_relu', Math.sqrt(5)), Math.sqrt(1 / 3));
    assert.equal(init.calculateGain('selu'), 0.75);
    assert.throws(() => init.calculateGain('swish'), /Unsupported nonlinearity swish/);
    assert.throws(() => init.calculateGain('leaky_relu', NaN), /negative_slope NaN not a valid number/);
  });

  it('fan in/out: dim 1 is in, dim 0 is out, kernel dims multiply both', () => {
    assert.deepEqual(init.fanInAndFanOut([10, 20]), { fanIn: 20, fanOut: 10 });
    assert.deepEqual(init.fanInAndFanOut([16, 3, 5, 5]), { fanIn: 75, fanOut: 400 });
    assert.deepEqual(init.fanInAndFanOut([8, 4, 3]), { fanIn: 12, fanOut: 24 });
    assert.throws(() => init.fanInAndFanOut([5]), /fewer than 2 dimensions/);
  });

  it('uniform(a, b) fills [a, b) with variance (b-a)²/12', () => {
    const t = init.uniform(zeros([400, 500], 'float64'), new Rng(1), -2, 3);
    assertMoments(t, 25 / 12, 0.5);
    const s = stats(t);
    assert.ok(s.min >= -2 && s.max < 3 && s.min < -1.99 && s.max > 2.99);
  });

  it('normal(mean, std)', () => {
    assertMoments(init.normal(zeros([400, 500], 'float64'), new Rng(2), 1.5, 0.5), 0.25, 1.5);
  });

  it('constant, zeros, ones fill every element', () => {
    const t = zeros([3, 4]);
    assert.ok(init.constant(t, 0.25).data.every((v) => v === 0.25));
    assert.ok(init.ones(t).data.every((v) => v === 1));
    assert.ok(init.zeros(t).data.every((v) => v === 0));
  });

  it('xavierUniform: U(±gain·√(6/(fan_in+fan_out)))', () => {
    const t = init.xavierUniform(zeros([300, 700], 'float64'), new Rng(3), 2);
    const bound = 2 * Math.sqrt(6 / 1000);
    assertBounds(t, bound);
    assertMoments(t, (bound * bound) / 3);
  });

  it('xavierNormal: std gain·√(2/(fan_in+fan_out)), kernel dims included', () => {
    const t = init.xavierNormal(zeros([64, 32, 3, 3], 'float64'), new Rng(4), init.calculateGain('tanh'));
    const std = (5 / 3) * Math.sqrt(2 / (32 * 9 + 64 * 9));
    assertMoments(t, std * std);
  });

  it('kaimingUniform defaults (a=0, fan_in, leaky_relu): U(±√(6/fan_in))', () => {
    const t = init.kaimingUniform(zeros([500, 400], 'float64'), new Rng(5));
    const bound = Math.sqrt(6 / 400);
    assertBounds(t, bound);
    assertMoments(t, 2 / 400);
  });

  it('kaimingUniform with fan_out and relu', () => {
    const t = init.kaimingUniform(zeros([50, 4000], 'float64'), new Rng(6), 0, 'fan_out', 'relu');
    assertBounds(t, Math.sqrt(6 / 50));
  });

  it('kaimingNormal: std gain/√fan', () => {
    const t = init.kaimingNormal(zeros([200, 100, 3, 3], 'float64'), new Rng(7), 0.1, 'fan_out');
    assertMoments(t, 2 / (1 + 0.01) / 1800);
    const r = init.kaimingNormal(zeros([400, 500], 'float64'), new Rng(8), 0, 'fan_in', 'selu');
    assertMoments(r, 0.5625 / 500);
  });

  it('kaiming rejects an unknown mode and skips an empty tensor', () => {
    assert.throws(() => init.kaimingUniform(zeros([3, 3]), new Rng(1), 0, 'fan_avg' as 'fan_in'), /Mode fan_avg not supported/);
    assert.doesNotThrow(() => init.kaimingUniform(zeros([0, 3]), new Rng(1)));
  });

  it('default Linear/Conv init: weight and bias U(±1/√fan_in)', () => {
    const w = zeros([500, 400], 'float64');
    const b = zeros([20000], 'float64');
    init.defaultLinear(w, b, new Rng(9));
    assertBounds(w, 1 / 20);
    assertMoments(w, 1 / (3 * 400));
    assertBounds(b, 1 / 20);
    const cw = zeros([64, 16, 5, 5], 'float64');
    const cb = zeros([64], 'float64');
    init.defaultConv(cw, cb, new Rng(10));
    assertBounds(cw, 1 / 20);
    assert.ok(cb.data.every((v) => Math.abs(v) <= 1 / 20));
  });

  it('default Embedding init: N(0, 1) with the padding row zero', () => {
    const w = zeros([1000, 200], 'float64');
    init.defaultEmbedding(w, new Rng(11), 3);
    assert.ok(w.data.subarray(600, 800).every((v) => v === 0));
    assertMoments(w, 1 - 1 / 1000);
  });

  it('default norm init: weight 1, bias 0', () => {
    const w = zeros([4]);
    const b = init.constant(zeros([4]), 7);
    init.defaultNorm(w, b);
    assert.deepEqual(Array.from(w.data), [1, 1, 1, 1]);
    assert.deepEqual(Array.from(b.data), [0, 0, 0, 0]);
  });

  it('the same seed gives the same weights, another seed others; float32 stays float32', () => {
    const a = init.kaimingUniform(zeros([8, 8]), new Rng(42));
    const b = init.kaimingUniform(zeros([8, 8]), new Rng(42));
    const c = init.kaimingUniform(zeros([8, 8]), new Rng(43));
    assert.ok(a.data instanceof Float32Array);
    assert.deepEqual(a.data, b.data);
    assert.notDeepEqual(a.data, c.data);
  });

  it('erfinv inverts erf to rounding, ±1 to ±∞', () => {
    for (const x of [-5, -2.5, -1, -0.3, 0, 1e-9, 0.7, 1.9, 3.2, 5.5]) {
      // erf is flat in the tails, so compare in erf's space: erf(erfinv(y)) is y to a few ulp.
      const y = erfOf(x);
      const back = init.erfinv(y);
      assert.ok(Math.abs(erfOf(back) - y) <= 4 * Number.EPSILON, `${x} → ${back}`);
      if (Math.abs(x) <= 3) assert.ok(Math.abs(back - x) <= 1e-13, `${x} → ${back}`);
    }
    assert.equal(init.erfinv(1), Infinity);
    assert.equal(init.erfinv(-1), -Infinity);
    assert.ok(Number.isNaN(init.erfinv(1.5)));
  });

  it('truncNormal: one inverse-CDF draw per element, clamped to the absolute [a, b]', () => {
    // std 0.02 inside the default ±2 is an untruncated normal (the bounds are not in stds).
    assertMoments(init.truncNormal(zeros([400, 500], 'float64'), new Rng(12), 0, 0.02), 0.0004);
    // N(0, 1) on [-1, 2]: the truncated normal's mean and variance.
    const t = init.truncNormal(zeros([400, 500], 'float64'), new Rng(13), 0, 1, -1, 2);
    const pdf = (x: number) => Math.exp(-x * x / 2) / Math.sqrt(2 * Math.PI);
    const z = 0.5 * (erfOf(2 / Math.SQRT2) - erfOf(-1 / Math.SQRT2));
    const mean = (pdf(-1) - pdf(2)) / z;
    const variance = 1 + (-1 * pdf(-1) - 2 * pdf(2)) / z - mean * mean;
    assertMoments(t, variance, mean);
    const s = stats(t);
    assert.ok(s.min >= -1 && s.max <= 2 && s.min < -0.99 && s.max > 1.99);
    // Same seed, same stream; an empty tensor draws nothing.
    assert.deepEqual(init.truncNormal(zeros([5]), new Rng(1)).data, init.truncNormal(zeros([5]), new Rng(1)).data);
    assert.equal(init.truncNormal(zeros([0, 3]), new Rng(1)).size, 0);
  });

  it('eye: ones on the diagonal of a square or rectangle; 2-D only', () => {
    assert.deepEqual(Array.from(init.eye(init.constant(zeros([2, 3]), 5)).data), [1, 0, 0, 0, 1, 0]);
    assert.deepEqual(Array.from(init.eye(zeros([3, 2])).data), [1, 0, 0, 1, 0, 0]);
    assert.throws(() => init.eye(zeros([3])), /Only tensors with 2 dimensions are supported/);
    assert.throws(() => init.eye(zeros([2, 2, 2])), /Only tensors with 2 dimensions are supported/);
    assert.equal(init.eye(zeros([0, 4])).size, 0);
  });

  it('dirac: each output channel passes its input channel at the kernel centre, per group', () => {
    const t = init.dirac(zeros([4, 2, 3, 3]), 2);
    const ones: number[][] = [];
    t.data.forEach((v, i) => {
      if (v) ones.push([Math.floor(i / 18), Math.floor(i / 9) % 2, Math.floor(i / 3) % 3, i % 3]);
    });
    // Groups of 2 outputs: out 0 ← in 0, out 1 ← in 1, out 2 ← in 0, out 3 ← in 1, at (1, 1).
    assert.deepEqual(ones, [[0, 0, 1, 1], [1, 1, 1, 1], [2, 0, 1, 1], [3, 1, 1, 1]]);
    // Fewer inputs than outputs: only min(out, in) channels get a one; even kernels take size // 2.
    const c = init.dirac(zeros([3, 1, 4]));
    assert.deepEqual(Array.from(c.data), [0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert.equal(init.dirac(zeros([2, 2, 1, 1, 1])).data.filter((v) => v === 1).length, 2);
    assert.throws(() => init.dirac(zeros([3, 3])), /Only tensors with 3, 4, or 5 dimensions are supported/);
    assert.throws(() => init.dirac(zeros([3, 3, 3]), 2), /dim 0 must be divisible by groups/);
  });

  it('orthogonal: QᵀQ = I (tall) or QQᵀ = I (wide), trailing dims flattened, scaled by gain', () => {
    const gram = (t: Tensor, rows: number, cols: number, byRows: boolean): number => {
      // Largest |G - gain²·I| over the Gram matrix of rows (wide) or columns (tall).
      const n = byRows ? rows : cols;
      let worst = 0;
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          let dot = 0;
          for (let k = 0; k < (byRows ? cols : rows); k++) dot += byRows ? t.data[i * cols + k] * t.data[j * cols + k] : t.data[k * cols + i] * t.data[k * cols + j];
          worst = Math.max(worst, Math.abs(dot - (i === j ? 4 : 0)));
        }
      }
      return worst;
    };
    const tall = init.orthogonal(zeros([40, 12], 'float64'), new Rng(14), 2);
    assert.ok(gram(tall, 40, 12, false) < 1e-12);
    const wide = init.orthogonal(zeros([6, 5, 3], 'float64'), new Rng(15), 2);
    assert.ok(gram(wide, 6, 15, true) < 1e-12);
    // Haar-distributed: a square one's entries have variance 1/n.
    let q = 0;
    for (let s = 0; s < 20; s++) for (const v of init.orthogonal(zeros([50, 50], 'float64'), new Rng(100 + s)).data) q += v * v;
    assert.ok(Math.abs(q / (20 * 2500) - 1 / 50) < 1e-12);
    assert.throws(() => init.orthogonal(zeros([5]), new Rng(1)), /Only tensors with 2 or more dimensions are supported/);
    assert.equal(init.orthogonal(zeros([0, 3]), new Rng(1)).size, 0);
  });

  it('sparse: N(0, std²) with ⌈sparsity·rows⌉ zeros in every column', () => {
    const t = init.sparse(zeros([10, 2000], 'float64'), new Rng(16), 0.25, 0.5);
    for (let c = 0; c < 2000; c++) {
      let z = 0;
      for (let r = 0; r < 10; r++) if (t.data[r * 2000 + c] === 0) z++;
      assert.equal(z, 3);
    }
    const kept = Array.from(t.data).filter((v) => v !== 0);
    assertMoments(new Tensor(Float64Array.from(kept), [kept.length], false, 'float64'), 0.25);
    // Which rows are zero differs between columns (a permutation per column).
    const zeroRows = new Set<string>();
    for (let c = 0; c < 50; c++) zeroRows.add([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].filter((r) => t.data[r * 2000 + c] === 0).join());
    assert.ok(zeroRows.size > 10);
    assert.throws(() => init.sparse(zeros([4, 4, 4]), new Rng(1), 0.1), /Only tensors with 2 dimensions are supported/);
  });
});
