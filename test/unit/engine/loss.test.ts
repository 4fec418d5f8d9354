import assert from 'node:assert/strict';
import * as F from '../../../src/engine';
import { backward, tensor, Tensor } from '../../../src/engine';
import type { FloatArray, Reduction } from '../../../src/engine';
import { gradcheck, rand } from '../support/gradcheck';

const reductions: Reduction[] = ['mean', 'sum'];

function close(actual: ArrayLike<number>, expected: readonly number[], rtol = 1e-12, what = ''): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (!Number.isFinite(e)) {
      assert.equal(a, e, `${what}[${i}]`);
      continue;
    }
    assert.ok(Math.abs(a - e) <= rtol * Math.max(1, Math.abs(e)), `${what}[${i}]: ${a} vs ${e}`);
  }
}

/** Loss value and both gradients (null where the target gets none), in float64. */
function run(f: (x: Tensor, t: Tensor, r: Reduction) => Tensor, x: Tensor, t: Tensor, r: Reduction): { loss: number; dx: FloatArray | null; dt: FloatArray | null } {
  x.grad = null;
  t.grad = null;
  const loss = f(x, t, r);
  backward(loss);
  return { loss: loss.item(), dx: x.grad, dt: t.grad };
}

/** Class indices are floats without a gradient. */
const classes = (values: number[], shape: number[] = [values.length]) => tensor(values, shape, 'float64');

