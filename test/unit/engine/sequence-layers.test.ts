/**
 * The recurrent, attention, transformer, normalisation and container layers: float64
 * finite-difference gradients with respect to the input and every parameter, NaN and ±inf through
 * them, parameter names as PyTorch's, and the statistics the instrument takes of them.
 */
import assert from 'node:assert/strict';
import * as F from '../../../src/engine';
import { backward, DType, Instrument, kernelInfo, nn, Rng, setInstrument, setKernelBackend, Tensor } from '../../../src/engine';
import { gradcheck, rand } from '../support/gradcheck';

const rng = () => new Rng(11);
const dtype = 'float64' as const;

/** Checks d(Σ w·module(x)) against finite differences for x and every parameter. */
function checkModule(module: nn.Module, x: Tensor, run: (x: Tensor) => Tensor = (t) => module.call(t), opts = {}): void {
  gradcheck((input) => run(input), [x, ...module.parameters()], opts);
}

function withInstrument<T>(fn: () => T): [T, Instrument] {
  const inst = new Instrument();
  setInstrument(inst);
  try {
    return [fn(), inst];
  } finally {
    setInstrument(null);
  }
}

describe('recurrent layers', () => {
  it('RNN, LSTM and GRU: gradients for the input and every parameter (2 layers, bidirectional, batch_first)', () => {
    checkModule(new nn.RNN(3, 2, { numLayers: 2, bidirectional: true, dtype, rng: rng() }), rand([4, 2, 3], 1));
    checkModule(new nn.RNN(2, 3, { nonlinearity: 'relu', batchFirst: true, dtype, rng: rng() }), rand([2, 4, 2], 2, 0, 1));
    checkModule(new nn.LSTM(3, 2, { numLayers: 2, batchFirst: true, dtype, rng: rng() }), rand([2, 4, 3], 3));
    checkModule(new nn.LSTM(2, 2, { bidirectional: true, bias: false, dtype, rng: rng() }), rand([3, 2, 2], 4));
    checkModule(new nn.GRU(3, 2, { numLayers: 2, bidirectional: true, batchFirst: true, dtype, rng: rng() }), rand([2, 3, 3], 5));
  });
  it('the final states h_n and c_n, and given initial states, carry gradients', () => {
    const lstm = new nn.LSTM(2, 3, { numLayers: 2, dtype, rng: rng() });
    gradcheck(
      (x, h0, c0) => {
        const [, [h, c]] = lstm.run(x, [h0, c0]);
        return F.add(F.sum(F.mul(h, h)), F.sum(c));
      },
      [rand([4, 2, 2], 6), rand([2, 2, 3], 7), rand([2, 2, 3], 8), ...lstm.parameters()],
    );
    const gru = new nn.GRU(2, 2, { bidirectional: true, dtype, rng: rng() });
    gradcheck((x, h0) => gru.run(x, h0)[1], [rand([3, 2], 9), rand([2, 2], 10), ...gru.parameters()]);
  });
  it('cells: one step each, with and without a state', () => {
    const cell = new nn.LSTMCell(3, 2, { dtype, rng: rng() });
    gradcheck((x, h, c) => F.cat(cell.run(x, [h, c]), 1), [rand([2, 3], 11), rand([2, 2], 12), rand([2, 2], 13), ...cell.parameters()]);
    checkModule(new nn.GRUCell(3, 2, { dtype, rng: rng() }), rand([2, 3], 14));
    checkModule(new nn.RNNCell(3, 2, { nonlinearity: 'relu', dtype, rng: rng() }), rand([3], 15, 0.1, 1));
  });
  it("names the parameters as PyTorch's named_parameters()", () => {
    const names = new nn.LSTM(3, 4, { numLayers: 2, bidirectional: true, rng: rng() }).namedParameters().map(([n]) => n);
    assert.deepEqual(names.slice(0, 8), [
      'weight_ih_l0',
      'weight_hh_l0',
      'bias_ih_l0',
      'bias_hh_l0',
      'weight_ih_l0_reverse',
      'weight_hh_l0_reverse',
      'bias_ih_l0_reverse',
      'bias_hh_l0_reverse',
    ]);
    assert.equal(names.length, 16);
    assert.deepEqual(new nn.GRUCell(2, 2, { bias: false, rng: rng() }).namedParameters().map(([n]) => n), ['weight_ih', 'weight_hh']);
    const [, w] = new nn.GRU(5, 4, { rng: rng() }).namedParameters()[0];
    assert.deepEqual(w.shape, [12, 5], 'gates r, z, n stacked on the rows');
    for (const v of w.data) assert.ok(Math.abs(v) <= 0.5, 'U(±1/√hidden_size)');
  });
  it('a NaN at one time step reaches every later step and only those; the instrument names the step', () => {
    const lstm = new nn.LSTM(2, 3, { dtype, rng: rng() });
    const x = rand([5, 1, 2], 16, -1, 1, false);
    x.data[2 * 2] = NaN;
    const [y, inst] = withInstrument(() => lstm.call(x));
    for (let t = 0; t < 5; t++) {
      const row = Array.from(y.data.slice(t * 3, t * 3 + 3));
      assert.equal(row.every(Number.isNaN), t >= 2, `step ${t}`);
    }
    assert.equal(inst.recurrent[0].firstNonFiniteStep, 2);
  });
  it('±inf inputs saturate the gates instead of breaking them', () => {
    const gru = new nn.GRU(1, 2, { dtype, rng: rng() });
    const x = F.tensor([Infinity, -Infinity, 0.5], [3, 1, 1], dtype);
    const [y, inst] = withInstrument(() => gru.call(x));
    assert.ok(y.data.every(Number.isFinite));
    const sig = inst.recurrent[0].gates.find((g) => g.kind === 'sigmoid')!;
    assert.ok(sig.saturated >= 4, `the gates at ±inf are flat (${sig.saturated} of ${sig.count})`);
  });
  it('records the gradient norm at each time step: it grows back through time with a too-large recurrent weight', () => {
    const make = (scale: number) => {
      const r = new nn.RNN(4, 8, { dtype, rng: rng() });
      const whh = r.namedParameters().find(([n]) => n === 'weight_hh_l0')![1];
      F.noGrad(() => F.mul_(whh, scale));
      return r;
    };
    const x = rand([20, 2, 4], 17, -1, 1, false);
    const ratio = (r: nn.RNN) => {
      const [, inst] = withInstrument(() => {
        const [out] = r.run(x);
        backward(F.sum(F.getItem(out, [-1])));
      });
      const norms = inst.recurrent[0].hiddenGradNorms!;
      assert.equal(norms.length, 20);
      return norms[0] / norms[19];
    };
    assert.ok(ratio(make(0.1)) < 1e-6, 'small recurrent weights: the gradient vanishes through time');
    const big = make(8);
    // tanh saturates with huge weights; a relu RNN shows the growth plainly
    const relu = new nn.RNN(4, 8, { nonlinearity: 'relu', dtype, rng: rng() });
    const whh = relu.namedParameters().find(([n]) => n === 'weight_hh_l0')![1];
    F.noGrad(() => F.copy_(whh, F.mul(F.eye(8, 8, dtype), 1.6)));
    assert.ok(ratio(relu) > 1e3, 'a recurrent weight of norm above 1 explodes the gradient through time');
    assert.ok(Number.isFinite(ratio(big)));
  });
});

