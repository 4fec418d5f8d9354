/**
 * The memory estimate made from the shapes before anything is built, held against what the engine
 * really counts during a step (the count the memory limit is enforced on while the trace runs):
 * never below it, so a model the estimate lets through is not stopped half-way by the count, and
 * not wildly above it, so a model that fits is not refused.
 */
import assert from 'node:assert/strict';
import { memoryInUse, setMemoryBaseline, setMemoryLimit } from '../../../src/engine/context';
import { formatBytes } from '../../../src/numbers';
import { parseSpec, positionAt } from '../../../src/model';
import { OPTIMIZERS, withDefaults } from '../../../src/model/catalogue';
import type { OptimizerType } from '../../../src/model/graph';
import { memoryByLayer, optimizerSlots, persistentBytes } from '../../../src/model/memory';
import { Tensor } from '../../../src/engine/tensor';
import { forwardBackward, prepare } from '../../../src/trace/run';

const MODELS: Record<string, string> = {
  'seed MLP, SGD': `model:
  - Linear: {in_features: 10, out_features: 10}
  - Sigmoid
  - Linear: {in_features: 10, out_features: 1}
input: {shape: [10]}
target: {shape: [1]}
loss: MSELoss
trace: {batch_size: 8}
`,
  '784-256-256-10 ReLU, Adam, batch 64': `model:
  - Linear: {in_features: 784, out_features: 256}
  - ReLU
  - Linear: {in_features: 256, out_features: 256}
  - ReLU
  - Linear: {in_features: 256, out_features: 10}
input: {shape: [784]}
target: {classes: 10}
loss: CrossEntropyLoss
optimizer: {Adam: {lr: 0.001}}
trace: {batch_size: 64}
`,
  'CNN with pooling and batch norm, SGD momentum': `model:
  - Conv2d: {in_channels: 3, out_channels: 16, kernel_size: 3, padding: 1}
  - BatchNorm2d: {num_features: 16}
  - ReLU
  - MaxPool2d: {kernel_size: 2}
  - Conv2d: {in_channels: 16, out_channels: 32, kernel_size: 3, padding: 1}
  - ReLU
  - AvgPool2d: {kernel_size: 2}
  - Flatten
  - Linear: {in_features: 512, out_features: 10}
input: {shape: [3, 16, 16]}
target: {classes: 10}
loss: CrossEntropyLoss
optimizer: {SGD: {lr: 0.01, momentum: 0.9}}
trace: {batch_size: 16}
`,
  'embedding, layer norm, float64, Adam amsgrad': `model:
  - Embedding: {num_embeddings: 1000, embedding_dim: 64}
  - LayerNorm: {normalized_shape: 64}
  - Flatten
  - Linear: {in_features: 512, out_features: 8}
  - Tanh
input: {shape: [8], distribution: {integers: {low: 0, high: 1000}}}
target: {shape: [8]}
loss: MSELoss
optimizer: {Adam: {lr: 0.001, amsgrad: true}}
trace: {batch_size: 32, dtype: float64}
`,
};

