/**
 * A linear layer's weight kept in the kernels' memory between calls (kernels/resident.ts)
 * must never be read stale: every writer of a tensor's values bumps its version, and each one is
 * checked here by writing the weight of a layer whose weight is kept, then comparing the next
 * forward with x·Wᵀ + b computed from the values the weight now holds. Also: the copies are really
 * kept (else these tests would pass vacuously), gradients a caller holds never change under it, and
 * the kept bytes stay bounded over a long run of fresh tensors.
 */
import assert from 'node:assert/strict';
import * as vm from 'node:vm';
import { Adam, backward, init, loadStateDict, nn, noGrad, Rng, SGD, stateDict, Tensor } from '../../../src/engine';
import { resetEngineState } from '../../../src/engine/context';
import * as F from '../../../src/engine/functional';
import { kernelCore, setKernelBackend } from '../../../src/engine/kernels/core';
import { poolReady, poolTally, setKernelThreads } from '../../../src/engine/kernels/pool';
import { KEPT_MAX_BYTES, keptOffset } from '../../../src/engine/kernels/resident';
import { cloneModule } from '../../../src/engine/nn/containers';
import { restoreModule, snapshotModule } from '../../../src/engine/nn/snapshot';

const IN = 32;
const OUT = 32;
const ROWS = 8;

function randomTensor(rng: Rng, shape: number[], requiresGrad = false): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return new Tensor(Float32Array.from({ length: n }, () => rng.between(-1, 1)), shape, requiresGrad);
}

/** x·Wᵀ + b in float64 from the values the layer holds now. */
function expected(lin: nn.Linear, x: Tensor): Float64Array {
  const w = lin.weight.data;
  const b = lin.bias!.data;
  const out = new Float64Array(ROWS * OUT);
  for (let r = 0; r < ROWS; r++) {
    for (let o = 0; o < OUT; o++) {
      let s = b[o];
      for (let i = 0; i < IN; i++) s += x.data[r * IN + i] * w[o * IN + i];
      out[r * OUT + o] = s;
    }
  }
  return out;
}

function assertForwardSees(lin: nn.Linear, x: Tensor, what: string): void {
  const y = lin.call(x).data;
  const want = expected(lin, x);
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(y[i] - want[i]));
  assert.ok(worst < 1e-4, `${what}: the forward after the write is off by ${worst} (a stale kept weight)`);
}

/** A layer whose weight the core keeps after one forward and backward. */
function keptLayer(seed = 1): { lin: nn.Linear; x: Tensor } {
  const rng = new Rng(seed);
  const lin = new nn.Linear(IN, OUT, { rng, dtype: 'float32' });
  const x = randomTensor(rng, [ROWS, IN]);
  backward(F.sum(lin.call(x)));
  assert.ok(keptOffset(kernelCore()!, lin.weight) >= 0, 'the forward keeps the weight in the core');
  return { lin, x };
}