/** Output and gradients (input, then each parameter) of Σ w·out for a fresh layer, under one kernel build. */
function runRecurrent(backend: 'js' | 'auto', make: (d: DType) => nn.Module, d: DType): Float64Array[] {
  setKernelBackend(backend);
  try {
    const module = make(d);
    const x = F.tensor(Array.from(rand([6, 4, 8], 21).data), [6, 4, 8], d);
    x.requiresGrad = true;
    const out = module.call(x);
    const w = F.tensor(Array.from(rand([...out.shape], 22).data), out.shape, d);
    backward(F.sum(F.mul(out, w)));
    return [out.data, x.grad!, ...module.parameters().map((p) => p.grad!)].map((a) => Float64Array.from(a as ArrayLike<number>));
  } finally {
    setKernelBackend('auto');
  }
}

describe('recurrent gates on the SIMD kernels', () => {
  // hidden 16, batch 4: every gate of a step and tanh(c) are past the kernels' 64 elements
  const layers: [string, (d: DType) => nn.Module][] = [
    ['LSTM', (d) => new nn.LSTM(8, 16, { bidirectional: true, dtype: d, rng: rng() })],
    ['GRU', (d) => new nn.GRU(8, 16, { numLayers: 2, dtype: d, rng: rng() })],
    ['RNN', (d) => new nn.RNN(8, 16, { dtype: d, rng: rng() })],
  ];
  for (const [name, make] of layers) {
    it(`${name}: float32 output and gradients as the JavaScript path's to float32 rounding; float64 unchanged`, () => {
      assert.notEqual(setKernelBackend('auto'), 'js', kernelInfo().reason);
      const js = runRecurrent('js', make, 'float32');
      const simd = runRecurrent('auto', make, 'float32');
      let worst = 0;
      let differ = 0;
      js.forEach((ref, k) => {
        assert.equal(simd[k].length, ref.length);
        ref.forEach((v, i) => {
          if (!Object.is(v, simd[k][i])) differ++;
          worst = Math.max(worst, Math.abs(simd[k][i] - v) / (1 + Math.abs(v)));
        });
      });
      console.log(`      ${name} float32: worst |simd − js|/(1 + |js|) ${worst.toExponential(2)}, ${differ} values differ`);
      // The kernels' sigmoid and tanh are within 3e-7 of float64 (kernels.test.ts); a few roundings more through 6 steps and back.
      assert.ok(worst <= 1e-5, `worst ${worst}`);
      assert.ok(differ > 0, 'the float32 run went through the kernels (their roundings differ from Math.exp in places)');
      const f64 = [runRecurrent('js', make, 'float64'), runRecurrent('auto', make, 'float64')];
      f64[0].forEach((ref, k) => assert.ok(ref.every((v, i) => Object.is(v, f64[1][k][i])), `float64 result ${k} is the JavaScript path's bit for bit`));
    });
  }
});

