/**
 * A result left in the kernels' memory for the next call (kernels/chain.ts) must never be read
 * stale: after another call took scratch, after its tensor was written in place, after the
 * backward summed another gradient into it, or after the buffer pool handed the array out again.
 * Each is checked here, and that the chain really engages (else these tests would pass vacuously).
 */
import assert from 'node:assert/strict';
import { backward, nn, Rng, Tensor } from '../../../src/engine';
import * as F from '../../../src/engine/functional';
import { giveBack, startTracking, stopTracking, takeFloat32 } from '../../../src/engine/buffer-pool';
import { forgetLeft, leave, takeLeft } from '../../../src/engine/kernels/chain';
import { kernelCore, setKernelBackend, WasmCore } from '../../../src/engine/kernels/core';
import { gemm } from '../../../src/engine/kernels/gemm';

const ROWS = 16;
const WIDTH = 64;

function randomTensor(rng: Rng, shape: number[], requiresGrad = false): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return new Tensor(Float32Array.from({ length: n }, () => rng.between(-1, 1)), shape, requiresGrad);
}

function core(): WasmCore {
  const c = kernelCore();
  assert.ok(c, 'these tests need the WebAssembly kernels');
  return c;
}

/** Whether `a` is where the last call left it now (taking it, as the next call would, then letting it go). */
function isLeft(a: Float32Array, version = 0): boolean {
  const c = core();
  try {
    return takeLeft(c, a, version) >= 0;
  } finally {
    c.release();
  }
}

/** A call that leaves `a` (its values copied in) at the start of its scratch. */
function leaveArray(a: Float32Array): void {
  const c = core();
  try {
    const at = c.alloc(a.length * 4);
    c.f32.set(a, at >> 2);
    leave(c, a, at);
  } finally {
    c.release();
  }
}

function maxRelativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1e-3, Math.abs(b[i])));
  return worst;
}

describe('results left in the kernels memory for the next call', () => {
  before(() => setKernelBackend('auto'));
  after(() => setKernelBackend('auto'));

  it('a linear layer leaves its output and its activation leaves its own (the chain engages)', () => {
    const rng = new Rng(1);
    const lin = new nn.Linear(WIDTH, WIDTH, { rng });
    const y = lin.call(randomTensor(rng, [ROWS, WIDTH]));
    assert.ok(isLeft(y.data as Float32Array), 'the linear output is left');
    const h = F.sigmoid(lin.call(randomTensor(rng, [ROWS, WIDTH])));
    assert.ok(isLeft(h.data as Float32Array), 'the sigmoid output is left');
  });

  it('a linear layer deeper than one block adds its bias on the core and leaves its output, with the bits of the bias added after', () => {
    const rng = new Rng(2);
    const lin = new nn.Linear(300, WIDTH, { rng });
    const x = randomTensor(rng, [ROWS, 300]);
    const y = lin.call(x).data as Float32Array;
    assert.ok(isLeft(y), 'the linear output is left');
    // the product alone (no bias), then the bias added in JavaScript as float32 values
    const expected = new Float32Array(ROWS * WIDTH);
    gemm(false, true, ROWS, WIDTH, 300, x.data, 0, lin.weight.data, 0, expected, 0, false);
    const b = lin.bias!.data;
    for (let r = 0; r < ROWS; r++) for (let j = 0; j < WIDTH; j++) expected[r * WIDTH + j] += b[j];
    assert.ok(y.every((v, i) => Object.is(v, expected[i])), 'the same bits');
  });

  it('is taken once, and never after another call took scratch, at another version, or once forgotten', () => {
    const a = Float32Array.from({ length: 256 }, (_, i) => i);
    leaveArray(a);
    assert.ok(isLeft(a));
    assert.ok(!isLeft(a), 'taken already');
    leaveArray(a);
    leaveArray(new Float32Array(256));
    assert.ok(!isLeft(a), 'another call took scratch');
    leaveArray(a);
    assert.ok(!isLeft(a, 1), 'its tensor was written');
    leaveArray(a);
    forgetLeft(a);
    assert.ok(!isLeft(a), 'forgotten');
  });

  it('an array the buffer pool takes back is forgotten (it is handed out again with other values)', () => {
    const tracking = startTracking();
    const a = takeFloat32(1024);
    stopTracking(tracking);
    leaveArray(a);
    assert.ok(giveBack(a, tracking.record), 'the pool takes it');
    assert.ok(!isLeft(a));
  });

  it('an activation reads the values its input holds after an in-place write, not the ones left', () => {
    const rng = new Rng(2);
    const lin = new nn.Linear(WIDTH, WIDTH, { rng });
    const y = lin.call(randomTensor(rng, [ROWS, WIDTH]));
    F.clamp_(y, 0, 0.25);
    const h = F.sigmoid(y);
    const want = Array.from(y.data, (v) => 1 / (1 + Math.exp(-v)));
    assert.ok(maxRelativeError(h.data, want) < 1e-6, `sigmoid of the clamped values (error ${maxRelativeError(h.data, want)})`);
  });

  for (const order of ['linear first', 'scaled first']) {
    it(`a gradient summed from two uses of a tensor is read with both terms (${order})`, () => {
      const grads = (backend: 'auto' | 'js') => {
        setKernelBackend(backend);
        const rng = new Rng(3);
        const l1 = new nn.Linear(WIDTH, WIDTH, { rng });
        const l2 = new nn.Linear(WIDTH, WIDTH, { rng });
        const x = randomTensor(rng, [ROWS, WIDTH]);
        // h feeds a linear layer (whose dx is left) and a scaling whose gradient is summed into it
        const h = F.sigmoid(l1.call(x));
        const a = l2.call(h);
        const b = F.mul(h, 3);
        const out = order === 'linear first' ? F.add(a, b) : F.add(b, a);
        backward(F.sum(F.mul(out, out)));
        return Array.from(l1.weight.grad!);
      };
      const js = grads('js');
      const wasm = grads('auto');
      assert.ok(maxRelativeError(wasm, js) < 1e-2, `l1.weight's gradient as the JavaScript kernels give it (error ${maxRelativeError(wasm, js)})`);
    });
  }
});
