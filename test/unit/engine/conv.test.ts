import assert from 'node:assert/strict';
import * as F from '../../../src/engine';
import { backward, tensor, Tensor } from '../../../src/engine';
import { gradcheck, rand } from '../support/gradcheck';

/** Direct convolution from the definition, the reference for conv2d's forward (conv1d is H = 1); taps dh/dw apart when dilated. */
function directConv2d(x: Tensor, w: Tensor, b: Tensor | null, [sh, sw]: number[], [ph, pw]: number[], [dh, dw]: number[] = [1, 1]): number[] {
  const [n, c, h, wd] = x.shape;
  const [o, , kh, kw] = w.shape;
  const oh = Math.floor((h + 2 * ph - dh * (kh - 1) - 1) / sh) + 1;
  const ow = Math.floor((wd + 2 * pw - dw * (kw - 1) - 1) / sw) + 1;
  const out: number[] = [];
  for (let s = 0; s < n; s++) {
    for (let f = 0; f < o; f++) {
      for (let y = 0; y < oh; y++) {
        for (let xq = 0; xq < ow; xq++) {
          let acc = b ? b.data[f] : 0;
          for (let ch = 0; ch < c; ch++) {
            for (let i = 0; i < kh; i++) {
              for (let j = 0; j < kw; j++) {
                const iy = y * sh - ph + i * dh;
                const ix = xq * sw - pw + j * dw;
                if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                acc += x.data[((s * c + ch) * h + iy) * wd + ix] * w.data[((f * c + ch) * kh + i) * kw + j];
              }
            }
          }
          out.push(acc);
        }
      }
    }
  }
  return out;
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-12): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol * (1 + Math.abs(expected[i])), `[${i}] ${actual[i]} vs ${expected[i]}`);
  }
}

/** `op` on float32 copies of x, w, b agrees with float64 within float32 tolerance: forward and the gradient of Σ y·dy (dy seeded by `seed`) for each input. */
function assertFloat32Matches(op: (x: Tensor, w: Tensor, b: Tensor) => Tensor, [x, w, b]: Tensor[], seed: number): void {
  const f32 = (t: Tensor) => new Tensor(Float32Array.from(t.data), t.shape, true);
  const [x32, w32, b32] = [x, w, b].map(f32);
  const y = op(x, w, b);
  const y32 = op(x32, w32, b32);
  assert.ok(y32.data instanceof Float32Array);
  assertClose(y32.data, Array.from(y.data), 1e-5);
  // a weighted sum, so every output's gradient differs
  const dy = rand([...y.shape], seed, -1, 1, false);
  backward(F.sum(F.mul(y, dy)));
  backward(F.sum(F.mul(y32, f32(dy))));
  assertClose(x32.grad!, Array.from(x.grad!), 1e-5);
  assertClose(w32.grad!, Array.from(w.grad!), 1e-5);
  assertClose(b32.grad!, Array.from(b.grad!), 1e-5);
}

describe('conv1d', () => {
  for (const stride of [1, 2]) {
    for (const padding of [0, 1]) {
      it(`stride ${stride}, padding ${padding}: gradient matches finite differences, with and without bias`, () => {
        gradcheck((x, w, b) => F.conv1d(x, w, b, stride, padding), [rand([2, 3, 7], 1), rand([4, 3, 3], 2), rand([4], 3)]);
        gradcheck((x, w) => F.conv1d(x, w, null, stride, padding), [rand([2, 3, 7], 4), rand([4, 3, 3], 5)]);
      });
    }
  }

  it('forward equals the direct convolution and the output length is floor((L + 2p - k)/s) + 1', () => {
    const x = rand([2, 3, 8], 6);
    const w = rand([4, 3, 3], 7);
    const b = rand([4], 8);
    const y = F.conv1d(x, w, b, 2, 1);
    assert.deepEqual(y.shape, [2, 4, 4]);
    const x4 = new Tensor(x.data, [2, 3, 1, 8]);
    const w4 = new Tensor(w.data, [4, 3, 1, 3]);
    assertClose(y.data, directConv2d(x4, w4, b, [1, 2], [0, 1]));
  });

  it('accepts an unbatched (C, L) input', () => {
    const y = F.conv1d(rand([3, 5], 9), rand([2, 3, 2], 10));
    assert.deepEqual(y.shape, [2, 4]);
  });
});

