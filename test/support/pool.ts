/** The buffer pool's checking mode for a suite, and the bit-for-bit comparison its tests make. */
import assert from 'node:assert/strict';
import { emptyPool, setPoolChecks } from '../../src/engine/buffer-pool';

/**
 * Poisoned pool for every test of the calling suite: an array given back is filled with NaN at
 * once, and one written after it was given back throws when handed out again, so a premature
 * give-back shows in every comparison the tests make. Each test starts from an empty pool.
 */
export function usePoisonedPool(): void {
  let checks: boolean;
  beforeEach(() => {
    checks = setPoolChecks(true);
    emptyPool();
  });
  afterEach(() => {
    setPoolChecks(checks);
    emptyPool();
  });
}

/** Bit for bit (NaN equal to NaN), told by the first differing index: deepEqual on millions of values takes minutes. */
export function sameBits(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  assert.equal(got.length, want.length, what);
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i])) assert.fail(`${what}: [${i}] is ${got[i]}, was ${want[i]}`);
  }
}

/**
 * Specs of `steps` steps small enough to run in both dtypes, large enough that their arrays (over
 * 2 KB) come from the pool: attention with dropout, an LSTM, a CNN with BatchNorm's running
 * statistics and Dropout's masks (state and randomness a give-back must not disturb).
 */
export function pooledModels(steps: number): Record<'transformer' | 'lstm' | 'cnn', string> {
  return {
    transformer: `
model:
  - TransformerEncoder: {d_model: 32, nhead: 2, num_layers: 2, dim_feedforward: 64, dropout: 0.1, batch_first: true}
  - Flatten
  - Linear: {in_features: 512, out_features: 4}
input: {shape: [16, 32], distribution: normal}
target: {classes: 4}
loss: CrossEntropyLoss
optimizer: {AdamW: {lr: 0.001}}
trace: {steps: ${steps}, batch_size: 4, seed: 0}
`,
    lstm: `
model:
  - LSTM: {input_size: 8, hidden_size: 32, batch_first: true}
  - Flatten
  - Linear: {in_features: 384, out_features: 4}
input: {shape: [12, 8], distribution: normal}
target: {classes: 4}
loss: CrossEntropyLoss
optimizer: {SGD: {lr: 0.1, momentum: 0.9}}
trace: {steps: ${steps}, batch_size: 8, seed: 0}
`,
    cnn: `
model:
  - Conv2d: {in_channels: 3, out_channels: 8, kernel_size: 3, padding: 1}
  - BatchNorm2d: {num_features: 8}
  - ReLU
  - MaxPool2d: {kernel_size: 2}
  - Conv2d: {in_channels: 8, out_channels: 16, kernel_size: 3, padding: 1}
  - ReLU
  - Dropout: {p: 0.25}
  - Flatten
  - Linear: {in_features: 256, out_features: 10}
input: {shape: [3, 8, 8], distribution: normal}
target: {classes: 10}
loss: CrossEntropyLoss
optimizer: {Adam: {lr: 0.01}}
trace: {steps: ${steps}, batch_size: 8, seed: 0}
`,
  };
}
