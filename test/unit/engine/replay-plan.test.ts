import assert from 'node:assert/strict';
import { backward, linear, mseLoss, requireGrad, Rng, sigmoid, tanh, Tensor } from '../../../src/engine';
import { resetEngineState, setOpRecorder } from '../../../src/engine/context';
import { NotReplayable, recordPlan, StepRecorder } from '../../../src/engine/replay/plan';

/** A float64 tensor of normal values (float64: a sum in another order shows in the last bits). */
function normal(rng: Rng, shape: number[], grad = false): Tensor {
  const t = new Tensor(new Float64Array(shape.reduce((a, b) => a * b, 1)).map(() => rng.normal()), shape);
  return grad ? requireGrad(t) : t;
}

describe('a replay plan (engine/replay/plan.ts)', () => {
  // Fan-out no static module makes yet: a weight read by two ops (its gradients summed into its
  // .grad) and an activation read by both inputs of the loss (summed in flight), as autograd does.
  const rng = new Rng(2);
  const w = normal(rng, [6, 6], true);
  const b = normal(rng, [6], true);
  const w2 = normal(rng, [3, 6], true);
  const w3 = normal(rng, [3, 6], true);
  const x = normal(rng, [4, 6]);
  const params = [w, b, w2, w3];
  const forward = () => {
    const h = sigmoid(linear(x, w, b));
    const h2 = tanh(linear(h, w));
    return mseLoss(linear(h2, w2), linear(h2, w3));
  };
  const grads = () => params.map((p) => Array.from(p.grad!));
  /** One eager step under a recorder: what it recorded and its loss (backward run). */
  const recorded = (): { recorder: StepRecorder; loss: Tensor } => {
    const recorder = new StepRecorder();
    setOpRecorder(recorder);
    let loss: Tensor;
    try {
      loss = forward();
    } finally {
      setOpRecorder(null);
    }
    backward(loss);
    return { recorder, loss };
  };

  it('gives the eager step\'s loss and gradients, bit for bit, step after step', () => {
    const { recorder, loss } = recorded();
    const plan = recordPlan(recorder, loss, [...params, x, x]);
    for (let step = 0; step < 3; step++) {
      for (const p of params) p.grad = null;
      const eager = forward();
      backward(eager);
      const want = [eager.item(), grads()];
      for (const p of params) p.grad = null;
      const got = [plan.run().item(), grads()];
      assert.deepEqual(got, want);
      // the weights move between steps, as an optimiser's would
      for (const p of params) {
        const d = p.data;
        for (let i = 0; i < d.length; i++) d[i] -= 0.1 * (p.grad![i] + 0.01 * (step + 1));
      }
    }
    assert.equal(plan.replayed, 3);
  });

  it('is let go by the engine reset after a run cut short from outside (no finally ran)', () => {
    const recorder = new StepRecorder();
    setOpRecorder(recorder);
    resetEngineState();
    forward();
    assert.equal(recorder.ops.length, 0);
  });

  it('refuses a step that reads a tensor it was not given as a leaf', () => {
    const { recorder, loss } = recorded();
    assert.throws(() => recordPlan(recorder, loss, [w, b, w2, w3]), NotReplayable);
  });
});