describe('conv2d', () => {
  for (const stride of [1, 2]) {
    for (const padding of [0, 1]) {
      it(`stride ${stride}, padding ${padding}: gradient matches finite differences, with and without bias`, () => {
        gradcheck((x, w, b) => F.conv2d(x, w, b, stride, padding), [rand([2, 2, 5, 6], 1), rand([3, 2, 3, 3], 2), rand([3], 3)]);
        gradcheck((x, w) => F.conv2d(x, w, null, stride, padding), [rand([2, 2, 5, 6], 4), rand([3, 2, 3, 2], 5)]);
      });
    }
  }

  it('gradient matches with unequal strides and paddings', () => {
    gradcheck((x, w, b) => F.conv2d(x, w, b, [2, 1], [0, 1]), [rand([1, 2, 6, 5], 11), rand([2, 2, 2, 3], 12), rand([2], 13)]);
  });

  it('forward equals the direct convolution for every stride and padding', () => {
    for (const [stride, padding] of [[[1, 1], [0, 0]], [[2, 2], [1, 1]], [[1, 2], [1, 0]], [[3, 2], [2, 1]]]) {
      const x = rand([2, 3, 9, 8], 14);
      const w = rand([5, 3, 4, 3], 15);
      const b = rand([5], 16);
      const y = F.conv2d(x, w, b, stride as [number, number], padding as [number, number]);
      const oh = Math.floor((9 + 2 * padding[0] - 4) / stride[0]) + 1;
      const ow = Math.floor((8 + 2 * padding[1] - 3) / stride[1]) + 1;
      assert.deepEqual(y.shape, [2, 5, oh, ow]);
      assertClose(y.data, directConv2d(x, w, b, stride, padding));
    }
  });

  it('a larger float32 convolution (packed GEMM path) matches the direct one', () => {
    const x = rand([2, 8, 12, 12], 17, -1, 1, false);
    const w = rand([16, 8, 3, 3], 18, -1, 1, false);
    const x32 = new Tensor(Float32Array.from(x.data), x.shape);
    const w32 = new Tensor(Float32Array.from(w.data), w.shape);
    const y = F.conv2d(x32, w32, null, 1, 1);
    assert.ok(y.data instanceof Float32Array);
    assertClose(y.data, directConv2d(x32, w32, null, [1, 1], [1, 1]), 1e-5);
  });

  it('refuses a channel mismatch and a kernel larger than the padded input', () => {
    assert.throws(() => F.conv2d(rand([1, 3, 5, 5]), rand([2, 4, 3, 3])), /3 channels but weight \[2, 4, 3, 3\] expects 4/);
    assert.throws(() => F.conv2d(rand([1, 1, 2, 2]), rand([1, 1, 3, 3])), /does not fit/);
    assert.throws(() => F.conv2d(rand([1, 1, 4, 4]), rand([2, 1, 3, 3]), rand([3])), /bias \[3\]/);
  });

  it('NaN in the input reaches exactly the outputs whose window covers it', () => {
    const x = F.zeros([1, 1, 4, 4], 'float64');
    x.data[0] = NaN;
    const y = F.conv2d(x, F.full([1, 1, 2, 2], 1, 'float64'));
    assert.ok(Number.isNaN(y.data[0]));
    assert.equal(y.data.filter(Number.isNaN).length, 1);
  });
});