describe('attention and transformer layers', () => {
  it('MultiheadAttention: gradients with masks, separate projections, bias_kv and zero attention', () => {
    const mha = new nn.MultiheadAttention(4, 2, { dtype, rng: rng() });
    const pad = F.fromNested([
      [false, false, true],
      [false, false, false],
    ]);
    gradcheck((x) => mha.run(x, x, x, { keyPaddingMask: pad, attnMask: F.generateSquareSubsequentMask(3, dtype) })[0], [rand([3, 2, 4], 18), ...mha.parameters()]);
    const cross = new nn.MultiheadAttention(4, 2, { kdim: 3, vdim: 2, addBiasKv: true, addZeroAttn: true, batchFirst: true, dtype, rng: rng() });
    gradcheck((q, k, v) => F.add(F.sum(cross.run(q, k, v)[0]), F.sum(F.mul(cross.run(q, k, v)[1]!, 3))), [rand([2, 2, 4], 19), rand([2, 3, 3], 20), rand([2, 3, 2], 21), ...cross.parameters()]);
  });
  it('encoder and decoder layers (post-norm and pre-norm, relu and gelu), and nn.Transformer', () => {
    checkModule(new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 6, dropout: 0, dtype, rng: rng() }), rand([3, 2, 4], 22));
    checkModule(new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 6, dropout: 0, activation: 'gelu', normFirst: true, batchFirst: true, dtype, rng: rng() }), rand([2, 3, 4], 23));
    const dec = new nn.TransformerDecoderLayer(4, 1, { dimFeedforward: 5, dropout: 0, dtype, rng: rng() });
    gradcheck((t, m) => dec.run(t, m, { tgtMask: F.generateSquareSubsequentMask(2, dtype) }), [rand([2, 1, 4], 24), rand([3, 1, 4], 25), ...dec.parameters()]);
    const tr = new nn.Transformer({ dModel: 4, nhead: 2, numEncoderLayers: 1, numDecoderLayers: 1, dimFeedforward: 4, dropout: 0, dtype, rng: rng() });
    gradcheck((s, t) => tr.run(s, t), [rand([3, 1, 4], 26), rand([2, 1, 4], 27), ...tr.parameters()]);
  });
  it("names the parameters as PyTorch's, with the decoder's kept in an encoder-only use", () => {
    const names = new nn.TransformerEncoder(new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 8, rng: rng() }), 2).namedParameters().map(([n]) => n);
    assert.deepEqual(names.slice(0, 12), [
      'layers.0.self_attn.in_proj_weight',
      'layers.0.self_attn.in_proj_bias',
      'layers.0.self_attn.out_proj.weight',
      'layers.0.self_attn.out_proj.bias',
      'layers.0.linear1.weight',
      'layers.0.linear1.bias',
      'layers.0.linear2.weight',
      'layers.0.linear2.bias',
      'layers.0.norm1.weight',
      'layers.0.norm1.bias',
      'layers.0.norm2.weight',
      'layers.0.norm2.bias',
    ]);
    const tr = new nn.Transformer({ dModel: 4, nhead: 2, numEncoderLayers: 1, numDecoderLayers: 1, dimFeedforward: 8, rng: rng() });
    const all = tr.namedParameters().map(([n]) => n);
    assert.ok(all.includes('decoder.layers.0.multihead_attn.in_proj_weight'));
    assert.ok(all.includes('encoder.norm.weight') && all.includes('decoder.norm.bias'));
    assert.equal(all.indexOf('decoder.layers.0.multihead_attn.in_proj_weight'), all.indexOf('decoder.layers.0.self_attn.out_proj.bias') + 1, 'multihead_attn registered right after self_attn');
  });
  it('TransformerEncoder copies its layer: same starting values, separate parameters', () => {
    const enc = new nn.TransformerEncoder(new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 8, rng: rng() }), 2);
    const p = new Map(enc.namedParameters());
    const a = p.get('layers.0.linear1.weight')!;
    const b = p.get('layers.1.linear1.weight')!;
    assert.notEqual(a, b);
    assert.deepEqual(Array.from(a.data), Array.from(b.data));
  });
  it('a key masked for every query gives NaN (as PyTorch), and the instrument skips rows with one key to attend to', () => {
    const mha = new nn.MultiheadAttention(2, 1, { dtype, rng: rng() });
    const x = rand([3, 1, 2], 28);
    const [out] = mha.run(x, x, x, { keyPaddingMask: F.fromNested([[true, true, true]]) });
    assert.ok(out.data.every(Number.isNaN));
    const [, inst] = withInstrument(() => mha.run(x, x, x, { attnMask: F.generateSquareSubsequentMask(3, dtype) }));
    assert.equal(inst.attention.length, 1);
    assert.equal(inst.attention[0].perHead[0].rows, 2, 'the first query sees one key only');
  });
  it('the instrument reads attention entropy per head: uniform rows near 1, a head scaled up collapses', () => {
    const mha = new nn.MultiheadAttention(8, 2, { dtype, rng: rng() });
    const x = rand([6, 4, 8], 29, -1, 1, false);
    const [, calm] = withInstrument(() => mha.run(x, x, x));
    // attention's softmax only: not the classifier's
    assert.equal(calm.attention.length, 1);
    for (const h of calm.attention[0].perHead) assert.ok(h.meanNormalizedEntropy > 0.5 && h.collapsedShare < 0.5, JSON.stringify(h));
    // scale head 0's query and key projections (rows 0-3 and 8-11 of in_proj_weight) up: its scores grow, its rows one-hot
    F.noGrad(() => {
      F.mul_(F.getItem(mha.inProjWeight!, [{ start: 0, stop: 4 }]), 30);
      F.mul_(F.getItem(mha.inProjWeight!, [{ start: 8, stop: 12 }]), 30);
    });
    const [, hot] = withInstrument(() => mha.run(x, x, x));
    const [h0, h1] = hot.attention[0].perHead;
    assert.ok(h0.collapsedShare > 0.8 && h0.meanNormalizedEntropy < 0.1, `head 0 collapsed: ${JSON.stringify(h0)}`);
    assert.ok(h1.collapsedShare < 0.5, 'head 1 untouched');
  });
  it('hand-written attention is recognised too; a softmax over a linear layer is not', () => {
    const q = rand([2, 2, 5, 4], 30);
    const k = rand([2, 2, 5, 4], 31);
    const w = rand([3, 4], 32);
    w.name = 'head.weight';
    const [, inst] = withInstrument(() => {
      const att = F.maskedFill(F.mul(F.matmul(q, F.transpose(k, -2, -1)), 0.5), F.eq(F.tril(F.ones([5, 5], dtype)), 0), -Infinity);
      F.softmax(att, -1);
      F.softmax(F.linear(q, w), -1);
      F.softmax(F.matmul(q, F.t(w)), -1);
    });
    assert.equal(inst.attention.length, 1);
    assert.equal(inst.attention[0].heads, 2);
  });
});