describe('model memory estimate', () => {
  it("counts the optimiser state the engine's optimiser keeps, for every optimiser and the arguments that change it", () => {
    const variants: Record<OptimizerType, Record<string, number | boolean>[]> = {
      SGD: [{ lr: 0.1 }, { lr: 0.1, momentum: 0.9 }],
      Adam: [{}, { amsgrad: true }],
      AdamW: [{}, { amsgrad: true }],
      RMSprop: [{}, { momentum: 0.9 }, { centered: true }, { momentum: 0.9, centered: true }],
      Adagrad: [{}],
      Adadelta: [{}],
    };
    for (const [type, list] of Object.entries(variants) as [OptimizerType, Record<string, number | boolean>[]][]) {
      for (const written of list) {
        const def = OPTIMIZERS[type];
        const args = withDefaults(def.args, written) as Record<string, number | boolean>;
        const engine = def.build([new Tensor(new Float64Array(1), [1], true)], args);
        assert.equal(optimizerSlots({ type, args: args as never }), engine.stateSlots, `${type} ${JSON.stringify(written)}`);
      }
    }
  });

  for (const [name, text] of Object.entries(MODELS)) {
    it(`${name}: the estimate covers what the engine counts, within 2×`, () => {
      const { spec, diagnostics } = parseSpec(text, 'm.grad.yaml');
      assert.deepEqual(diagnostics, []);
      const bytesPer = spec!.trace.dtype === 'float64' ? 8 : 4;
      const estimate = memoryByLayer(spec!, spec!.trace.batchSize, bytesPer).at(-1)!.bytes;
      setMemoryLimit(Infinity);
      try {
        const session = prepare(spec!);
        setMemoryBaseline(persistentBytes(session.built.params, session.built.optimizer.stateSlots, [session.batch.input, session.batch.target]));
        forwardBackward(session);
        const counted = memoryInUse();
        console.log(`      ${name}: estimate ${formatBytes(estimate)}, engine count ${formatBytes(counted)} (${(estimate / counted).toFixed(2)}×)`);
        assert.ok(estimate >= counted, `estimate ${estimate} < counted ${counted}`);
        assert.ok(estimate <= 2 * counted, `estimate ${estimate} > 2 × counted ${counted}`);
      } finally {
        setMemoryLimit(Infinity);
      }
    });
  }

  it('reports the first layer where the running estimate crosses the limit, at its range, naming the limit', () => {
    const text = `model:
${'  - Linear: {in_features: 4000, out_features: 4000}\n'.repeat(12)}input: {shape: [4000]}
target: {shape: [4000]}
loss: MSELoss
optimizer: {Adam: {lr: 0.001}}
`;
    // Each layer: 16 M parameters × 4 bytes × (3 + 2 Adam slots) ≈ 320 MB: the second crosses 512 MiB.
    const { spec, diagnostics } = parseSpec(text, 'm.grad.yaml');
    assert.equal(spec, null);
    assert.equal(diagnostics.length, 1);
    const d = diagnostics[0];
    assert.equal(d.code, 'spec/too-large');
    assert.equal(positionAt(text, d.range.start).line, 2, 'the second Linear');
    assert.equal(text.slice(d.range.start, d.range.end), 'Linear');
    assert.match(d.message, /^the model needs about 611 MiB of memory by 1: Linear \(parameters with their gradients, copies and Adam's moments: 611 MiB; activations .*\), over the 512 MiB memory limit \(--memory-limit-mb \/ gradientLens\.memoryLimitMB\)$/);
    // A higher limit lets it through; a lower one stops it at the first layer.
    assert.deepEqual(parseSpec(text, 'm.grad.yaml', { limits: { memoryLimitMB: 4096 } }).diagnostics, []);
    assert.equal(positionAt(text, parseSpec(text, 'm.grad.yaml', { limits: { memoryLimitMB: 100 } }).diagnostics[0].range.start).line, 1);
  });

  it('reports one error when every layer is over the limit on its own: the first', () => {
    const text = `model:
${'  - Linear: {in_features: 1024, out_features: 1024}\n  - ReLU\n'.repeat(3)}input: {shape: [1024]}
target: {shape: [1024]}
loss: MSELoss
`;
    // Each weight is 4 MiB, four times a 1 MB limit: the first one is the place to fix.
    const { diagnostics } = parseSpec(text, 'm.grad.yaml', { limits: { memoryLimitMB: 1 } });
    assert.equal(diagnostics.length, 1, JSON.stringify(diagnostics.map((d) => d.message)));
    assert.equal(positionAt(text, diagnostics[0].range.start).line, 1);
    assert.match(diagnostics[0].message, /^0: Linear's weight \[1024, 1024\] needs 4\.0 MiB, over the 1\.0 MiB memory limit \(--memory-limit-mb \/ gradientLens\.memoryLimitMB\)$/);
    // A batch over the limit too: the weight is still the first in the text.
    const wide = text.replace('input: {shape: [1024]}', 'input: {shape: [1024]}\ntrace: {batch_size: 512}');
    assert.deepEqual(parseSpec(wide, 'm.grad.yaml', { limits: { memoryLimitMB: 1 } }).diagnostics.map((d) => d.message.replace(/ over the .*/, '')), [
      "0: Linear's weight [1024, 1024] needs 4.0 MiB,",
    ]);
    // Written before the model, the input is the first place to fix (the order of reading does not matter).
    const inputFirst = `input: {shape: [1024]}\ntrace: {batch_size: 512}\n${text.replace('input: {shape: [1024]}\n', '')}`;
    const first = parseSpec(inputFirst, 'm.grad.yaml', { limits: { memoryLimitMB: 1 } }).diagnostics;
    assert.deepEqual(first.map((d) => d.message.replace(/ over the .*/, '')), ['the input is [512, 1024] for batch_size 512: 2.0 MiB in float32,']);
    assert.equal(positionAt(inputFirst, first[0].range.start).line, 0);
  });
});