/** Transposed convolution from its definition: each input pixel adds the kernel, scaled by it, onto the output at stride steps. */
function directConvTranspose2d(x: Tensor, w: Tensor, b: Tensor | null, [sh, sw]: number[], [ph, pw]: number[], [oph, opw]: number[], [dh, dw]: number[] = [1, 1]): number[] {
  const [n, cin, h, wd] = x.shape;
  const [, cout, kh, kw] = w.shape;
  const oh = (h - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1;
  const ow = (wd - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1;
  const out = new Array(n * cout * oh * ow).fill(0);
  for (let s = 0; s < n; s++) {
    for (let f = 0; f < cout; f++) for (let i = 0; i < oh * ow; i++) out[(s * cout + f) * oh * ow + i] = b ? b.data[f] : 0;
    for (let ch = 0; ch < cin; ch++) {
      for (let y = 0; y < h; y++) {
        for (let xq = 0; xq < wd; xq++) {
          const v = x.data[((s * cin + ch) * h + y) * wd + xq];
          for (let f = 0; f < cout; f++) {
            for (let i = 0; i < kh; i++) {
              for (let j = 0; j < kw; j++) {
                const oy = y * sh - ph + i * dh;
                const ox = xq * sw - pw + j * dw;
                if (oy < 0 || oy >= oh || ox < 0 || ox >= ow) continue;
                out[((s * cout + f) * oh + oy) * ow + ox] += v * w.data[((ch * cout + f) * kh + i) * kw + j];
              }
            }
          }
        }
      }
    }
  }
  return out;
}

/** A grouped convolution from the definition: group k convolves its channel slice of x by its rows of w. */
function directGrouped(x: Tensor, w: Tensor, b: Tensor | null, stride: number[], padding: number[], groups: number, dilation: number[] = [1, 1]): number[] {
  const [n, c, h, wd] = x.shape;
  const [o, cg, kh, kw] = w.shape;
  const og = o / groups;
  const parts = [];
  for (let k = 0; k < groups; k++) {
    const xs = new Float64Array(n * cg * h * wd);
    for (let s = 0; s < n; s++) xs.set(x.data.subarray((s * c + k * cg) * h * wd, (s * c + (k + 1) * cg) * h * wd), s * cg * h * wd);
    const ws = new Tensor(Float64Array.from(w.data.subarray(k * og * cg * kh * kw, (k + 1) * og * cg * kh * kw)), [og, cg, kh, kw]);
    const bs = b ? new Tensor(Float64Array.from(b.data.subarray(k * og, (k + 1) * og)), [og]) : null;
    parts.push(directConv2d(new Tensor(xs, [n, cg, h, wd]), ws, bs, stride, padding, dilation));
  }
  const plane = parts[0].length / (n * og);
  const out: number[] = [];
  for (let s = 0; s < n; s++) for (let k = 0; k < groups; k++) out.push(...parts[k].slice(s * og * plane, (s + 1) * og * plane));
  return out;
}

describe('grouped conv2d and conv1d (groups > 1)', () => {
  // [x shape, weight shape, groups, stride, padding]: groups 2, depthwise (groups = C), depthwise with out = 2C
  const cases: [number[], number[], number, [number, number], [number, number]][] = [
    [[2, 4, 5, 7], [6, 2, 3, 3], 2, [1, 1], [1, 1]],
    [[2, 3, 7, 5], [3, 1, 3, 3], 3, [2, 1], [1, 0]],
    [[1, 3, 5, 6], [6, 1, 3, 2], 3, [2, 2], [1, 1]],
  ];
  for (const [xs, ws, groups, stride, padding] of cases) {
    it(`x ${xs}, weight ${ws}, groups ${groups}, stride ${stride}, padding ${padding}: forward is the definition, gradient matches finite differences`, () => {
      const [x, w, b] = [rand(xs, 31), rand(ws, 32), rand([ws[0]], 33)];
      const y = F.conv2d(x, w, b, stride, padding, groups);
      assertClose(y.data, directGrouped(x, w, b, stride, padding, groups));
      gradcheck((x, w, b) => F.conv2d(x, w, b, stride, padding, groups), [x, w, b]);
      gradcheck((x, w) => F.conv2d(x, w, null, stride, padding, groups), [rand(xs, 34), rand(ws, 35)]);
    });
  }

  it('conv1d: groups 2 and depthwise, batched and unbatched, gradients match finite differences', () => {
    gradcheck((x, w, b) => F.conv1d(x, w, b, 2, 1, 2), [rand([2, 4, 7], 36), rand([6, 2, 3], 37), rand([6], 38)]);
    gradcheck((x, w) => F.conv1d(x, w, null, 1, 1, 3), [rand([3, 5], 39), rand([3, 1, 3], 40)]);
  });

  it('float32 (the WebAssembly kernels) matches float64, forward and every gradient', () => {
    assertFloat32Matches((x, w, b) => F.conv2d(x, w, b, 2, 1, 3), [rand([2, 6, 7, 6], 41), rand([12, 2, 3, 3], 42), rand([12], 43)], 44);
  });

  it("refuses what PyTorch refuses, in PyTorch's words", () => {
    assert.throws(() => F.conv2d(rand([1, 4, 5, 5]), rand([3, 2, 3, 3]), null, 1, 0, 2), /Given groups=2, expected weight to be divisible by 2 at dimension 0, but got weight of size \[3, 2, 3, 3\] instead/);
    assert.throws(() => F.conv2d(rand([1, 3, 5, 5]), rand([4, 2, 3, 3]), null, 1, 0, 2), /Given groups=2, weight of size \[4, 2, 3, 3\], expected input\[1, 3, 5, 5\] to have 4 channels, but got 3 channels instead/);
    assert.throws(() => F.conv2d(rand([1, 4, 5, 5]), rand([4, 2, 3, 3]), null, 1, 0, 0), /non-positive groups is not supported/);
  });
});

describe('conv_transpose2d', () => {
  for (const [stride, padding, outputPadding] of [
    [1, 0, 0],
    [2, 0, 0],
    [2, 1, 1],
    [3, 1, 2],
  ]) {
    it(`stride ${stride}, padding ${padding}, output_padding ${outputPadding}: forward is the definition, gradient matches finite differences`, () => {
      const [x, w, b] = [rand([2, 3, 3, 4], 1), rand([3, 2, 3, 3], 2), rand([2], 3)];
      const y = F.convTranspose2d(x, w, b, stride, padding, outputPadding);
      const expected = directConvTranspose2d(x, w, b, [stride, stride], [padding, padding], [outputPadding, outputPadding]);
      assert.deepEqual(y.shape, [2, 2, (3 - 1) * stride - 2 * padding + 3 + outputPadding, (4 - 1) * stride - 2 * padding + 3 + outputPadding]);
      y.data.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-12, `${i}: ${v} vs ${expected[i]}`));
      gradcheck((x, w, b) => F.convTranspose2d(x, w, b, stride, padding, outputPadding), [x, w, b]);
      gradcheck((x, w) => F.convTranspose2d(x, w, null, stride, padding, outputPadding), [rand([1, 3, 2, 3], 4), rand([3, 1, 2, 3], 5)]);
    });
  }

  it('dilation (taps dilation apart): forward is the definition, size (H − 1)·s − 2p + d·(K − 1) + op + 1, gradients match finite differences; 1-D through the 2-D op', () => {
    const [x, w, b] = [rand([2, 3, 3, 4], 31), rand([3, 2, 3, 2], 32), rand([2], 33)];
    const y = F.convTranspose2d(x, w, b, [2, 1], [1, 2], [1, 1], [2, 3]);
    // op 1 with stride 1 is allowed along the width: below the dilation 3
    assert.deepEqual(y.shape, [2, 2, 2 * 2 - 2 + 2 * 2 + 1 + 1, 3 * 1 - 4 + 3 * 1 + 1 + 1]);
    const expected = directConvTranspose2d(x, w, b, [2, 1], [1, 2], [1, 1], [2, 3]);
    y.data.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-12, `${i}: ${v} vs ${expected[i]}`));
    gradcheck((x, w, b) => F.convTranspose2d(x, w, b, [2, 1], [1, 2], [1, 1], [2, 3]), [x, w, b]);
    gradcheck((x, w, b) => F.convTranspose1d(x, w, b, 2, 1, 2, 3), [rand([2, 3, 5], 34), rand([3, 2, 3], 35), rand([2], 36)]);
    assert.deepEqual(F.convTranspose1d(rand([3, 5], 37), rand([3, 2, 4], 38), null, 1, 0, 0, 2).shape, [2, 11]);
    assertFloat32Matches((x, w, b) => F.convTranspose2d(x, w, b, 2, 1, 1, [3, 2]), [rand([2, 4, 5, 6], 39), rand([4, 3, 3, 3], 40), rand([3], 41)], 42);
    assert.throws(() => F.convTranspose2d(rand([1, 2, 4, 4]), rand([2, 1, 3, 3]), null, 1, 0, 2, 2), /output padding must be smaller than either stride or dilation/);
    assert.throws(() => F.convTranspose2d(rand([1, 1, 1, 1]), rand([1, 1, 3, 3]), null, 1, 3, 0, 2), /kernel 3 \(5 wide with dilation 2\) gives an output of size -1 .*Output size is too small/);
    assert.throws(() => F.convTranspose2d(rand([1, 1, 2, 2]), rand([1, 1, 2, 2]), null, 1, 0, 0, 0), /dilation should be greater than zero/);
  });

  it('unequal strides, paddings and kernels; an unbatched input', () => {
    gradcheck((x, w, b) => F.convTranspose2d(x, w, b, [2, 1], [1, 0], [1, 0]), [rand([1, 2, 3, 3], 11), rand([2, 3, 3, 2], 12), rand([3], 13)]);
    const x = rand([2, 3, 3], 14);
    const w = rand([2, 2, 2, 2], 15);
    const batched = F.convTranspose2d(F.reshape(x, [1, 2, 3, 3]), w, null, 2);
    const single = F.convTranspose2d(x, w, null, 2);
    assert.deepEqual(single.shape, [2, 6, 6]);
    assert.deepEqual(Array.from(single.data), Array.from(batched.data));
  });

  it('float32 (the WebAssembly kernels) matches the float64 definition, forward and every gradient', () => {
    assertFloat32Matches((x, w, b) => F.convTranspose2d(x, w, b, [2, 3], [1, 0], [1, 2]), [rand([3, 6, 5, 7], 21), rand([6, 4, 3, 2], 22), rand([4], 23)], 24);
  });

  it("refuses what PyTorch refuses: a channel mismatch, output_padding not below the stride, a bias of the wrong size", () => {
    assert.throws(() => F.convTranspose2d(rand([1, 3, 4, 4]), rand([2, 4, 3, 3])), /3 channels but weight \[2, 4, 3, 3\] expects 2/);
    assert.throws(() => F.convTranspose2d(rand([1, 2, 4, 4]), rand([2, 1, 3, 3]), null, 2, 0, 2), /output padding must be smaller than either stride or dilation/);
    assert.throws(() => F.convTranspose2d(rand([1, 2, 4, 4]), rand([2, 3, 3, 3]), rand([2])), /bias \[2\] must be \[3\]/);
    assert.throws(() => F.convTranspose2d(rand([1, 1, 1, 1]), rand([1, 1, 1, 1]), null, 1, 1), /gives an output of size -1/);
  });

  it('NaN and ±inf in the input reach exactly the outputs their kernel covers; the gradient carries NaN back the same way', () => {
    const x = F.zeros([1, 1, 3, 3], 'float64', true);
    x.data[4] = NaN;
    const w = F.full([1, 1, 2, 2], 1, 'float64', true);
    const y = F.convTranspose2d(x, w, null, 2);
    // stride 2, kernel 2: the centre pixel's 2×2 block of the 6×6 output, nothing else
    assert.equal(y.data.filter(Number.isNaN).length, 4);
    const z = F.zeros([1, 1, 3, 3], 'float64');
    z.data[0] = Infinity;
    const yi = F.convTranspose2d(z, w, null, 1);
    assert.deepEqual(Array.from(yi.data).map((v) => (v === Infinity ? 'inf' : v)), ['inf', 'inf', 0, 0, 'inf', 'inf', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    backward(F.sum(y));
    assert.ok(Number.isNaN(w.grad![0]), 'the weight gradient sums x, NaN included');
    assert.equal(Array.from(x.grad!).filter(Number.isNaN).length, 0, "x's gradient is W's sum over dy, all finite");
  });
});

