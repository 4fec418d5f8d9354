import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Instrument, nn, Rng, setInstrument, Tensor } from '../../../src/engine';
import { setReplayEnabled } from '../../../src/engine/replay/step';
import { parseSpec } from '../../../src/model';
import { forwardBackward, prepare, traceBuilt, type Session } from '../../../src/trace/run';
import type { Trace } from '../../../src/trace/types';

/** Every number of `b` is the same bits as `a`'s (NaN equal to NaN, 0 not equal to -0), with the path of the first that is not. */
function sameBits(a: unknown, b: unknown, path = ''): string | null {
  if (typeof a === 'number' || typeof b === 'number') return Object.is(a, b) ? null : `${path}: ${String(a)} vs ${String(b)}`;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return a === b ? null : `${path}: ${String(a)} vs ${String(b)}`;
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) return sameBits(Array.from(a as Float32Array), Array.from(b as Float32Array), path);
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  if (ka.join() !== kb.join()) return `${path}: keys ${ka.join()} vs ${kb.join()}`;
  for (const k of ka) {
    const d = sameBits((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
    if (d) return d;
  }
  return null;
}

function specOf(yaml: string) {
  const { spec, diagnostics } = parseSpec(yaml, 'm.grad.yaml');
  assert.ok(spec, diagnostics.map((d) => d.message).join('; '));
  return spec;
}

/** The trace (without its duration) and the weights after it, replayed or eager; and how many steps were replayed. */
function traced(yaml: string, replay: boolean, dtype?: 'float32' | 'float64'): { trace: Omit<Trace, 'durationMs'>; weights: number[][]; replayed: number } {
  const before = setReplayEnabled(replay);
  try {
    const spec = specOf(yaml);
    const session = prepare(spec, { dtype });
    const meta = { seed: spec.trace.seed, steps: spec.trace.steps, optimizer: { type: spec.optimizer.type, lr: Number(spec.optimizer.args.lr), clip: null } };
    const { durationMs: _, ...trace } = traceBuilt(session, 'm.grad.yaml', meta);
    return { trace, weights: session.built.params.map((p) => Array.from(p.data)), replayed: session.replay?.replayed ?? 0 };
  } finally {
    setReplayEnabled(before);
  }
}

function assertSameRun(yaml: string, dtype?: 'float32' | 'float64'): number {
  const eager = traced(yaml, false, dtype);
  const replayed = traced(yaml, true, dtype);
  assert.equal(eager.replayed, 0);
  assert.equal(sameBits(eager.trace, replayed.trace), null, 'the trace');
  assert.equal(sameBits(eager.weights, replayed.weights), null, 'the weights after the run');
  return replayed.replayed;
}

// W1 of the bench: the seed model (Linear(10,10)-Sigmoid-Linear(10,1), MSE, SGD, batch 1, 20 steps)
/**
 * `steps` steps of a session (W1's unless given; `before` changes it first), eager and replayed: every loss and
 * gradient the same bits. Returns the steps replayed.
 */
function sameSteps(steps: number, before: (session: Session, step: number) => unknown, yaml = W1): number {
  const run = (replay: boolean) => {
    const was = setReplayEnabled(replay);
    try {
      const session: Session = prepare(specOf(yaml), {});
      const out: unknown[] = [];
      for (let k = 0; k < steps; k++) {
        before(session, k);
        out.push(forwardBackward(session).item(), session.built.params.map((p) => Array.from(p.grad!)));
        session.built.optimizer.step();
      }
      return { out, replayed: session.replay?.replayed ?? 0 };
    } finally {
      setReplayEnabled(was);
    }
  };
  const eager = run(false);
  const replayed = run(true);
  assert.equal(sameBits(eager.out, replayed.out), null);
  return replayed.replayed;
}

const W1 = readFileSync(join(__dirname, '../../../examples/seed.grad.yaml'), 'utf8');

function mlp(optimizer: string, opts: { width?: number; batch?: number; loss?: string; extra?: string } = {}): string {
  const w = opts.width ?? 12;
  const ce = opts.loss === 'ce';
  const loss = ce ? 'CrossEntropyLoss' : opts.loss === 'l1' ? 'L1Loss' : 'MSELoss';
  return `
model:
  - Linear: {in_features: 7, out_features: ${w}}
  - Tanh
  - Linear: {in_features: ${w}, out_features: ${w}}
  - ReLU
${opts.extra ?? ''}  - Linear: {in_features: ${w}, out_features: ${w}}
  - LeakyReLU: {negative_slope: 0.1}
  - Linear: {in_features: ${w}, out_features: ${ce ? 5 : 3}}
input: {shape: [7], distribution: normal}
target: ${ce ? '{classes: 5}' : '{shape: [3], distribution: normal}'}
loss: ${loss}
optimizer: ${optimizer}
trace: {steps: 8, batch_size: ${opts.batch ?? 4}, seed: 3}
`;
}

describe('replayed training steps (issue 16)', () => {
  it('replays W1 after its first step, with every recorded number and weight the bits of the eager run', () => {
    assert.equal(assertSameRun(W1), 19);
  });

  it('replays in float64 too', () => {
    assert.equal(assertSameRun(W1, 'float64'), 19);
  });

  for (const optimizer of [
    '{SGD: {lr: 0.05, momentum: 0.9, nesterov: true, weight_decay: 0.001}}',
    '{Adam: {lr: 0.01}}',
    '{AdamW: {lr: 0.01}}',
    '{RMSprop: {lr: 0.01}}',
    '{Adagrad: {lr: 0.05}}',
    '{Adadelta: {lr: 1}}',
  ]) {
    it(`replays several layers and activations under ${optimizer}`, () => {
      assert.equal(assertSameRun(mlp(optimizer)), 7);
    });
  }

  it('replays L1Loss, and MSELoss summed', () => {
    assert.equal(assertSameRun(mlp('{Adam: {lr: 0.01}}', { loss: 'l1' })), 7);
    assert.equal(assertSameRun(mlp('{SGD: {lr: 0.01}}').replace('loss: MSELoss', 'loss: {MSELoss: {reduction: sum}}')), 7);
    // float64 keeps what float32 rounds away: a sum in another order shows
    assert.equal(assertSameRun(mlp('{SGD: {lr: 0.01}}'), 'float64'), 7);
  });

  it('replays CrossEntropyLoss with gradient clipping by norm and by value', () => {
    assert.equal(assertSameRun(mlp('{SGD: {lr: 0.5}, clip_grad_norm: 0.01}', { loss: 'ce' })), 7);
    assert.equal(assertSameRun(mlp('{Adam: {lr: 0.01}, clip_grad_value: 0.001}', { loss: 'ce' })), 7);
  });

  it('replays layers wide enough for the WebAssembly kernels (into the plan\'s arrays; the ops own forward and backward where the plan has no kernel) and the buffer pool', () => {
    // a batch as wide as the layers: an activation takes an array of a weight gradient's size from the pool
    assert.equal(assertSameRun(mlp('{SGD: {lr: 0.01}}', { width: 64, batch: 64, loss: 'ce' })), 7);
  });

  // W3 of the bench: 20×(Linear(64,64)+Sigmoid), MSE, batch 32 (its activations in the WebAssembly kernels)
  const W3 = `
model:
${'  - Linear: {in_features: 64, out_features: 64}\n  - Sigmoid\n'.repeat(20)}input: {shape: [64], distribution: normal}
target: {shape: [64], distribution: normal}
loss: MSELoss
optimizer: {SGD: {lr: 0.5, momentum: 0.9}}
trace: {steps: 6, batch_size: 32, seed: 4}
`;

  it("replays W3's shape with every recorded number, loss, gradient and weight the bits of the eager run", () => {
    assert.equal(assertSameRun(W3), 5);
    assert.equal(sameSteps(6, () => undefined, W3), 5);
  });

  it("writes W3's activations and their gradients into the plan's own arrays: the same arrays every step", () => {
    const session = prepare(specOf(W3), {});
    const held: unknown[][] = [];
    for (let k = 0; k < 4; k++) {
      forwardBackward(session);
      held.push(session.replay!.held());
    }
    assert.equal(session.replay?.replayed, 3);
    // the first replay's arrays are the last one's: nothing rebound to an array made during a step
    assert.ok(held[1].length > 40);
    assert.ok(held[3].every((a, i) => a === held[1][i]));
  });

  it('replays a run into overflow: the first non-finite op, its phase and the stop are the eager run\'s', () => {
    const yaml = mlp('{SGD: {lr: 40}}', { loss: 'ce' });
    const eager = traced(yaml, false);
    assert.ok(eager.trace.firstNonFinite && eager.trace.firstNonFinite.step > 1, 'the eager run overflows after its second step');
    assert.ok(assertSameRun(yaml) > 0);
  });

  it('replays Dropout, its masks drawn from its generator in the eager order', () => {
    assert.equal(assertSameRun(mlp('{SGD: {lr: 0.05, momentum: 0.9}}', { extra: '  - Dropout: {p: 0.3}\n' })), 7);
  });

  it('runs a Dropout switched to eval (or back) eagerly, and replays once the mode holds', () => {
    const yaml = mlp('{SGD: {lr: 0.05}}', { extra: '  - Dropout: {p: 0.5}\n' });
    assert.equal(sameSteps(8, (session, k) => session.built.module.train(k < 3 || k > 5), yaml), 5);
  });

  it('runs BatchNorm eagerly: same numbers, nothing replayed', () => {
    const yaml = mlp('{SGD: {lr: 0.05, momentum: 0.9}}', { extra: '  - BatchNorm1d: {num_features: 12}\n  - Dropout: {p: 0.3}\n' });
    assert.equal(assertSameRun(yaml), 0);
  });

  it('runs eagerly a step whose batch has another size, and replays again once the graph is the same', () => {
    const rng = new Rng(5);
    const batches = [1, 1, 3, 3, 3, 1].map((n) => ({
      input: new Tensor(new Float32Array(n * 10).map(() => rng.normal()), [n, 10]),
      target: new Tensor(new Float32Array(n).map(() => rng.normal()), [n, 1]),
    }));
    // each batch twice: the second time its graph is the plan's (every batch is a new tensor: its
    // first step runs eagerly and is recorded)
    assert.equal(sameSteps(12, (session, k) => (session.batch = batches[k >> 1])), 6);
  });

  it('records with one instrument over several steps as eager does (no summary of a step taken for the next)', () => {
    const run = (replay: boolean) => {
      const before = setReplayEnabled(replay);
      const instrument = new Instrument();
      setInstrument(instrument);
      try {
        const session = prepare(specOf(W1), {});
        for (let k = 0; k < 4; k++) {
          forwardBackward(session);
          session.built.optimizer.step();
        }
        return { activations: instrument.activations, outputs: instrument.outputs, flow: instrument.flow, replayed: session.replay?.replayed };
      } finally {
        setInstrument(null);
        setReplayEnabled(before);
      }
    };
    const eager = run(false);
    const replayed = run(true);
    assert.equal(replayed.replayed, 3);
    assert.equal(sameBits({ ...eager, replayed: 0 }, { ...replayed, replayed: 0 }), null);
  });

  it('follows a session given another model mid-run (its own plan, from an eager first step)', () => {
    const other = () => prepare(specOf(W1.replace('seed: 0', 'seed: 9')), {}).built;
    assert.equal(sameSteps(6, (session, k) => k === 3 && (session.built = other())), 2);
  });

  it('refuses a module class it does not know to be static (a subclass may branch)', () => {
    class Mine extends nn.Linear {}
    const session = prepare(specOf(W1), {});
    const m = new nn.Sequential([new Mine(10, 1, { rng: new Rng(0) })]);
    session.built = { ...session.built, module: m, params: m.parameters() };
    for (let k = 0; k < 3; k++) forwardBackward(session);
    assert.equal(session.replay?.replayed, 0);
    assert.match(session.replay?.refused ?? '', /module 0 is a Mine/);
  });
});