describe('normalisation, pooling, activation and container layers', () => {
  it('GroupNorm, InstanceNorm2d (affine, tracked) and AdaptiveAvgPool2d: gradients', () => {
    const gn = new nn.GroupNorm(2, 4, { dtype });
    F.noGrad(() => F.copy_(gn.weight!, rand([4], 33, 0.5, 1.5, false)));
    checkModule(gn, rand([2, 4, 3], 34));
    checkModule(new nn.InstanceNorm2d(2, { affine: true, trackRunningStats: true, dtype }), rand([2, 2, 3, 3], 35));
    checkModule(new nn.AdaptiveAvgPool2d([2, 3]), rand([1, 2, 5, 4], 36));
  });
  it('the new activations, their in-place forms and Dropout2d at p = 0', () => {
    for (const m of [new nn.SiLU(), new nn.Mish(), new nn.Tanhshrink(), new nn.Hardtanh(-0.5, 0.5), new nn.ReLU6()]) checkModule(m, rand([3, 4], 37, -8, 8));
    gradcheck((x) => new nn.ReLU(true).call(F.mul(x, 1)), [rand([3, 3], 38)]);
    gradcheck((x) => new nn.ReLU6(true).call(F.mul(x, 4)), [rand([3, 3], 39)]);
    checkModule(new nn.Dropout2d(0, rng()), rand([2, 3, 2, 2], 40));
  });
  it('Dropout2d zeroes whole channels and scales the rest', () => {
    const y = new nn.Dropout2d(0.5, rng()).call(F.ones([4, 8, 3, 3], dtype));
    const channels = Array.from({ length: 32 }, (_, c) => new Set(Array.from(y.data.slice(c * 9, c * 9 + 9))));
    for (const set of channels) assert.equal(set.size, 1);
    assert.deepEqual(new Set(channels.map((s) => [...s][0])), new Set([0, 2]));
  });
  it('Dropout2d on a 2-D (N, C) input drops single entries, as PyTorch 1.13 does after its warning', () => {
    const y = new nn.Dropout2d(0.5, rng()).call(F.ones([16, 8], dtype));
    assert.deepEqual(new Set(y.data), new Set([0, 2]));
    const rows = Array.from({ length: 16 }, (_, i) => new Set(Array.from(y.data.slice(i * 8, i * 8 + 8))));
    assert.ok(rows.some((r) => r.size === 2), 'some row keeps part of its entries');
    assert.throws(() => new nn.Dropout2d(0.5, rng()).call(F.ones([4], dtype)), /at least 2 dimensions/);
  });
  it('NaN and inf: a group with an inf is NaN, other groups are not; pooling windows keep them', () => {
    const x = F.tensor([1, 2, Infinity, 4, 5, 6, 7, 8], [1, 4, 2], dtype);
    const y = F.groupNorm(x, 2);
    assert.ok(y.data.slice(0, 4).every(Number.isNaN));
    assert.ok(y.data.slice(4).every(Number.isFinite));
    const p = F.adaptiveAvgPool2d(F.tensor([NaN, 1, 2, 3, 4, 5], [1, 2, 3], dtype), [1, 2]);
    assert.ok(Number.isNaN(p.data[0]) && Number.isFinite(p.data[1]));
  });
  it('Residual adds the input, or a projection of it, to the body', () => {
    const r = new nn.Residual([new nn.Linear(3, 3, { dtype, rng: rng() }), new nn.Tanh()]);
    checkModule(r, rand([2, 3], 41));
    assert.deepEqual(
      r.namedParameters().map(([n]) => n),
      ['body.0.weight', 'body.0.bias'],
    );
    const proj = new nn.Residual([new nn.Linear(3, 5, { dtype, rng: rng() })], [new nn.Linear(3, 5, { bias: false, dtype, rng: rng() })]);
    checkModule(proj, rand([2, 3], 42));
    assert.deepEqual(
      proj.namedParameters().map(([n]) => n),
      ['body.0.weight', 'body.0.bias', 'shortcut.0.weight'],
    );
    assert.throws(() => new nn.Residual([new nn.Linear(3, 5, { rng: rng() })]).call(F.zeros([2, 3])), /must have one shape to be added/);
  });
});