describe('max_pool2d', () => {
  it('gradient matches finite differences (kernel 2 stride 2, kernel 3 stride 2 padding 1, overlapping windows)', () => {
    gradcheck((x) => F.maxPool2d(x, 2), [rand([2, 2, 4, 6], 1)]);
    gradcheck((x) => F.maxPool2d(x, 3, 2, 1), [rand([1, 2, 5, 5], 2)]);
    gradcheck((x) => F.maxPool2d(x, [2, 3], 1), [rand([1, 1, 4, 5], 3)]);
  });

  it('dilated windows (elements dilation apart, padding skipped): output size as PyTorch, gradient matches finite differences', () => {
    // floor((H + 2p − d·(k − 1) − 1)/s) + 1: (7 + 2 − 4 − 1)/1 + 1 = 5 rows, (6 − 3 − 1)/2 + 1 = 2 columns
    assert.deepEqual(F.maxPool2d(rand([1, 2, 7, 6], 4), [3, 2], [1, 2], [1, 0], [2, 3]).shape, [1, 2, 5, 2]);
    gradcheck((x) => F.maxPool2d(x, 3, 1, 1, 2), [rand([1, 2, 6, 7], 5)]);
    gradcheck((x) => F.maxPool2d(x, [2, 3], [2, 1], [1, 1], [3, 2]), [rand([2, 1, 7, 6], 6)]);
    gradcheck((x) => F.maxPool1d(x, 3, 2, 1, 3), [rand([2, 3, 11], 7)]);
    // ceil_mode: a partial last window (7 → 3 rows of 3 with stride 2), not one that would start in the right padding (7, k 2, s 3, p 1 → 3, not 4).
    assert.deepEqual(F.maxPool2d(rand([1, 2, 7, 6], 8), 3, 2, 0, 1, true).shape, [1, 2, 3, 3]);
    assert.deepEqual(F.maxPool2d(rand([1, 1, 7, 6], 8), 2, 3, 1, 1, true).shape, [1, 1, 3, 3]);
    gradcheck((x) => F.maxPool2d(x, 3, 2, 0, 1, true), [rand([1, 2, 7, 6], 9)]);
    gradcheck((x) => F.maxPool2d(x, 2, 2, 1, 2, true), [rand([1, 1, 8, 9], 10)]);
    // ceil_mode in 1-D, and average pooling's ceil_mode, count_include_pad and divisor_override (PyTorch's divisor: the window clipped to the padded input, or its input elements only).
    gradcheck((x) => F.maxPool1d(x, 3, 2, 1, 1, true), [rand([2, 2, 8], 11)]);
    gradcheck((x) => F.avgPool1d(x, 4, 3, 2, { ceilMode: true, countIncludePad: false }), [rand([1, 2, 10], 12)]);
    gradcheck((x) => F.avgPool2d(x, [2, 3], [3, 2], 1, { ceilMode: true }), [rand([1, 1, 7, 6], 13)]);
    gradcheck((x) => F.avgPool2d(x, 3, 2, 1, { ceilMode: true, countIncludePad: false }), [rand([1, 2, 6, 5], 14)]);
    gradcheck((x) => F.avgPool2d(x, 2, 2, 1, { divisorOverride: 3 }), [rand([1, 1, 5, 5], 15)]);
    // The last ceil window of [1 2 3 4 5] with k 2, s 2 is [5] alone: divided by 1, not 2.
    assert.deepEqual(Array.from(F.avgPool1d(tensor([1, 2, 3, 4, 5], [1, 1, 5], 'float64'), 2, 2, 0, { ceilMode: true }).data), [1.5, 3.5, 5]);
    // Taps 2 apart: positions [0 2 4] → 9, [1 3 5] → 5; dense windows of 3 would both hold the 9.
    const x = tensor([0, 1, 9, 3, 4, 5], [1, 1, 6], 'float64');
    assert.deepEqual(Array.from(F.maxPool1d(x, 3, 1, 0, 2).data), [9, 5]);
    assert.throws(() => F.maxPool2d(rand([1, 2, 5, 5]), 3, null, 0, 3), /kernel 3 \(7 wide with dilation 3\) does not fit an input of size 5 .*Output size is too small/);
    // torch 1.13: an empty result without a gradient, the 2-D op's refusal with one.
    assert.deepEqual(F.maxPool1d(F.requireGrad(rand([1, 2, 5]), false), 3, 1, 0, 3).shape, [1, 2, 0]);
    assert.throws(() => F.maxPool1d(F.requireGrad(rand([1, 2, 5])), 3, 1, 0, 3), /Given input size: \(2x1x5\)\. Calculated output size: \(2x1x-1\)\. Output size is too small/);
  });

  it('sends the gradient to the first maximum on ties and treats padding as -inf', () => {
    const x = tensor([1, 3, 3, 0, -1, -2, -3, -4], [1, 1, 2, 4], 'float64', true);
    const y = F.maxPool2d(x, 2);
    assert.deepEqual(Array.from(y.data), [3, 3]);
    backward(y);
    assert.deepEqual(Array.from(x.grad!), [0, 1, 1, 0, 0, 0, 0, 0]);
    // Negative values with padding 1: the padded zeros must not win.
    const z = tensor([-5, -6, -7, -8], [1, 1, 2, 2], 'float64');
    assert.deepEqual(Array.from(F.maxPool2d(z, 2, 2, 1).data), [-5, -6, -7, -8]);
  });

  it('a window of -inf gives -inf (gradient to its first element); NaN wins its window', () => {
    const x = tensor([-Infinity, -Infinity, NaN, 2, -Infinity, -Infinity, 1, 5], [1, 1, 2, 4], 'float64', true);
    const y = F.maxPool2d(x, 2);
    assert.equal(y.data[0], -Infinity);
    assert.ok(Number.isNaN(y.data[1]));
    backward(y, new Float64Array([1, 1]));
    assert.deepEqual(Array.from(x.grad!), [1, 0, 1, 0, 0, 0, 0, 0]);
  });

  it('output size is floor((H + 2p - k)/s) + 1 and over-large padding is refused', () => {
    assert.deepEqual(F.maxPool2d(rand([2, 3, 7, 6]), 3, 2, 1).shape, [2, 3, 4, 3]);
    assert.deepEqual(F.maxPool2d(rand([3, 7, 6]), 2).shape, [3, 3, 3]);
    assert.throws(() => F.maxPool2d(rand([1, 1, 4, 4]), 2, 2, 2), /at most half/);
  });
});