describe('kept (resident) kernel operands', () => {
  before(function () {
    if (setKernelBackend('auto') === 'js') this.skip();
  });
  after(() => setKernelBackend('auto'));

  it('keeps a linear weight across forward, backward and the next forward, with the same bits as a fresh copy', () => {
    const { lin, x } = keptLayer();
    const core = kernelCore()!;
    const at = keptOffset(core, lin.weight);
    const y1 = lin.call(x).data.slice();
    assert.equal(keptOffset(core, lin.weight), at, 'the second forward reads the same kept copy');
    const fresh = new nn.Linear(IN, OUT, { rng: new Rng(9), dtype: 'float32' });
    fresh.weight.data.set(lin.weight.data);
    fresh.bias!.data.set(lin.bias!.data);
    assert.deepEqual(fresh.call(x).data, y1);
  });

  const writers: [string, (lin: nn.Linear, rng: Rng) => void][] = [
    ['SGD step', (lin) => new SGD(lin.parameters(), { lr: 0.5 }).step()],
    ['SGD step with momentum and weight decay', (lin) => new SGD(lin.parameters(), { lr: 0.5, momentum: 0.9, weightDecay: 0.1 }).step()],
    ['Adam step', (lin) => new Adam(lin.parameters(), { lr: 0.1 }).step()],
    ['init.uniform', (lin, rng) => init.uniform(lin.weight, rng, -1, 1)],
    ['init.normal', (lin, rng) => init.normal(lin.weight, rng)],
    ['init.truncNormal', (lin, rng) => init.truncNormal(lin.weight, rng)],
    ['init.constant', (lin) => init.constant(lin.weight, 0.25)],
    ['init.zeros', (lin) => init.zeros(lin.weight)],
    ['init.ones', (lin) => init.ones(lin.weight)],
    ['init.eye', (lin) => init.eye(lin.weight)],
    ['init.orthogonal', (lin, rng) => init.orthogonal(lin.weight, rng)],
    ['init.sparse', (lin, rng) => init.sparse(lin.weight, rng, 0.5, 1)],
    ['init.xavierUniform', (lin, rng) => init.xavierUniform(lin.weight, rng)],
    ['init.kaimingNormal', (lin, rng) => init.kaimingNormal(lin.weight, rng)],
    ['init.defaultLinear', (lin, rng) => init.defaultLinear(lin.weight, lin.bias, rng)],
    ['in-place op (mul_ under no_grad)', (lin) => noGrad(() => F.mul_(lin.weight, 3))],
    ['in-place op through a detached alias (w.detach().add_)', (lin) => F.add_(F.detach(lin.weight), 1)],
    ['setItem on a slice of the weight', (lin) => noGrad(() => F.setItem(lin.weight, [{ start: 0, stop: 4 }], 2))],
    [
      'loadStateDict',
      (lin, rng) => {
        const other = new nn.Linear(IN, OUT, { rng, dtype: 'float32' });
        loadStateDict(lin, stateDict(other));
      },
    ],
    ['assigning the data array', (lin) => (lin.weight.data = lin.weight.data.map((v) => -v))],
  ];
  for (const [name, write] of writers) {
    it(`${name}: the next forward reads the written weight`, () => {
      const { lin, x } = keptLayer();
      const before = lin.weight.data.slice();
      write(lin, new Rng(5));
      assert.notDeepEqual(lin.weight.data, before, 'the writer changed the weight');
      assertForwardSees(lin, x, name);
    });
  }

  it('cloneModule: the copy computes with the source’s values, not those it was built with', () => {
    const { lin: source, x } = keptLayer(1);
    const { lin: target } = keptLayer(2);
    const copy = cloneModule(source, () => target);
    assertForwardSees(copy, x, 'cloneModule');
  });

  it('restoring a module snapshot (version counters move back) never reads a copy kept in between', () => {
    const { lin, x } = keptLayer();
    const snap = snapshotModule(lin)!;
    new SGD(lin.parameters(), { lr: 0.5 }).step();
    lin.call(x); // keeps the stepped weight at the stepped version
    restoreModule(snap);
    // the same version number again, other values
    new SGD(lin.parameters(), { lr: 2 }).step();
    assertForwardSees(lin, x, 'restore then a different step');
  });

  it('BatchNorm’s training forward bumps its running statistics’ versions', () => {
    const bn = new nn.BatchNorm1d(4);
    const versions = () => [bn.runningMean.version, bn.runningVar.version, bn.numBatchesTracked.version];
    const v0 = versions();
    bn.call(randomTensor(new Rng(1), [6, 4]));
    assert.deepEqual(versions(), v0.map((v) => v + 1));
  });

  it('a gradient the caller holds never changes under it (backward gives each step fresh arrays)', () => {
    const { lin, x } = keptLayer();
    const held = lin.weight.grad!;
    const copy = held.slice();
    lin.weight.grad = null;
    backward(F.sum(F.mul(lin.call(x), 2)));
    assert.notEqual(lin.weight.grad, held);
    assert.deepEqual(held, copy);
  });

  it('float32 forward and gradients match a layer run without kept copies, bit for bit', () => {
    const rng = new Rng(4);
    const lin = new nn.Linear(IN, OUT, { rng, dtype: 'float32' });
    const x = randomTensor(rng, [ROWS, IN], true);
    const grads = () => {
      for (const p of lin.parameters()) p.grad = null;
      x.grad = null;
      const y = lin.call(x);
      backward(F.sum(F.mul(y, y)));
      return [y.data.slice(), lin.weight.grad!.slice(), lin.bias!.grad!.slice(), x.grad!.slice()];
    };
    const first = grads(); // copies in
    const second = grads(); // reads the kept weight
    assert.deepEqual(second, first);
  });

  it('keeps at most KEPT_MAX_BYTES however many layers come and go', () => {
    const rng = new Rng(3);
    const x = randomTensor(rng, [32, 128]);
    const core = kernelCore()!;
    const start = core.bytes;
    for (let i = 0; i < 300; i++) backward(F.sum(new nn.Linear(128, 128, { rng, dtype: 'float32' }).call(x)));
    // 300 weights of 64 KB each would be ~19 MB kept if nothing were freed
    assert.ok(core.bytes - start <= KEPT_MAX_BYTES + 4 * 2 ** 20, `the core grew by ${core.bytes - start} bytes`);
  });

  it('keeps every weight of W4 (1024-1024-1024-10, 8.04 MB) across steps', () => {
    const rng = new Rng(7);
    const layers = [new nn.Linear(1024, 1024, { rng, dtype: 'float32' }), new nn.Linear(1024, 1024, { rng, dtype: 'float32' }), new nn.Linear(1024, 10, { rng, dtype: 'float32' })];
    const model = new nn.Sequential([layers[0], new nn.ReLU(), layers[1], new nn.ReLU(), layers[2]]);
    const x = randomTensor(rng, [16, 1024]);
    const core = kernelCore()!;
    backward(F.sum(model.call(x)));
    const at = layers.map((l) => keptOffset(core, l.weight));
    assert.ok(at.every((a) => a >= 0), `kept at ${at}`);
    backward(F.sum(model.call(x)));
    assert.deepEqual(layers.map((l) => keptOffset(core, l.weight)), at, 'the next step copies none in again');
  });

  describe('a kernel call cut short (the time limit terminates a run, which runs no `finally`)', () => {
    it('the engine reset replaces a core whose call never gave back its scratch, and the next forward is right', () => {
      const { lin, x } = keptLayer(4);
      const cut = kernelCore()!;
      cut.alloc(4096); // what a terminated call leaves: scratch taken, never released
      assert.ok(cut.inCall);
      resetEngineState();
      assert.notEqual(kernelCore(), cut, 'a new core');
      assertForwardSees(lin, x, 'after the reset');
      assert.ok(!kernelCore()!.inCall, 'the forward released its scratch');
    });

    it('leaves a core with no call open as it is (its kept weights stay)', () => {
      const { lin } = keptLayer(5);
      const core = kernelCore()!;
      resetEngineState();
      assert.equal(kernelCore(), core);
      assert.ok(keptOffset(core, lin.weight) >= 0);
    });

    it('a run V8 really terminates in a loop of linear steps: the next steps in this process are right', () => {
      const rng = new Rng(6);
      const lin = new nn.Linear(256, 256, { rng, dtype: 'float32' });
      const x = randomTensor(rng, [64, 256]);
      const slot = globalThis as unknown as Record<string, unknown>;
      slot.__residentTerminated = () => {
        for (;;) backward(F.sum(lin.call(x)));
      };
      try {
        assert.throws(
          () => new vm.Script('globalThis.__residentTerminated()').runInThisContext({ timeout: 50 }),
          (e: { code?: string }) => e.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT',
        );
      } finally {
        delete slot.__residentTerminated;
      }
      resetEngineState();
      for (let i = 0; i < 3; i++) {
        const y = lin.call(x).data;
        const w = lin.weight.data;
        const b = lin.bias!.data;
        let worst = 0;
        for (let r = 0; r < 64; r += 7) {
          for (let o = 0; o < 256; o += 5) {
            let s = b[o];
            for (let k = 0; k < 256; k++) s += x.data[r * 256 + k] * w[o * 256 + k];
            worst = Math.max(worst, Math.abs(y[r * 256 + o] - s));
          }
        }
        assert.ok(worst < 1e-3, `forward ${i} after the terminated run is off by ${worst}`);
        backward(F.sum(lin.call(x)));
      }
    });
  });

  describe('on two threads (products large enough to be split)', () => {
    after(() => setKernelThreads(1));

    /** W2's layers (784-256-256, batch 64): forward, then every gradient, on `threads` threads. */
    const w2Step = (threads: number) => {
      setKernelThreads(threads);
      const rng = new Rng(8);
      const l1 = new nn.Linear(784, 256, { rng, dtype: 'float32' });
      const l2 = new nn.Linear(256, 256, { rng, dtype: 'float32' });
      const x = randomTensor(rng, [64, 784], true);
      const run = () => {
        for (const t of [...l1.parameters(), ...l2.parameters(), x]) t.grad = null;
        const y = l2.call(F.relu(l1.call(x)));
        backward(F.sum(F.mul(y, y)));
        return [y.data, x.grad!, ...[...l1.parameters(), ...l2.parameters()].map((p) => p.grad!)].map((a) => a.slice());
      };
      return { l1, l2, run };
    };

    it('a linear layer keeps its weight in the core and splits its products, with one thread’s bits', async () => {
      const one = w2Step(1).run();
      const { l1, l2, run } = w2Step(2);
      run(); // starts the worker
      await poolReady();
      const jobs = poolTally().parallelJobs;
      const first = run();
      // forward (2 layers), the second layer's dx and dW, the first's dW
      assert.ok(poolTally().parallelJobs - jobs >= 5, `${poolTally().parallelJobs - jobs} products were split`);
      const core = kernelCore()!;
      for (const l of [l1, l2]) assert.ok(keptOffset(core, l.weight) >= 0, 'the weight is kept');
      const at = [l1, l2].map((l) => keptOffset(core, l.weight));
      const second = run();
      assert.deepEqual([l1, l2].map((l) => keptOffset(core, l.weight)), at, 'the next step reads the same kept copies');
      assert.deepEqual(first, one);
      assert.deepEqual(second, one);
    });
  });
});
