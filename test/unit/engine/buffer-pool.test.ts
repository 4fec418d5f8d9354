import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import * as F from '../../../src/engine';
import { backward, setMemoryLimit, Tensor, topologicalOrder } from '../../../src/engine';
import { emptyPool, giveBack, poolCounts, pooledBytes, setPooling, startTracking, stopTracking, takeFloat32 } from '../../../src/engine/buffer-pool';
import { kernelMemoryHeld, memoryInUse, resetEngineState } from '../../../src/engine/context';
import { apply } from '../../../src/engine/dispatch';
import { alloc, allocUnzeroed, type DType } from '../../../src/engine/dtype';
import { kernelInfo } from '../../../src/engine/kernels/core';
import { reluGradKernel, softmaxRowsKernel, unaryKernel } from '../../../src/engine/kernels/elementwise';
import { maxPoolKernel } from '../../../src/engine/kernels/pooling';
import { parseSpec } from '../../../src/model';
import { forwardBackward, prepare } from '../../../src/trace/run';
import { sameBits, usePoisonedPool } from '../../support/pool';

const ROOT = join(__dirname, '../../..');

function session(file: string, dtype: DType) {
  const path = join(ROOT, file);
  const { spec } = parseSpec(readFileSync(path, 'utf8'), path);
  if (!spec) throw new Error(`${file} does not parse`);
  return prepare(spec, { dtype });
}

const snapshot = (a: ArrayLike<number>) => Float64Array.from(a);


