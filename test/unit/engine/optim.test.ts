import assert from 'node:assert/strict';
import { Adam, AdamOptions, neg, SGD, SGDOptions, tensor, Tensor } from '../../../src/engine';
import type { Optimizer } from '../../../src/engine';

/**
 * Parameter values after each of four steps with the gradients below, starting from [1, -2].
 * Expected values are torch.optim's (torch 1.13, float64), which follow the documented updates.
 */
const grads = [
  [0.5, -1.0],
  [0.1, 0.3],
  [-0.2, 0.4],
  [2.0, -0.05],
];

function trajectory(make: (params: Tensor[]) => Optimizer, gs = grads): number[][] {
  const p = tensor([1, -2], [2], 'float64', true);
  const opt = make([p]);
  return gs.map((g) => {
    p.grad = Float64Array.from(g);
    opt.step();
    return Array.from(p.data);
  });
}

function closeTrajectory(actual: number[][], expected: number[][]): void {
  for (let s = 0; s < expected.length; s++) {
    for (let i = 0; i < expected[s].length; i++) {
      const a = actual[s][i];
      const e = expected[s][i];
      assert.ok(Math.abs(a - e) <= 1e-13 * Math.max(1, Math.abs(e)), `step ${s + 1}, element ${i}: ${a} vs ${e}`);
    }
  }
}

const sgd = (o: SGDOptions) => (ps: Tensor[]) => new SGD(ps, o);
const adam = (o: AdamOptions) => (ps: Tensor[]) => new Adam(ps, o);