describe('avg_pool2d', () => {
  it('gradient matches finite differences, with and without padding', () => {
    gradcheck((x) => F.avgPool2d(x, 2), [rand([2, 2, 4, 6], 1)]);
    gradcheck((x) => F.avgPool2d(x, 3, 2, 1), [rand([1, 2, 5, 5], 2)]);
  });

  it('counts the padding in the divisor (count_include_pad=True)', () => {
    const x = F.full([1, 1, 2, 2], 4, 'float64');
    // Each 2×2 window with padding 1 covers one real element and three padded zeros.
    assert.deepEqual(Array.from(F.avgPool2d(x, 2, 2, 1).data), [1, 1, 1, 1]);
    assert.deepEqual(Array.from(F.avgPool2d(tensor([1, 2, 3, 4], [1, 1, 2, 2], 'float64'), 2).data), [2.5]);
  });

  it('propagates NaN and inf from the window', () => {
    const x = tensor([NaN, 1, 1, 1, Infinity, 1, 1, 1], [1, 2, 2, 2], 'float64');
    const y = F.avgPool2d(x, 2).data;
    assert.ok(Number.isNaN(y[0]));
    assert.equal(y[1], Infinity);
  });
});

describe('max_pool1d and avg_pool1d', () => {
  it('gradients match finite differences, batched and unbatched, with stride and padding', () => {
    gradcheck((x) => F.maxPool1d(x, 2), [rand([2, 3, 7], 1)]);
    gradcheck((x) => F.maxPool1d(x, 3, 2, 1), [rand([3, 8], 2)]);
    gradcheck((x) => F.avgPool1d(x, 2), [rand([2, 3, 7], 3)]);
    gradcheck((x) => F.avgPool1d(x, 3, 1, 1), [rand([1, 2, 5], 4)]);
  });

  it('pools the last axis only: floor((L + 2p - k)/s) + 1 values per channel', () => {
    const x = tensor([1, 5, 2, 0, 4, -1, 3, 3, -2, 7, 6, 1], [1, 2, 6], 'float64');
    assert.deepEqual(F.maxPool1d(x, 2).shape, [1, 2, 3]);
    assert.deepEqual(Array.from(F.maxPool1d(x, 2).data), [5, 2, 4, 3, 7, 6]);
    assertClose(F.avgPool1d(x, 3).data, [8 / 3, 1, 4 / 3, 14 / 3], 1e-15);
    // Padding is -inf to max and a zero in the mean's divisor.
    assert.deepEqual(Array.from(F.maxPool1d(tensor([-3, -1, -2], [1, 3], 'float64'), 2, 2, 1).data), [-3, -1]);
    assert.deepEqual(Array.from(F.avgPool1d(tensor([4, 4], [1, 2], 'float64'), 2, 2, 1).data), [2, 2]);
  });

  it("refuses what PyTorch refuses, in the 1-D op's words", () => {
    assert.throws(() => F.maxPool1d(rand([1, 1, 2, 4]), 2), /max_pool1d: Expected 2D or 3D \(batch mode\) tensor with optional 0 dim batch size for input, but got:\[1, 1, 2, 4\]/);
    assert.throws(() => F.maxPool1d(rand([1, 2, 0]), 1), /but got:\[1, 2, 0\]/);
    assert.throws(() => F.avgPool1d(rand([1, 1, 4]), 2, 2, 2), /avg_pool1d: padding 2 should be at most half of kernel size 2/);
    assert.deepEqual(F.maxPool1d(F.requireGrad(rand([1, 1, 2]), false), 3).shape, [1, 1, 0]);
    assert.throws(() => F.maxPool1d(F.requireGrad(rand([1, 1, 2])), 3), /Calculated output size: \(1x1x0\)\. Output size is too small/);
    assert.deepEqual(F.maxPool1d(rand([0, 2, 4]), 2).shape, [0, 2, 2]);
    assert.throws(() => F.avgPool1d(rand([1, 2, 3]), 4), /Given input size: \(2x1x3\)\. Calculated output size: \(2x1x0\)\. Output size is too small/);
  });
});

