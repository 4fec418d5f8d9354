/**
 * Module parity cases: a torch.nn layer built by PyTorch (its constructor expression, the run's
 * dtype, torch.manual_seed(0)) and by the engine, the engine loading PyTorch's state_dict by name;
 * outputs, input gradients and every parameter's gradient must agree.
 */
import { nn } from '../../src/engine';
import type { Tensor } from '../../src/engine';
import * as F from '../../src/engine';
import type { OpCase } from './op-cases';

export const MODULE_CASES: OpCase[] = [
  // ── recurrent ──
  {
    name: 'RNN tanh',
    module: { py: 'nn.RNN(3, 4)', ts: (dtype, rng) => new nn.RNN(3, 4, { dtype, rng }) },
    inputs: { x: { shape: [5, 2, 3] } },
    py: 'o, h = m(x)\nout = (o, h)',
    ts: ({ x }, _d, m) => (m as nn.RNN).run(x),
  },
  {
    name: 'RNN relu 2 layers with h0',
    module: { py: "nn.RNN(3, 4, num_layers=2, nonlinearity='relu')", ts: (dtype, rng) => new nn.RNN(3, 4, { numLayers: 2, nonlinearity: 'relu', dtype, rng }) },
    inputs: { x: { shape: [4, 2, 3] }, h: { shape: [2, 2, 4] } },
    py: 'o, hn = m(x, h)\nout = (o, hn)',
    ts: ({ x, h }, _d, m) => (m as nn.RNN).run(x, h),
  },
  {
    name: 'LSTM',
    module: { py: 'nn.LSTM(3, 5)', ts: (dtype, rng) => new nn.LSTM(3, 5, { dtype, rng }) },
    inputs: { x: { shape: [6, 2, 3] } },
    py: 'o, (h, c) = m(x)\nout = (o, h, c)',
    ts: ({ x }, _d, m) => {
      const [o, [h, c]] = (m as nn.LSTM).run(x);
      return [o, h, c];
    },
  },
  {
    name: 'LSTM 2 layers batch_first with state',
    module: { py: 'nn.LSTM(3, 4, num_layers=2, batch_first=True)', ts: (dtype, rng) => new nn.LSTM(3, 4, { numLayers: 2, batchFirst: true, dtype, rng }) },
    inputs: { x: { shape: [2, 5, 3] }, h: { shape: [2, 2, 4] }, c: { shape: [2, 2, 4] } },
    py: 'o, (hn, cn) = m(x, (h, c))\nout = (o, hn, cn)',
    ts: ({ x, h, c }, _d, m) => {
      const [o, [hn, cn]] = (m as nn.LSTM).run(x, [h, c]);
      return [o, hn, cn];
    },
  },
  {
    name: 'LSTM bidirectional',
    module: { py: 'nn.LSTM(3, 4, bidirectional=True)', ts: (dtype, rng) => new nn.LSTM(3, 4, { bidirectional: true, dtype, rng }) },
    inputs: { x: { shape: [5, 2, 3] } },
    py: 'o, (h, c) = m(x)\nout = (o, h, c)',
    ts: ({ x }, _d, m) => {
      const [o, [h, c]] = (m as nn.LSTM).run(x);
      return [o, h, c];
    },
  },
  {
    name: 'LSTM without bias, unbatched',
    module: { py: 'nn.LSTM(3, 4, bias=False)', ts: (dtype, rng) => new nn.LSTM(3, 4, { bias: false, dtype, rng }) },
    inputs: { x: { shape: [5, 3] } },
    py: 'o, (h, c) = m(x)\nout = (o, h, c)',
    ts: ({ x }, _d, m) => {
      const [o, [h, c]] = (m as nn.LSTM).run(x);
      return [o, h, c];
    },
  },
  {
    name: 'GRU',
    module: { py: 'nn.GRU(3, 4)', ts: (dtype, rng) => new nn.GRU(3, 4, { dtype, rng }) },
    inputs: { x: { shape: [5, 2, 3] }, h: { shape: [1, 2, 4] } },
    py: 'o, hn = m(x, h)\nout = (o, hn)',
    ts: ({ x, h }, _d, m) => (m as nn.GRU).run(x, h),
  },
  {
    name: 'GRU 2 layers bidirectional batch_first',
    module: { py: 'nn.GRU(3, 4, num_layers=2, bidirectional=True, batch_first=True)', ts: (dtype, rng) => new nn.GRU(3, 4, { numLayers: 2, bidirectional: true, batchFirst: true, dtype, rng }) },
    inputs: { x: { shape: [2, 4, 3] } },
    py: 'o, hn = m(x)\nout = (o, hn)',
    ts: ({ x }, _d, m) => (m as nn.GRU).run(x),
  },
  // hidden 16, batch 4: each step's gates and tanh(c) run on the SIMD kernels in float32
  {
    name: 'LSTM wide enough for the gate kernels',
    module: { py: 'nn.LSTM(3, 16)', ts: (dtype, rng) => new nn.LSTM(3, 16, { dtype, rng }) },
    inputs: { x: { shape: [6, 4, 3] } },
    py: 'o, (h, c) = m(x)\nout = (o, h, c)',
    ts: ({ x }, _d, m) => {
      const [o, [h, c]] = (m as nn.LSTM).run(x);
      return [o, h, c];
    },
  },
  {
    name: 'GRU wide enough for the gate kernels',
    module: { py: 'nn.GRU(3, 16)', ts: (dtype, rng) => new nn.GRU(3, 16, { dtype, rng }) },
    inputs: { x: { shape: [6, 4, 3] } },
    py: 'o, hn = m(x)\nout = (o, hn)',
    ts: ({ x }, _d, m) => (m as nn.GRU).run(x),
  },
  {
    name: 'RNN tanh wide enough for the kernel',
    module: { py: 'nn.RNN(3, 16)', ts: (dtype, rng) => new nn.RNN(3, 16, { dtype, rng }) },
    inputs: { x: { shape: [6, 4, 3] } },
    py: 'o, h = m(x)\nout = (o, h)',
    ts: ({ x }, _d, m) => (m as nn.RNN).run(x),
  },
  {
    name: 'LSTM feeding a Linear on its last step',
    module: { py: 'nn.LSTM(3, 4, batch_first=True)', ts: (dtype, rng) => new nn.LSTM(3, 4, { batchFirst: true, dtype, rng }) },
    inputs: { x: { shape: [2, 6, 3] }, w: { shape: [1, 4] } },
    py: 'o, _ = m(x)\nout = o[:, -1, :] @ w.t()',
    ts: ({ x, w }, _d, m) => F.matmul(F.getItem((m as nn.LSTM).run(x)[0], [F.ALL, -1, F.ALL]), F.t(w)),
  },
  {
    name: 'RNNCell relu',
    module: { py: "nn.RNNCell(3, 4, nonlinearity='relu')", ts: (dtype, rng) => new nn.RNNCell(3, 4, { nonlinearity: 'relu', dtype, rng }) },
    inputs: { x: { shape: [2, 3] }, h: { shape: [2, 4] } },
    py: 'out = m(x, h)',
    ts: ({ x, h }, _d, m) => (m as nn.RNNCell).run(x, h),
  },
  {
    name: 'LSTMCell over three steps',
    module: { py: 'nn.LSTMCell(3, 4)', ts: (dtype, rng) => new nn.LSTMCell(3, 4, { dtype, rng }) },
    inputs: { x: { shape: [3, 2, 3] } },
    py: 'h, c = m(x[0])\nfor t in range(1, 3):\n    h, c = m(x[t], (h, c))\nout = (h, c)',
    ts: ({ x }, _d, m) => {
      const cell = m as nn.LSTMCell;
      let [h, c] = cell.run(F.getItem(x, [0]));
      for (let t = 1; t < 3; t++) [h, c] = cell.run(F.getItem(x, [t]), [h, c]);
      return [h, c];
    },
  },
  {
    name: 'GRUCell unbatched',
    module: { py: 'nn.GRUCell(3, 4)', ts: (dtype, rng) => new nn.GRUCell(3, 4, { dtype, rng }) },
    inputs: { x: { shape: [3] }, h: { shape: [4] } },
    py: 'out = m(x, h)',
    ts: ({ x, h }, _d, m) => (m as nn.GRUCell).run(x, h),
  },

  // ── attention and transformers ──
  {
    name: 'MultiheadAttention self-attention with weights',
    module: { py: 'nn.MultiheadAttention(8, 2)', ts: (dtype, rng) => new nn.MultiheadAttention(8, 2, { dtype, rng }) },
    inputs: { x: { shape: [5, 3, 8] } },
    py: 'o, w = m(x, x, x)\nout = (o, w)',
    ts: ({ x }, _d, m) => (m as nn.MultiheadAttention).run(x, x, x) as Tensor[],
  },
  {
    name: 'MultiheadAttention batch_first, causal float mask and key padding',
    module: { py: 'nn.MultiheadAttention(6, 3, batch_first=True)', ts: (dtype, rng) => new nn.MultiheadAttention(6, 3, { batchFirst: true, dtype, rng }) },
    inputs: { x: { shape: [2, 4, 6] }, pad: { shape: [2, 4], dtype: 'bool', values: [0, 0, 0, 1, 0, 0, 1, 1] } },
    py: 'mask = nn.Transformer.generate_square_subsequent_mask(4).to(x.dtype)\no, w = m(x, x, x, key_padding_mask=pad, attn_mask=mask)\nout = (o, w)',
    ts: ({ x, pad }, dtype, m) => (m as nn.MultiheadAttention).run(x, x, x, { keyPaddingMask: pad, attnMask: F.generateSquareSubsequentMask(4, dtype) }) as Tensor[],
  },
  {
    name: 'MultiheadAttention bool mask, weights per head',
    module: { py: 'nn.MultiheadAttention(4, 2)', ts: (dtype, rng) => new nn.MultiheadAttention(4, 2, { dtype, rng }) },
    inputs: { q: { shape: [3, 2, 4] }, k: { shape: [5, 2, 4] }, v: { shape: [5, 2, 4] }, mask: { shape: [3, 5], dtype: 'bool', values: [0, 1, 0, 0, 1, 0, 0, 1, 1, 0, 1, 1, 0, 0, 0] } },
    py: 'o, w = m(q, k, v, attn_mask=mask, average_attn_weights=False)\nout = (o, w)',
    ts: ({ q, k, v, mask }, _d, m) => (m as nn.MultiheadAttention).run(q, k, v, { attnMask: mask, averageAttnWeights: false }) as Tensor[],
  },
  {
    name: 'MultiheadAttention kdim vdim, bias_kv, zero attention',
    module: { py: 'nn.MultiheadAttention(4, 2, kdim=3, vdim=5, add_bias_kv=True, add_zero_attn=True)', ts: (dtype, rng) => new nn.MultiheadAttention(4, 2, { kdim: 3, vdim: 5, addBiasKv: true, addZeroAttn: true, dtype, rng }) },
    inputs: { q: { shape: [3, 2, 4] }, k: { shape: [4, 2, 3] }, v: { shape: [4, 2, 5] }, pad: { shape: [2, 4], dtype: 'bool', values: [0, 1, 0, 0, 0, 0, 0, 1] } },
    py: 'o, w = m(q, k, v, key_padding_mask=pad)\nout = (o, w)',
    ts: ({ q, k, v, pad }, _d, m) => (m as nn.MultiheadAttention).run(q, k, v, { keyPaddingMask: pad }) as Tensor[],
  },
  {
    name: 'MultiheadAttention cross-attention, key is value, unbatched',
    module: { py: 'nn.MultiheadAttention(4, 1, bias=False)', ts: (dtype, rng) => new nn.MultiheadAttention(4, 1, { bias: false, dtype, rng }) },
    inputs: { q: { shape: [3, 4] }, kv: { shape: [5, 4] } },
    py: 'o, w = m(q, kv, kv)\nout = (o, w)',
    ts: ({ q, kv }, _d, m) => (m as nn.MultiheadAttention).run(q, kv, kv) as Tensor[],
  },
  {
    name: 'TransformerEncoderLayer',
    module: { py: 'nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0)', ts: (dtype, rng) => new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0, dtype, rng }) },
    inputs: { x: { shape: [5, 2, 8] } },
    py: 'out = m(x)',
    ts: ({ x }, _d, m) => m.call(x),
  },
  {
    name: 'TransformerEncoderLayer norm_first gelu batch_first with masks',
    module: {
      py: "nn.TransformerEncoderLayer(6, 3, dim_feedforward=12, dropout=0.0, activation='gelu', batch_first=True, norm_first=True)",
      ts: (dtype, rng) => new nn.TransformerEncoderLayer(6, 3, { dimFeedforward: 12, dropout: 0, activation: 'gelu', batchFirst: true, normFirst: true, dtype, rng }),
    },
    inputs: { x: { shape: [2, 4, 6] }, pad: { shape: [2, 4], dtype: 'bool', values: [0, 0, 1, 1, 0, 0, 0, 1] } },
    py: 'mask = nn.Transformer.generate_square_subsequent_mask(4).to(x.dtype)\nout = m(x, src_mask=mask, src_key_padding_mask=pad)',
    ts: ({ x, pad }, dtype, m) => (m as nn.TransformerEncoderLayer).run(x, { srcMask: F.generateSquareSubsequentMask(4, dtype), srcKeyPaddingMask: pad }),
  },
  {
    name: 'TransformerEncoder 2 layers with a final norm',
    module: {
      py: 'nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0), 2, norm=nn.LayerNorm(8))',
      ts: (dtype, rng) => new nn.TransformerEncoder(new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0, dtype, rng }), 2, { norm: new nn.LayerNorm(8, { dtype }) }),
    },
    inputs: { x: { shape: [4, 2, 8] } },
    py: 'out = m(x)',
    ts: ({ x }, _d, m) => m.call(x),
  },
  {
    name: 'TransformerDecoderLayer',
    module: { py: 'nn.TransformerDecoderLayer(8, 2, dim_feedforward=16, dropout=0.0)', ts: (dtype, rng) => new nn.TransformerDecoderLayer(8, 2, { dimFeedforward: 16, dropout: 0, dtype, rng }) },
    inputs: { t: { shape: [3, 2, 8] }, mem: { shape: [5, 2, 8] } },
    py: 'mask = nn.Transformer.generate_square_subsequent_mask(3).to(t.dtype)\nout = m(t, mem, tgt_mask=mask)',
    ts: ({ t, mem }, dtype, m) => (m as nn.TransformerDecoderLayer).run(t, mem, { tgtMask: F.generateSquareSubsequentMask(3, dtype) }),
  },
  {
    name: 'Transformer encoder-decoder',
    module: {
      py: 'nn.Transformer(d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=1, dim_feedforward=16, dropout=0.0, batch_first=True)',
      ts: (dtype, rng) => new nn.Transformer({ dModel: 8, nhead: 2, numEncoderLayers: 2, numDecoderLayers: 1, dimFeedforward: 16, dropout: 0, batchFirst: true, dtype, rng }),
    },
    inputs: { s: { shape: [2, 5, 8] }, t: { shape: [2, 3, 8] } },
    py: 'mask = m.generate_square_subsequent_mask(3).to(t.dtype)\nout = m(s, t, tgt_mask=mask)',
    ts: ({ s, t }, dtype, m) => (m as nn.Transformer).run(s, t, { tgtMask: F.generateSquareSubsequentMask(3, dtype) }),
  },
  {
    name: 'Transformer used for its encoder only keeps the decoder parameters',
    module: {
      py: 'nn.Transformer(d_model=4, nhead=2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=8, dropout=0.0)',
      ts: (dtype, rng) => new nn.Transformer({ dModel: 4, nhead: 2, numEncoderLayers: 1, numDecoderLayers: 1, dimFeedforward: 8, dropout: 0, dtype, rng }),
    },
    inputs: { s: { shape: [3, 2, 4] } },
    py: 'out = m.encoder(s)',
    ts: ({ s }, _d, m) => (m as nn.Transformer).encoder.call(s),
    // The encoder's final LayerNorm cancels terms far larger than some gradients it passes back:
    // self_attn.out_proj.bias[1] is -0.054823 (float64), and torch 1.13's float32 gives it 3e-5
    // from that with AVX2 OpenBLAS kernels, 6e-5 with Sandybridge's or Nehalem's (OPENBLAS_CORETYPE:
    // a CPU without AVX2) and 5e-5 on ATen's plain path (ATEN_CPU_CAPABILITY=default); ours is within
    // 1.2e-5 of it. 1e-5 failed on those kernels; 1e-4 still refuses any gradient that is wrong.
    float32Rtol: 1e-4,
  },

  // ── normalisation, pooling, containers ──
  {
    name: 'GroupNorm',
    module: { py: 'nn.GroupNorm(2, 4)', ts: (dtype) => new nn.GroupNorm(2, 4, { dtype }) },
    inputs: { x: { shape: [3, 4, 5] } },
    py: 'out = m(x)',
    ts: ({ x }, _d, m) => m.call(x),
  },
  {
    name: 'InstanceNorm2d affine with running stats',
    module: { py: 'nn.InstanceNorm2d(3, affine=True, track_running_stats=True)', ts: (dtype) => new nn.InstanceNorm2d(3, { affine: true, trackRunningStats: true, dtype }) },
    inputs: { x: { shape: [2, 3, 4, 4] } },
    py: 'y = m(x)\nout = (y, m.running_mean * 1, m.running_var * 1)',
    ts: ({ x }, _d, m) => {
      const y = m.call(x);
      const st = new Map(m.namedBufferTensors());
      return [y, F.mul(st.get('running_mean')!, 1), F.mul(st.get('running_var')!, 1)];
    },
  },
  {
    name: 'InstanceNorm1d unbatched',
    module: { py: 'nn.InstanceNorm1d(3)', ts: (dtype) => new nn.InstanceNorm1d(3, { dtype }) },
    inputs: { x: { shape: [3, 6] } },
    py: 'out = m(x)',
    ts: ({ x }, _d, m) => m.call(x),
  },
  {
    name: 'Sequential of the new activations, adaptive pooling and an in-place ReLU',
    module: {
      py: 'nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.ReLU(inplace=True), nn.Dropout2d(0.0), nn.SiLU(), nn.AdaptiveAvgPool2d((2, 3)), nn.Flatten(), nn.Linear(24, 8), nn.Mish(), nn.Hardtanh(-0.5, 0.5), nn.Linear(8, 4), nn.ReLU6(), nn.Tanhshrink())',
      ts: (dtype, rng) =>
        new nn.Sequential([
          new nn.Conv2d(2, 4, 3, { padding: 1, dtype, rng }),
          new nn.ReLU(true),
          new nn.Dropout2d(0, rng),
          new nn.SiLU(),
          new nn.AdaptiveAvgPool2d([2, 3]),
          new nn.Flatten(),
          new nn.Linear(24, 8, { dtype, rng }),
          new nn.Mish(),
          new nn.Hardtanh(-0.5, 0.5),
          new nn.Linear(8, 4, { dtype, rng }),
          new nn.ReLU6(),
          new nn.Tanhshrink(),
        ]),
    },
    inputs: { x: { shape: [2, 2, 5, 7] } },
    py: 'out = m(x)',
    ts: ({ x }, _d, m) => m.call(x),
  },
  {
    name: "Unflatten back to channels (one size inferred) and ConvTranspose2d up: an autoencoder's decoder",
    module: {
      py: 'nn.Sequential(nn.Linear(6, 18), nn.ReLU(), nn.Unflatten(1, (2, -1, 3)), nn.ConvTranspose2d(2, 1, 3, stride=2, padding=1, output_padding=1), nn.Flatten())',
      ts: (dtype, rng) =>
        new nn.Sequential([
          new nn.Linear(6, 18, { dtype, rng }),
          new nn.ReLU(),
          new nn.Unflatten(1, [2, -1, 3]),
          new nn.ConvTranspose2d(2, 1, 3, { stride: 2, padding: 1, outputPadding: 1, dtype, rng }),
          new nn.Flatten(),
        ]),
    },
    inputs: { x: { shape: [2, 6] } },
    py: 'out = m(x)',
    ts: ({ x }, _d, m) => m.call(x),
  },
  {
    name: 'ModuleList and ModuleDict names',
    module: {
      py: 'nn.ModuleDict({"enc": nn.ModuleList([nn.Linear(3, 4), nn.Linear(4, 4)]), "head": nn.Linear(4, 2)})',
      ts: (dtype, rng) => new nn.ModuleDict({ enc: new nn.ModuleList([new nn.Linear(3, 4, { dtype, rng }), new nn.Linear(4, 4, { dtype, rng })]), head: new nn.Linear(4, 2, { dtype, rng }) }),
    },
    inputs: { x: { shape: [5, 3] } },
    py: 'h = x\nfor l in m["enc"]:\n    h = torch.tanh(l(h))\nout = m["head"](h)',
    ts: ({ x }, _d, m) => {
      const d = m as nn.ModuleDict;
      let h = x;
      for (const l of d.get('enc') as nn.ModuleList) h = F.tanh(l.call(h));
      return d.get('head').call(h);
    },
  },

  // ── NaN and ±inf through the layers ──
  {
    name: 'LSTM with NaN and inf in the input',
    module: { py: 'nn.LSTM(2, 3)', ts: (dtype, rng) => new nn.LSTM(2, 3, { dtype, rng }) },
    inputs: { x: { shape: [4, 1, 2], values: [0.5, -0.2, Infinity, 0.1, -Infinity, 0.3, NaN, 0.2], grad: false } },
    py: 'o, (h, c) = m(x)\nout = (o, h, c)',
    ts: ({ x }, _d, m) => {
      const [o, [h, c]] = (m as nn.LSTM).run(x);
      return [o, h, c];
    },
  },
  {
    name: 'MultiheadAttention with a fully masked sample',
    module: { py: 'nn.MultiheadAttention(4, 2)', ts: (dtype, rng) => new nn.MultiheadAttention(4, 2, { dtype, rng }) },
    inputs: { x: { shape: [3, 2, 4] }, pad: { shape: [2, 3], dtype: 'bool', values: [1, 1, 1, 0, 1, 0] } },
    py: 'o, w = m(x, x, x, key_padding_mask=pad)\nout = (o, w)',
    ts: ({ x, pad }, _d, m) => (m as nn.MultiheadAttention).run(x, x, x, { keyPaddingMask: pad }) as Tensor[],
  },
  {
    name: 'GroupNorm with an infinite input',
    module: { py: 'nn.GroupNorm(2, 4)', ts: (dtype) => new nn.GroupNorm(2, 4, { dtype }) },
    inputs: { x: { shape: [1, 4, 2], values: [1, 2, Infinity, 4, 5, 6, 7, 8], grad: false } },
    py: 'out = m(x)',
    ts: ({ x }, _d, m) => m.call(x),
  },
];