describe('losses', () => {
  describe('gradients match finite differences, both reductions', () => {
    for (const r of reductions) {
      it(`mse_loss (${r}), input and target`, () => gradcheck((x, t) => F.mseLoss(x, t, r), [rand([3, 4], 1), rand([3, 4], 2)]));
      it(`mse_loss (${r}), broadcast target`, () => gradcheck((x, t) => F.mseLoss(x, t, r), [rand([3, 4], 1), rand([4], 2)]));
      it(`l1_loss (${r})`, () => gradcheck((x, t) => F.l1Loss(x, t, r), [rand([3, 4], 3), rand([3, 4], 4)]));
      it(`huber_loss (${r}), both sides of delta`, () =>
        gradcheck((x, t) => F.huberLoss(x, t, 0.4, r), [rand([4, 5], 5, -2, 2), rand([4, 5], 6, -1, 1)]));
      it(`cross_entropy (${r}), (N, C)`, () =>
        gradcheck((x) => F.crossEntropy(x, classes([0, 3, 1, 2, 2]), r), [rand([5, 4], 7, -3, 3)]));
      it(`cross_entropy (${r}), (N, C, d1, d2)`, () =>
        gradcheck((x) => F.crossEntropy(x, classes([0, 2, 1, 1, 2, 0, 0, 1, 2, 2, 1, 0], [2, 2, 3]), r), [rand([2, 3, 2, 3], 8, -3, 3)]));
      it(`cross_entropy (${r}), unbatched (C)`, () => gradcheck((x) => F.crossEntropy(x, classes([2], []), r), [rand([4], 9)]));
      it(`nll_loss (${r})`, () => gradcheck((x) => F.nllLoss(x, classes([1, 0, 2]), r), [rand([3, 3], 10, -3, 0)]));
      it(`nll_loss (${r}), (N, C, d)`, () => gradcheck((x) => F.nllLoss(x, classes([1, 0, 2, 2], [2, 2]), r), [rand([2, 3, 2], 11, -3, 0)]));
      it(`bce_loss (${r}), input and target`, () =>
        gradcheck((x, t) => F.bceLoss(x, t, r), [rand([3, 4], 12, 0.05, 0.95), rand([3, 4], 13, 0, 1)]));
      it(`bce_with_logits (${r}), input and target`, () =>
        gradcheck((x, t) => F.bceWithLogits(x, t, r), [rand([3, 4], 14, -4, 4), rand([3, 4], 15, 0, 1)]));
    }
  });

  describe("forward values and gradients equal PyTorch's (torch 1.13, float64)", () => {
    const x = () => tensor([0.5, -1.2, 2.0, 1.5, 0.3, -0.7], [2, 3], 'float64', true);
    const t = () => tensor([0.0, 1.0, 1.5, -0.5, 0.3, 0.8], [2, 3], 'float64', true);

    it('mse_loss', () => {
      let g = run(F.mseLoss, x(), t(), 'mean');
      close([g.loss], [1.9316666666666666]);
      close(g.dx!, [0.16666666666666666, -0.7333333333333334, 0.16666666666666666, 0.6666666666666666, 0.0, -0.5]);
      close(g.dt!, [-0.16666666666666666, 0.7333333333333334, -0.16666666666666666, -0.6666666666666666, 0.0, 0.5]);
      g = run(F.mseLoss, x(), t(), 'sum');
      close([g.loss], [11.59]);
      close(g.dx!, [1.0, -4.4, 1.0, 4.0, 0.0, -3.0]);
    });

    it('l1_loss (zero gradient where input equals target)', () => {
      let g = run(F.l1Loss, x(), t(), 'mean');
      close([g.loss], [1.1166666666666667]);
      close(g.dx!, [1, -1, 1, 1, 0, -1].map((v) => v / 6));
      close(g.dt!, [-1, 1, -1, -1, 0, 1].map((v) => v / 6));
      g = run(F.l1Loss, x(), t(), 'sum');
      close([g.loss], [6.7]);
    });

    it('huber_loss with delta 0.6', () => {
      const huber = (a: Tensor, b: Tensor, r: Reduction) => F.huberLoss(a, b, 0.6, r);
      let g = run(huber, x(), t(), 'mean');
      close([g.loss], [0.5216666666666667]);
      close(g.dx!, [0.08333333333333333, -0.09999999999999999, 0.08333333333333333, 0.09999999999999999, 0.0, -0.09999999999999999]);
      g = run(huber, x(), t(), 'sum');
      close([g.loss], [3.1300000000000003]);
      close(g.dt!, [-0.5, 0.6, -0.5, -0.6, 0.0, 0.6]);
    });

    const logits = () => tensor([2.0, -1.0, 0.5, 0.0, 0.1, 0.2, 0.3, 0.4, 1000.0, 0.0, -1000.0, 3.0], [3, 4], 'float64', true);

    it('cross_entropy, including a row of logits ±1000 (stays finite)', () => {
      let g = run(F.crossEntropy, logits(), classes([0, 3, 1]), 'mean');
      close([g.loss], [333.861628370615]);
      close(g.dx!, [
        -0.0966333590379419, 0.01178459780291629, 0.05281490317165991, 0.032033858063365735, 0.07127940678866146,
        0.07877592744051255, 0.08706086405169185, -0.2371161982808659, 0.3333333333333333, -0.3333333333333333, 0.0, 0.0,
      ]);
      assert.equal(g.dt, null, 'class indices get no gradient');
      g = run(F.crossEntropy, logits(), classes([0, 3, 1]), 'sum');
      close([g.loss], [1001.584885111845]);
    });

    it('cross_entropy skips target -100 (ignore_index) and leaves it out of the mean', () => {
      let g = run(F.crossEntropy, logits(), classes([0, -100, 1]), 'mean');
      close([g.loss], [500.1711747911949]);
      close(g.dx!, [
        -0.14495003855691285, 0.017676896704374435, 0.07922235475748987, 0.048050787095048605, 0, 0, 0, 0, 0.5, -0.5, 0, 0,
      ]);
      g = run(F.crossEntropy, logits(), classes([0, -100, 1]), 'sum');
      close([g.loss], [1000.3423495823898]);
    });

    it('cross_entropy over (N, C, d1, d2) divides the mean by N·d1·d2', () => {
      const sx = new Float64Array(24).map((_, i) => Math.sin(i * 0.37));
      const st = classes([0, 1, 2, 0, 1, 1, 2, 2], [2, 2, 2]);
      let g = run(F.crossEntropy, new Tensor(sx.slice(), [2, 3, 2, 2], true), st, 'mean');
      close([g.loss], [1.1554765075652962]);
      close(g.dx!.slice(0, 6), [-0.0995160042358436, 0.03677467894195221, 0.05143985610890548, -0.058260053384876206, 0.06898792453730415, -0.0580149602513321]);
      g = run(F.crossEntropy, new Tensor(sx.slice(), [2, 3, 2, 2], true), st, 'sum');
      close([g.loss], [9.24381206052237]);
      close(g.dx!.slice(18), [0.3236221649714195, 0.4202763195850444, 0.6940787920793002, 0.6630579429226433, -0.41536308225090146, -0.5293875570783404]);
    });

    it('nll_loss picks -input at the target class', () => {
      const lp = [2.0, -1.0, 0.5, 0.1, 0.2, 0.3];
      const logp = (row: number[]) => {
        const m = Math.max(...row);
        const z = Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0)) + m;
        return row.map((v) => v - z);
      };
      const input = tensor([...logp(lp.slice(0, 3)), ...logp(lp.slice(3))], [2, 3], 'float64', true);
      let g = run(F.nllLoss, input, classes([2, 0]), 'mean');
      close([g.loss], [1.4716270724432006]);
      close(g.dx!, [0, 0, -0.5, -0.5, 0, 0]);
      g = run(F.nllLoss, input, classes([2, 0]), 'sum');
      close([g.loss], [2.943254144886401]);
    });

    it('bce_loss with p = 0 and 1: the log clamp at -100 keeps the loss finite', () => {
      const p = () => tensor([0.1, 0.9, 0.5, 0.0, 1.0], [5], 'float64', true);
      const pt = () => tensor([0.0, 1.0, 0.3, 0.0, 0.0], [5], 'float64', true);
      let g = run(F.bceLoss, p(), pt(), 'mean');
      close([g.loss], [20.18077364237512]);
      close(g.dx!, [0.22222222222222218, -0.22222222222222224, 0.16, 0.0, 200000000799.16058]);
      close(g.dt!, [0.43944491546724385, -0.4394449154672439, 0.0, Infinity, -Infinity]);
      g = run(F.bceLoss, p(), pt(), 'sum');
      close([g.loss], [100.90386821187559]);
      close(g.dx!, [1.111111111111111, -1.1111111111111112, 0.8, 0.0, 1000000003995.8029]);
    });

    it('bce_with_logits, including logits ±50', () => {
      const z = () => tensor([3.0, -2.0, 0.0, 50.0, -50.0], [5], 'float64', true);
      const zt = () => tensor([1.0, 0.0, 0.5, 0.0, 1.0], [5], 'float64', true);
      let g = run(F.bceWithLogits, z(), zt(), 'mean');
      close([g.loss], [20.173732508635332]);
      close(g.dx!, [-0.009485174635513327, 0.02384058440442351, 0.0, 0.2, -0.2]);
      close(g.dt!, [-0.6, 0.4, -0.0, -10.0, 10.0]);
      g = run(F.bceWithLogits, z(), zt(), 'sum');
      close([g.loss], [100.86866254317667]);
    });
  });

  describe('edge cases', () => {
    it('bce_with_logits stays finite for logits of ±1000', () => {
      const x = tensor([1000, -1000], [2], 'float64', true);
      const g = run(F.bceWithLogits, x, tensor([0, 1], [2], 'float64'), 'sum');
      assert.equal(g.loss, 2000);
      assert.deepEqual(Array.from(g.dx!), [1, -1]);
    });

    it('cross_entropy with a -inf logit on a non-target class is finite; on the target class it is +inf', () => {
      const x = tensor([0, -Infinity, 1], [1, 3], 'float64', true);
      const ok = run(F.crossEntropy, x, classes([2]), 'mean');
      assert.ok(Number.isFinite(ok.loss));
      assert.equal(ok.dx![1], 0);
      assert.equal(F.crossEntropy(x, classes([1])).item(), Infinity);
    });

    it('NaN in the input propagates to the loss', () => {
      const nan = tensor([NaN, 0.5, 0.2, 0.1], [2, 2], 'float64');
      const t = tensor([0.5, 0.5, 0, 1], [2, 2], 'float64');
      for (const f of [F.mseLoss, F.l1Loss, F.huberLoss, F.bceLoss, F.bceWithLogits]) {
        assert.ok(Number.isNaN(f(nan, t).item()), f.name);
      }
      assert.ok(Number.isNaN(F.crossEntropy(nan, classes([0, 0])).item()));
      assert.ok(Number.isNaN(F.nllLoss(nan, classes([0, 1])).item()));
      // A NaN on a row's non-target logit still poisons that row's log-sum-exp, as in PyTorch.
      assert.ok(Number.isNaN(F.crossEntropy(nan, classes([1, 1])).item()));
    });

    it('an out-of-range class index throws, naming the index and the class count', () => {
      const x = rand([3, 4], 1);
      assert.throws(() => F.crossEntropy(x, classes([0, 4, 1])), /class index 4 .*4 classes/);
      assert.throws(() => F.crossEntropy(x, classes([0, -1, 1])), /class index -1 .*4 classes/);
      assert.throws(() => F.nllLoss(x, classes([7, 0, 1])), /class index 7 .*4 classes/);
      assert.throws(() => F.crossEntropy(x, classes([0, 1.5, 1])), /class index 1.5/);
    });

    it('a target of the wrong shape throws with both shapes', () => {
      assert.throws(() => F.crossEntropy(rand([3, 4]), classes([0, 1])), /\[3, 4\].*\[3\].*\[2\]/);
      assert.throws(() => F.bceLoss(rand([3], 1, 0, 1), rand([3, 1], 2, 0, 1)), /\[3, 1\].*\[3\]/);
      assert.throws(() => F.bceWithLogits(rand([3]), rand([2])), /\[2\].*\[3\]/);
      assert.throws(() => F.mseLoss(rand([3]), rand([2])), /^ShapeError: The size of tensor a \(3\) must match the size of tensor b \(2\) at non-singleton dimension 0$/);
    });

    it('bce_loss rejects probabilities outside [0, 1] as PyTorch does, saying what it got', () => {
      assert.throws(() => F.bceLoss(tensor([0.5, 1.5]), tensor([0, 1])), /between 0 and 1, got 1.5/);
      assert.throws(
        () => F.bceLoss(tensor([-0.25, 0.5, 1.5, 0.75]), tensor([0, 1, 1, 0])),
        (e: unknown) =>
          e instanceof F.LossInputError &&
          e.loss === 'binary_cross_entropy' &&
          e.accepts.join() === '0,1' &&
          e.input.min === -0.25 &&
          e.input.max === 1.5 &&
          e.input.outsideShare === 0.5,
      );
      // NaN is the instrument's to report, not the loss's.
      assert.doesNotThrow(() => F.bceLoss(tensor([NaN, 0.5]), tensor([0, 1])));
    });

    it('huber_loss rejects a non-positive delta', () => {
      assert.throws(() => F.huberLoss(rand([2]), rand([2]), 0), /non-positive values for delta/);
    });

    it('float32 inputs give a float32 scalar', () => {
      const out = F.crossEntropy(tensor([1, 2, 3], [1, 3]), tensor([2], [1]));
      assert.ok(out.data instanceof Float32Array);
      assert.deepEqual(out.shape, []);
      assert.ok(F.mseLoss(tensor([1, 2]), tensor([0, 0])).data instanceof Float32Array);
    });

    it('the class-index target is never given a gradient, even when it asks for one', () => {
      const x = rand([2, 3], 3);
      const t = tensor([0, 2], [2], 'float64', true);
      backward(F.crossEntropy(x, t));
      assert.equal(t.grad, null);
      assert.ok(x.grad);
    });
  });
});