describe('dilated conv2d and conv1d', () => {
  // [x shape, weight shape, groups, stride, padding, dilation]
  const cases: [number[], number[], number, [number, number], [number, number], [number, number]][] = [
    [[2, 2, 7, 8], [3, 2, 3, 3], 1, [1, 1], [0, 0], [2, 2]],
    [[2, 2, 9, 7], [3, 2, 3, 2], 1, [2, 1], [2, 1], [2, 3]],
    [[1, 4, 8, 8], [4, 2, 3, 3], 2, [1, 2], [4, 4], [4, 2]],
    [[2, 3, 6, 9], [3, 1, 2, 3], 3, [1, 1], [1, 2], [3, 2]],
  ];
  for (const [xs, ws, groups, stride, padding, dilation] of cases) {
    it(`x ${xs}, weight ${ws}, groups ${groups}, stride ${stride}, padding ${padding}, dilation ${dilation}: forward is the definition, gradient matches finite differences`, () => {
      const [x, w, b] = [rand(xs, 51), rand(ws, 52), rand([ws[0]], 53)];
      const y = F.conv2d(x, w, b, stride, padding, groups, dilation);
      const oh = Math.floor((xs[2] + 2 * padding[0] - dilation[0] * (ws[2] - 1) - 1) / stride[0]) + 1;
      const ow = Math.floor((xs[3] + 2 * padding[1] - dilation[1] * (ws[3] - 1) - 1) / stride[1]) + 1;
      assert.deepEqual(y.shape, [xs[0], ws[0], oh, ow]);
      assertClose(y.data, directGrouped(x, w, b, stride, padding, groups, dilation));
      gradcheck((x, w, b) => F.conv2d(x, w, b, stride, padding, groups, dilation), [x, w, b]);
    });
  }

  it('conv1d: dilation 1, 2, 4 with stride, padding, groups; batched and unbatched; gradients match finite differences', () => {
    for (const [d, s, p, g] of [[2, 1, 0, 1], [4, 1, 4, 1], [2, 2, 1, 2], [3, 1, 3, 4]]) {
      const [x, w, b] = [rand([2, 4, 11], 60 + d), rand([4, 4 / g, 3], 61 + d), rand([4], 62 + d)];
      const y = F.conv1d(x, w, b, s, p, g, d);
      const as2d = (t: Tensor) => F.unsqueeze(t, -2);
      assertClose(y.data, directGrouped(as2d(x), as2d(w), b, [1, s], [0, p], g, [1, d]));
      gradcheck((x, w, b) => F.conv1d(x, w, b, s, p, g, d), [x, w, b]);
    }
    gradcheck((x, w) => F.conv1d(x, w, null, 1, 2, 1, 2), [rand([3, 6], 70), rand([2, 3, 3], 71)]);
  });

  it('float32 takes the JavaScript kernels and matches float64, forward and every gradient', () => {
    assertFloat32Matches((x, w, b) => F.conv2d(x, w, b, 1, 2, 3, 2), [rand([2, 6, 9, 8], 81), rand([6, 2, 3, 3], 82), rand([6], 83)], 84);
  });

  it("refuses a dilated kernel wider than the padded input, and dilation below 1", () => {
    assert.throws(() => F.conv2d(rand([1, 1, 5, 5]), rand([1, 1, 3, 3]), null, 1, 0, 1, 3), /kernel 3 \(7 wide with dilation 3\) does not fit an input of size 5/);
    assert.throws(() => F.conv1d(rand([1, 1, 5]), rand([1, 1, 3]), null, 1, 0, 1, 0), /dilation should be greater than zero/);
  });
});