describe('optimisers', () => {
  describe('SGD', () => {
    it('plain: p -= lr·g', () => {
      closeTrajectory(trajectory(sgd({ lr: 0.1 })), [
        [0.95, -1.9],
        [0.94, -1.93],
        [0.96, -1.97],
        [0.76, -1.965],
      ]);
    });

    it('momentum: the buffer starts at the first gradient, then buf = 0.9·buf + g', () => {
      // Step 2 by hand: buf = 0.9·[0.5, -1] + [0.1, 0.3] = [0.55, -0.6]; p = [0.95, -1.9] - 0.1·buf.
      closeTrajectory(trajectory(sgd({ lr: 0.1, momentum: 0.9 })), [
        [0.95, -1.9],
        [0.8949999999999999, -1.8399999999999999],
        [0.8654999999999999, -1.8259999999999998],
        [0.6389499999999999, -1.8083999999999998],
      ]);
    });

    it('dampening scales new gradients after the first step only', () => {
      closeTrajectory(trajectory(sgd({ lr: 0.1, momentum: 0.9, dampening: 0.5 })), [
        [0.95, -1.9],
        [0.8999999999999999, -1.825],
        [0.8649999999999999, -1.7774999999999999],
        [0.7334999999999999, -1.7322499999999998],
      ]);
    });

    it('nesterov: d = g + momentum·buf', () => {
      closeTrajectory(trajectory(sgd({ lr: 0.1, momentum: 0.9, nesterov: true })), [
        [0.905, -1.81],
        [0.8455, -1.786],
        [0.83895, -1.8134000000000001],
        [0.43505499999999986, -1.7925600000000002],
      ]);
    });

    it('weight decay adds wd·p to the gradient before momentum', () => {
      closeTrajectory(trajectory(sgd({ lr: 0.1, momentum: 0.9, weightDecay: 0.01 })), [
        [0.949, -1.898],
        [0.8921509999999999, -1.8343019999999999],
        [0.8600947489999999, -1.815139498],
        [0.6303840283509999, -1.7910781067019999],
      ]);
    });

    it("rejects PyTorch's invalid settings", () => {
      const p = [tensor([1], [1], 'float64', true)];
      assert.throws(() => new SGD(p, { lr: -1 }), /Invalid learning rate: -1/);
      assert.throws(() => new SGD(p, { lr: 0.1, momentum: -0.5 }), /Invalid momentum value/);
      assert.throws(() => new SGD(p, { lr: 0.1, nesterov: true }), /Nesterov momentum requires a momentum and zero dampening/);
      assert.throws(() => new SGD(p, { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true }), /Nesterov/);
      assert.throws(() => new SGD([], { lr: 0.1 }), /empty parameter list/);
    });
  });

  describe('Adam', () => {
    it('defaults with lr 0.1: bias-corrected moments', () => {
      // Step 1 by hand: m̂ = g, v̂ = g², so p -= 0.1·g/(|g| + 1e-8·…) ≈ 0.1·sign(g).
      closeTrajectory(trajectory(adam({ lr: 0.1 })), [
        [0.900000002, -1.900000001],
        [0.8196959063846518, -1.8572151424292265],
        [0.785260531835489, -1.8492092384765841],
        [0.7217650568457006, -1.8400580993001423],
      ]);
    });

    it('betas, eps and L2 weight decay added to the gradient', () => {
      closeTrajectory(trajectory(adam({ lr: 0.1, betas: [0.8, 0.9], eps: 1e-3, weightDecay: 0.1 })), [
        [0.9001663893510815, -1.9000832639467111],
        [0.8148606840037967, -1.8432393186290594],
        [0.7665577131367931, -1.8149631668856385],
        [0.6961389466000352, -1.7797790766576331],
      ]);
    });

    it('amsgrad divides by the running maximum of v, and differs from plain Adam once v shrinks', () => {
      const shrinking = [
        [5.0, -1.0],
        [0.01, 0.3],
        [0.01, 0.4],
        [0.01, -0.05],
      ];
      closeTrajectory(trajectory(adam({ lr: 0.1, amsgrad: true }), shrinking), [
        [0.9000000002, -1.900000001],
        [0.832878858904058, -1.8572151424292265],
        [0.7808922083650038, -1.8492092384765841],
        [0.7382129793594914, -1.8400580993001423],
      ]);
      closeTrajectory(trajectory(adam({ lr: 0.1 }), shrinking), [
        [0.9000000002, -1.900000001],
        [0.8328454075855772, -1.8572151424292265],
        [0.7808069268236276, -1.8492092384765841],
        [0.7380638558292686, -1.8400580993001423],
      ]);
    });

    it('float32 parameters match PyTorch float32 to float32 precision', () => {
      const p = tensor([1, -2], [2], 'float32', true);
      const opt = new Adam([p], { lr: 0.1 });
      for (const g of [[5.0, -1.0], [0.01, 0.3], [0.01, 0.4], [0.01, -0.05]]) {
        p.grad = Float32Array.from(g);
        opt.step();
      }
      assert.ok(p.data instanceof Float32Array);
      assert.ok(Math.abs(p.data[0] - 0.7380638122558594) < 2e-7);
      assert.ok(Math.abs(p.data[1] - -1.8400582075119019) < 2e-7);
    });

    it("rejects PyTorch's invalid settings", () => {
      const p = [tensor([1], [1], 'float64', true)];
      assert.throws(() => new Adam(p, { betas: [1, 0.999] }), /Invalid beta parameter at index 0/);
      assert.throws(() => new Adam(p, { betas: [0.9, -0.1] }), /Invalid beta parameter at index 1/);
      assert.throws(() => new Adam(p, { eps: -1 }), /Invalid epsilon value/);
      assert.throws(() => new Adam(p, { weightDecay: -1 }), /Invalid weight_decay value/);
    });
  });

  it('a parameter whose grad is null is skipped, and its Adam step count does not advance', () => {
    const a = tensor([1], [1], 'float64', true);
    const b = tensor([1], [1], 'float64', true);
    const opt = new Adam([a, b], { lr: 0.1 });
    a.grad = Float64Array.of(1);
    b.grad = Float64Array.of(1);
    opt.step();
    a.grad = Float64Array.of(0.5);
    b.grad = null;
    const bBefore = b.data[0];
    opt.step();
    assert.equal(b.data[0], bBefore);
    assert.equal(opt.stepCount(0), 2);
    assert.equal(opt.stepCount(1), 1);
    a.grad = null;
    b.grad = Float64Array.of(0.5);
    opt.step();
    // Both saw gradients 1 then 0.5 over two of their own steps: the same value (PyTorch: 0.8067820382981611).
    assert.ok(Math.abs(a.data[0] - 0.8067820382981611) < 1e-15);
    assert.ok(Math.abs(b.data[0] - 0.8067820382981611) < 1e-15);
  });

  it('zeroGrad sets every grad to null; lr can be changed between steps', () => {
    const p = tensor([1, 2], [2], 'float64', true);
    const opt = new SGD([p], { lr: 1 });
    p.grad = Float64Array.of(1, 1);
    opt.zeroGrad();
    assert.equal(p.grad, null);
    opt.step();
    assert.deepEqual(Array.from(p.data), [1, 2]);
    opt.lr = 0.5;
    p.grad = Float64Array.of(1, 1);
    opt.step();
    assert.deepEqual(Array.from(p.data), [0.5, 1.5]);
  });

  it('clips the gradients before each step, into copies, and records what the clipping did', () => {
    // Gradients [3, 4] and [12]: total L2 norm 13; clip_grad_norm_(max_norm 1.3) scales them by 1.3/(13 + 1e-6).
    const a = tensor([1, 1], [2], 'float64', true);
    const b = tensor([1], [1], 'float64', true);
    const opt = new SGD([a, b], { lr: 1 });
    opt.clip = { kind: 'norm', maxNorm: 1.3, normType: 2 };
    const ga = Float64Array.of(3, 4);
    a.grad = ga;
    b.grad = Float64Array.of(12);
    opt.step();
    const scale = 1.3 / (13 + 1e-6);
    assert.deepEqual(Array.from(a.data), [1 - 3 * scale, 1 - 4 * scale]);
    assert.deepEqual(Array.from(b.data), [1 - 12 * scale]);
    assert.deepEqual(Array.from(ga), [3, 4], "the caller's gradient keeps backward()'s values");
    assert.deepEqual(opt.lastClip, { totalNorm: 13, scale, clampedShare: null });
    // Below max_norm nothing changes: the scale is 1.
    opt.clip = { kind: 'norm', maxNorm: 100, normType: 2 };
    a.grad = Float64Array.of(3, 4);
    b.grad = Float64Array.of(12);
    opt.step();
    assert.equal(opt.lastClip?.scale, 1);
    // clip_grad_value_: entries clamped into [-0.5, 0.5]; one of three was beyond.
    opt.clip = { kind: 'value', clipValue: 0.5 };
    const before = [Array.from(a.data), Array.from(b.data)];
    a.grad = Float64Array.of(0.25, -2);
    b.grad = Float64Array.of(0.5);
    opt.step();
    assert.deepEqual(Array.from(a.data), [before[0][0] - 0.25, before[0][1] + 0.5]);
    assert.deepEqual(Array.from(b.data), [before[1][0] - 0.5]);
    assert.equal(opt.lastClip?.clampedShare, 1 / 3);
    // A NaN gradient makes the norm NaN and, as in PyTorch, every clipped gradient NaN.
    opt.clip = { kind: 'norm', maxNorm: 1, normType: 2 };
    a.grad = Float64Array.of(NaN, 1);
    b.grad = Float64Array.of(1);
    opt.step();
    assert.ok(Number.isNaN(opt.lastClip!.totalNorm) && Number.isNaN(b.data[0]));
  });

  it('refuses a non-leaf tensor', () => {
    const p = tensor([1], [1], 'float64', true);
    const q = neg(p);
    assert.throws(() => new SGD([q], { lr: 0.1 }), /non-leaf/);
  });
});
