/**
 * The first application of each module, as the model graph reads it: shapes and the layers before
 * it, with no tensor kept. Udacity's DCGAN makes its loss module anew in every step
 * (`criterion = nn.BCEWithLogitsLoss()` inside real_loss), and each one's first input held its
 * step's whole graph: about 100 MB a step, until the process cap stopped the trace at its 12th step.
 */
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { nn, requireGrad, Rng, Tensor } from '../../../src/engine';
import { Applications } from '../../../src/model/python/torch/applications';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Linear(4, 8) → ReLU → Linear(8, 2) applied to a batch of 3, each application noted as the runtime notes it. */
function applyChain(apps: Applications, layers: nn.Module[], rng: Rng): { input: Tensor; output: Tensor } {
  const input = requireGrad(new Tensor(Float32Array.from({ length: 12 }, () => rng.normal()), [3, 4]));
  let x = input;
  for (const l of layers) {
    const y = l.call(x);
    apps.note(l, x, y);
    x = y;
  }
  return { input, output: x };
}

describe('the first application of each module (model graph: shapes and data flow)', () => {
  it('records shapes and the layers whose outputs reached each input, in the order first applied', () => {
    const rng = new Rng(1);
    const layers = [new nn.Linear(4, 8, { rng }), new nn.ReLU(), new nn.Linear(8, 2, { rng })];
    const apps = new Applications();
    applyChain(apps, layers, rng);
    assert.deepEqual([...apps.modules()], layers);
    assert.deepEqual(apps.get(layers[0]), { inShape: [4], outShape: [8], from: new Set() });
    assert.deepEqual(apps.get(layers[1])!.from, new Set([layers[0]]));
    assert.deepEqual(apps.get(layers[2])!.from, new Set([layers[1]]));
    // A second application changes nothing: the first one is the graph's.
    applyChain(apps, layers, rng);
    assert.deepEqual(apps.get(layers[2])!.from, new Set([layers[1]]));
  });

  it('keeps no tensor of the application alive: a loss module made anew each step does not hold its step', async () => {
    const rng = new Rng(2);
    const layers = [new nn.Linear(4, 8, { rng }), new nn.ReLU(), new nn.Linear(8, 2, { rng })];
    const apps = new Applications();
    const refs = (() => {
      const { input, output } = applyChain(apps, layers, rng);
      // A module made anew for this step, as DCGAN's criterion is: its first application is this one.
      const criterion = new nn.Sigmoid();
      const l = criterion.call(output);
      apps.note(criterion, output, l);
      return [new WeakRef(input), new WeakRef(output), new WeakRef(l)];
    })();
    // A WeakRef holds its target until the job that made it ends.
    await new Promise((r) => setImmediate(r));
    gc();
    assert.deepEqual(refs.map((r) => r.deref() === undefined), [true, true, true]);
    assert.equal(apps.get(layers[2])!.outShape[0], 2);
  });
});
