/**
 * Gradients on the tape (torch.autograd.grad with create_graph=True, a WGAN-GP's gradient penalty):
 * the penalty's gradient with respect to a critic's weights, through its own input gradient,
 * against float64 central differences; the input gradient itself against the engine's backward;
 * an op whose gradient is not written again is refused by name. Parity with PyTorch 1.13 on a whole
 * WGAN-GP script: test/parity/python-noise.test.ts (gp_wgan.py).
 */
import assert from 'node:assert/strict';
import * as F from '../../../src/engine';
import { backward, Tensor } from '../../../src/engine';
import { gradWithGraph } from '../../../src/engine/grad-graph';
import { rand } from '../support/gradcheck';

type Critic = (x: Tensor) => Tensor;

/** A critic in PyTorch-GAN's form: a view, Linear layers with in-place LeakyReLU, then Tanh, ReLU and Sigmoid branches summed. */
function critic(w: Tensor[]): Critic {
  const [w1, b1, w2, b2, w3] = w;
  return (x) => {
    const h = F.leakyRelu_(F.linear(F.reshape(x, [x.shape[0], 4]), w1, b1), 0.2);
    const h2 = F.linear(h, w2, b2);
    const mixed = F.add(F.add(F.tanh(h2), F.relu(h2)), F.sigmoid(h2));
    return F.linear(mixed, w3);
  };
}

/** ((‖∂D/∂x‖ - 1)²).mean() over the batch, as compute_gradient_penalty computes it. */
function penalty(w: Tensor[], x: Tensor): Tensor {
  const xi = new Tensor(Float64Array.from(x.data), x.shape, true);
  const d = critic(w)(xi);
  const got = gradWithGraph(d, [xi], F.onesLike(d));
  assert.ok('grads' in got);
  const g = F.reshape(got.grads[0]!, [x.shape[0], 4]);
  const norm = F.sqrt(F.sum(F.mul(g, g), 1));
  return F.mean(F.mul(F.sub(norm, 1), F.sub(norm, 1)));
}

describe('gradients on the tape (create_graph)', () => {
  const weights = () => [rand([6, 4], 1), rand([6], 2), rand([5, 6], 3), rand([5], 4), rand([1, 5], 5)];
  const x = rand([3, 1, 2, 2], 6, -1, 1, false);

  it("the penalty's gradient reaches every weight as float64 central differences say", () => {
    const w = weights();
    const p = penalty(w, x);
    backward(p);
    const eps = 1e-6;
    for (const [k, t] of w.entries()) {
      assert.ok(t.grad, `weight ${k} received no gradient`);
      for (let i = 0; i < t.size; i++) {
        const orig = t.data[i];
        t.data[i] = orig + eps;
        const up = penalty(w, x).data[0];
        t.data[i] = orig - eps;
        const down = penalty(w, x).data[0];
        t.data[i] = orig;
        const numeric = (up - down) / (2 * eps);
        assert.ok(Math.abs(numeric - t.grad[i]) <= 1e-7 + 1e-5 * Math.abs(numeric), `weight ${k}[${i}]: ${t.grad[i]} vs ${numeric}`);
      }
    }
    // w2's bias reaches the penalty only through the activations' second derivatives (Tanh, Sigmoid): not zero.
    assert.ok(Math.hypot(...w[3].grad!) > 1e-6);
  });

  it("the input gradient is the engine's backward's, and leaves the weights' .grad alone", () => {
    const w = weights();
    const xi = new Tensor(Float64Array.from(x.data), x.shape, true);
    const d = critic(w)(xi);
    const seed = rand([3, 1], 9, -1, 1, false);
    const got = gradWithGraph(d, [xi], seed);
    assert.ok('grads' in got);
    assert.ok(w.every((t) => t.grad === null));
    backward(d, seed.data);
    const g = got.grads[0]!;
    assert.deepEqual(g.shape, xi.shape);
    for (let i = 0; i < g.size; i++) assert.ok(Math.abs(g.data[i] - xi.grad![i]) <= 1e-12, `${i}: ${g.data[i]} vs ${xi.grad![i]}`);
  });

  it('an op whose gradient is not written again is refused by name; an input the output does not use has none', () => {
    const xi = rand([2, 3], 11);
    const other = rand([2, 3], 12);
    const y = F.sin(xi);
    assert.deepEqual(gradWithGraph(y, [xi], F.onesLike(y)), { unsupported: 'sin' });
    const z = F.tanh(xi);
    const got = gradWithGraph(z, [xi, other], F.onesLike(z));
    assert.ok('grads' in got && got.grads[0] !== null && got.grads[1] === null);
  });
});
