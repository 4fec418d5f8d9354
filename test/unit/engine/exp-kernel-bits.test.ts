/**
 * The SIMD exponential behind sigmoid, tanh and exp gives the same bits on the inputs where its
 * clamp and special cases act (NaN, ±inf, the overflow and underflow edges, subnormals, ±0) as the
 * kernel it replaced: a faster clamp (pseudo-min/max instead of NaN-propagating min/max) must not
 * move a single output bit. The digests were taken from the kernel before the change; any change
 * to the arithmetic of exp4, sigmoid4 or tanh4 makes this fail, and must be checked against
 * PyTorch (test/parity) before the digests are taken again.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setKernelBackend } from '../../../src/engine/kernels/core';
import { unaryKernel, UnaryKernel } from '../../../src/engine/kernels/elementwise';

/** Each value and its 16 float32 neighbours on either side. */
function around(values: readonly number[]): number[] {
  const f = new Float32Array(1);
  const bits = new Int32Array(f.buffer);
  const out: number[] = [];
  for (const v of values) {
    f[0] = v;
    const b = bits[0];
    for (let d = -16; d <= 16; d++) {
      bits[0] = b + d;
      out.push(f[0]);
    }
  }
  return out;
}

/** The edge inputs, then a sweep of [-110, 110] dense enough to cross every branch many times. */
function edgeInputs(): Float32Array {
  const specials = [NaN, -NaN, Infinity, -Infinity, 0, -0, 1.4e-45, -1.4e-45, 1.1754942e-38, -1.1754942e-38, 3.4028235e38, -3.4028235e38];
  // exp's overflow (88.72) and underflow (-87.34, -103.97 for subnormals) edges, its clamps (89,
  // -104), tanh's switch (0.625) and where sigmoid and tanh round to ±1, each signed.
  const edges = [88.72284, 88.7, 89, -87.33655, -103.97208, -104, 0.625, 9.01, 16.64, 17.33, 44.36, 1e-3, 1e-20];
  const values = [...specials, ...around([...edges, ...edges.map((v) => -v)])];
  const sweep = 60_000;
  for (let i = 0; i <= sweep; i++) values.push(-110 + (220 * i) / sweep);
  return Float32Array.from(values);
}

/** FNV-1a over the output bits: one number that changes when any bit of any output does. */
function digest(y: Float32Array): string {
  const words = new Uint32Array(y.buffer, y.byteOffset, y.length);
  let h = 0x811c9dc5;
  for (let i = 0; i < words.length; i++) {
    h ^= words[i];
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

const DIST = join(__dirname, '..', '..', '..', 'dist');
const relaxedHere = WebAssembly.validate(readFileSync(join(DIST, 'kernels-relaxed-simd.wasm')));

// Taken from the kernel with f32x4.min/max clamps (the plain SIMD build and, where this runtime
// runs it, the relaxed one, whose fused multiply-adds round differently: Node 20 runs it under
// `node --experimental-wasm-relaxed-simd node_modules/mocha/bin/mocha.js …`, else it is skipped).
const EXPECTED: Record<'simd' | 'relaxed-simd', Record<Exclude<UnaryKernel, 'relu'>, string>> = {
  simd: { exp: '73b4d9ce', sigmoid: '546dc622', tanh: '26fd2e91' },
  'relaxed-simd': { exp: '5f835c07', sigmoid: 'fb1035bb', tanh: '3f12e439' },
};

describe('the SIMD exponential, sigmoid and tanh on edge inputs', () => {
  const x = edgeInputs();
  after(() => setKernelBackend('auto'));
  for (const backend of ['simd', 'relaxed-simd'] as const) {
    it(`${backend}: every output bit as the kernel before the faster clamp (${x.length} inputs)`, function () {
      if (backend === 'relaxed-simd' && !relaxedHere) this.skip();
      assert.equal(setKernelBackend(backend), backend);
      const got: Record<string, string> = {};
      for (const op of ['exp', 'sigmoid', 'tanh'] as const) {
        const y = unaryKernel(op, x);
        assert.ok(y, `${op} ran on the core`);
        got[op] = digest(y);
      }
      assert.deepEqual(got, EXPECTED[backend]);
    });
  }
});