describe('buffer pool', () => {
  usePoisonedPool();

  for (const [file, dtype] of [
    ['bench/models/transformer.grad.yaml', 'float32'],
    ['bench/models/lstm.grad.yaml', 'float32'],
    ['bench/models/cifar-cnn.grad.yaml', 'float32'],
    ['bench/models/lstm.grad.yaml', 'float64'],
  ] as const) {
    it(`gives back only dead gradients: ${file} (${dtype}) steps again on reused arrays to the same bits, every tensor it still holds unchanged`, function () {
      const s = session(file, dtype);
      const loss = forwardBackward(s);
      const grads1 = s.built.params.map((p) => p.grad!);
      const want = grads1.map(snapshot);
      // Every tensor of the first step's graph is still referenced here: none of its values may be reused.
      const held = topologicalOrder(loss).map((t): [Tensor, Float64Array] => [t, snapshot(t.data)]);
      const before = poolCounts().reused;
      forwardBackward(s);
      assert.ok(poolCounts().reused > before, 'the second step reused arrays from the first');
      s.built.params.forEach((p, i) => sameBits(p.grad!, want[i], `${p.name}'s gradient`));
      // The first step's .grad arrays belong to whoever kept them, not to the pool.
      grads1.forEach((g, i) => sameBits(g, want[i], `first step's ${s.built.params[i].name}.grad`));
      for (const [t, v] of held) sameBits(t.data, v, `${t.node?.kind ?? 'leaf'} ${t.shape}`);
    });
  }

  it("never gives back the dy a custom op's backward was handed (the user's code may keep it)", () => {
    const kept: { dy: Tensor; values: Float64Array }[] = [];
    const custom = {
      name: 'keepsDy',
      forward: (x: Tensor) => F.scale(x, 2),
      backward: (_x: Tensor, _y: Tensor, dy: Tensor) => {
        kept.push({ dy, values: snapshot(dy.data) });
        return F.scale(dy, 2);
      },
    };
    const x = F.tensor(Array.from({ length: 2048 }, (_, i) => i / 2048), [2048], 'float32', true);
    const w = F.tensor(Array.from({ length: 2048 }, (_, i) => 1 - i / 4096), [2048], 'float32');
    for (let i = 0; i < 3; i++) backward(F.sum(F.mul(F.tanh(apply('custom', [x], custom)), w)));
    assert.ok(pooledBytes() > 0 || poolCounts().reused > 0, 'the walk gave arrays back');
    for (const k of kept) sameBits(k.dy.data, k.values, 'kept dy');
  });

  it("with pooling off (the bench's switch) nothing is reused, and a step computes the same gradients", () => {
    const grads = (on: boolean) => {
      const was = setPooling(on);
      try {
        const s = session('bench/models/lstm.grad.yaml', 'float32');
        forwardBackward(s);
        const before = poolCounts().reused;
        forwardBackward(s);
        return { reused: poolCounts().reused - before, grads: s.built.params.map((p) => snapshot(p.grad!)) };
      } finally {
        setPooling(was);
      }
    };
    const off = grads(false);
    const on = grads(true);
    assert.equal(off.reused, 0);
    assert.ok(on.reused > 0);
    on.grads.forEach((g, i) => sameBits(g, off.grads[i], `gradient ${i}`));
  });

  it('refuses to hand out an array written after it was given back', () => {
    const t = startTracking();
    const a = takeFloat32(1024);
    stopTracking(t);
    assert.ok(giveBack(a, t.record));
    assert.ok(!giveBack(a, t.record), 'given back once only');
    a[3] = 1;
    assert.throws(() => takeFloat32(1024), /written after it was given back/);
  });

  it('counts idle pooled arrays against the tensor memory cap and lets them go before the cap refuses a step', () => {
    const s = session('bench/models/lstm.grad.yaml', 'float32');
    forwardBackward(s);
    const step = memoryInUse();
    // Room for one step's tensors and the kernels' memory and little more: the pool must give way rather than the step fail.
    const cap = (step + kernelMemoryHeld()) * 1.05;
    assert.ok(step + kernelMemoryHeld() + pooledBytes() > cap, 'the pool alone would go over the cap');
    setMemoryLimit(cap);
    try {
      for (let i = 0; i < 3; i++) {
        forwardBackward(s);
        assert.ok(memoryInUse() + kernelMemoryHeld() + pooledBytes() <= cap, `step ${i}: ${memoryInUse()} + ${pooledBytes()} pooled over the cap`);
      }
    } finally {
      setMemoryLimit(Infinity);
    }
    assert.equal(pooledBytes(), 0, 'a new cap empties the pool');
  });
  it("the WebAssembly core's elementwise and max-pool results and a reshape's copy come from the pool, so a step scope reuses them", function () {
    if (kernelInfo().backend === 'js') this.skip();
    const n = 4096;
    const x = new Float32Array(n).map((_, i) => Math.sin(i));
    // Arrays of n floats given back, then each kernel must be handed exactly those.
    const pooledArrays = (count: number) => {
      const t = startTracking();
      const taken = Array.from({ length: count }, () => takeFloat32(n));
      stopTracking(t);
      for (const a of taken) assert.ok(giveBack(a, t.record));
      return taken;
    };
    const results: [string, () => Float32Array | null][] = [
      ['relu', () => unaryKernel('relu', x)],
      ['relu gradient', () => reluGradKernel(x, x)],
      ['softmax', () => softmaxRowsKernel(x, 64)],
      // a reshape's copy (what a view and clone() hold), e.g. the CNN's flattened activations
      ['reshape', () => F.clone(new Tensor(x, [n])).data as Float32Array],
    ];
    for (const [what, run] of results) {
      const [a] = pooledArrays(1);
      assert.equal(run(), a, `${what}: its result is the pooled array`);
    }
    // Max pooling's output and its argmax, as float32 bytes the op saves beside the Int32Array view.
    const given = new Set(pooledArrays(2));
    const pool = maxPoolKernel(new Float32Array(4 * n), { planes: 4, h: 64, w: 64, kh: 2, kw: 2, sh: 2, sw: 2, ph: 0, pw: 0, oh: 32, ow: 32, shape: [4, 32, 32] });
    assert.ok(pool && given.has(pool.out as Float32Array) && given.has(pool.argmaxStorage) && pool.out !== pool.argmaxStorage, 'max pool: output and argmax are the pooled arrays');
    assert.equal(pool.argmax.buffer, pool.argmaxStorage.buffer);
  });
  it('alloc zeroes an array it reuses; allocUnzeroed (for kernels that write every element) hands it out as given back', () => {
    const n = 1000;
    const given = () => {
      const t = startTracking();
      const a = takeFloat32(n);
      stopTracking(t);
      assert.ok(giveBack(a, t.record));
      return a;
    };
    const a = given();
    // the checking mode filled it with NaN when it came back
    assert.equal(allocUnzeroed('float32', n), a);
    assert.ok(a.every(Number.isNaN), 'allocUnzeroed left the values as given back');
    const b = given();
    assert.equal(alloc('float32', n), b);
    assert.ok(b.every((v) => v === 0), 'alloc zeroed it');
  });

  it("arrays nobody records (a user's forward) are carved a few to a buffer: zeroed, never sharing values, never given back", () => {
    // A length no other test takes; and an empty pool, since in a whole-suite run an array of any
    // length may have been given back before (a fresh clone's run got arrays[0] from the pool).
    const n = 1237;
    emptyPool();
    const arrays: (Float32Array | Float64Array)[] = [];
    for (let i = 0; i < 20; i++) arrays.push(i % 3 === 2 ? allocUnzeroed('float64', n) : i % 2 ? allocUnzeroed('float32', n) : alloc('float32', n));
    assert.ok(arrays.every((a) => a.length === n && a.every((v) => v === 0)), 'every carved array starts zeroed, unzeroed or not');
    assert.equal(arrays[0].buffer, arrays[1].buffer, 'consecutive float32 arrays of one length share a buffer');
    // Each holds its own values: one written never shows in another.
    arrays.forEach((a, i) => a.fill(i + 1));
    arrays.forEach((a, i) => assert.ok(a.every((v) => v === i + 1), `array ${i} was overwritten by another`));
    // Not its buffer's only array: giving it back would hand its neighbours' bytes out again.
    const t = startTracking();
    stopTracking(t);
    t.record.add(arrays[3]);
    assert.equal(giveBack(arrays[3], t.record), false);
  });

  it('a fresh array past the carved size starts zeroed from alloc, even where the allocator reuses memory an unzeroed one held', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    // 64 KB: under malloc's mmap threshold, so a freed buffer's memory is handed out again as it was
    const n = 16411;
    for (let i = 0; i < 20; i++) {
      emptyPool();
      allocUnzeroed('float32', n).fill(7);
      gc();
      const a = alloc('float32', n);
      assert.ok(a.every((v) => v === 0), `round ${i}: a zeroed array held ${a.find((v) => v !== 0)}`);
    }
  });

  it('a run terminated inside a recording (its finally never ran) leaves no recording open once the engine is reset', () => {
    // What a script's time limit does mid-backward: vm's timeout ends the script without its finally.
    startTracking();
    resetEngineState();
    const n = 1913;
    const [a, b] = [alloc('float32', n), alloc('float32', n)];
    assert.equal(a.buffer, b.buffer, 'arrays nobody records are carved again, not recorded (and held) by the dead run');
  });

  it("a tensor the user's forward made keeps its values through later steps that reuse and carve arrays of its size", () => {
    const rng = new F.Rng(5);
    const w = F.requireGrad(new Tensor(Float32Array.from({ length: 48 * 48 }, () => rng.normal() * 0.1), [48, 48]));
    const x = new Tensor(Float32Array.from({ length: 32 * 48 }, () => rng.normal()), [32, 48]);
    const step = () => {
      w.grad = null;
      const h = F.sigmoid(F.matmul(x, w));
      backward(F.sum(F.mul(h, h)));
      return h;
    };
    // With the pool on, later forwards reuse the backward's given-back arrays; off, every one is carved.
    for (const pooling of [true, false]) {
      const before = setPooling(pooling);
      try {
        const kept = step();
        const values = Array.from(kept.data);
        for (let i = 0; i < 12; i++) step();
        assert.deepEqual(Array.from(kept.data), values, `pooling ${pooling ? 'on' : 'off'}`);
      } finally {
        setPooling(before);
      }
    }
  });
});
