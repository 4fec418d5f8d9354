import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { backward, Tensor } from '../../../src/engine';
import { emptyPool, poolCounts, pooledBytes } from '../../../src/engine/buffer-pool';
import { kernelMemoryHeld, memoryInUse } from '../../../src/engine/context';
import type { DType } from '../../../src/engine/dtype';
import type { Module } from '../../../src/engine/nn/module';
import { recordStep, releaseStep } from '../../../src/engine/step-scope';
import { parseSpec } from '../../../src/model';
import { persistentBytes } from '../../../src/model/memory';
import { forwardBackward, prepare, Session, traceBuilt, traceModel } from '../../../src/trace/run';
import type { Trace } from '../../../src/trace/types';
import { pooledModels, sameBits, usePoisonedPool } from '../../support/pool';

const ROOT = join(__dirname, '../../..');
const STEPS = 4;

const MODELS: Record<string, string> = {
  ...pooledModels(STEPS),
  seed: readFileSync(join(ROOT, 'examples/seed.grad.yaml'), 'utf8'),
};

function specOf(name: string) {
  const { spec, diagnostics } = parseSpec(MODELS[name], `${name}.grad.yaml`);
  if (!spec) throw new Error(`${name} does not parse: ${diagnostics.map((d) => d.message).join('; ')}`);
  return spec;
}

/** Everything a step leaves behind: each parameter's gradient and values, and the module's buffers. */
function stateOf(s: Session): Float64Array[] {
  const m = s.built.module;
  return [...s.built.params.flatMap((p) => [Float64Array.from(p.grad!), Float64Array.from(p.data)]), ...m.namedBufferTensors().map(([, b]) => Float64Array.from(b.data))];
}


/** The trace's numbers as JSON (exact for doubles; typed arrays as lists), without the wall-clock time. */
function numbers(trace: Trace): string {
  return JSON.stringify({ ...trace, durationMs: 0 }, (_k, v) => (ArrayBuffer.isView(v) ? Array.from(v as Float64Array) : v));
}

/** STEPS steps of the spec's trace, with or without the step scope, from an empty pool. */
function trace(name: string, dtype: DType, owns: boolean) {
  emptyPool();
  const spec = specOf(name);
  const s = prepare(spec, { dtype });
  assert.equal(s.ownsSteps, true, 'a spec-built session owns its steps');
  s.ownsSteps = owns;
  const states: Float64Array[][] = [];
  const start = poolCounts();
  const meta = { seed: spec.trace.seed, steps: STEPS, optimizer: { type: spec.optimizer.type, lr: Number(spec.optimizer.args.lr), clip: null } };
  const t = traceBuilt(s, `${name}.grad.yaml`, meta, { onStep: () => void states.push(stateOf(s)) });
  const end = poolCounts();
  return { json: numbers(t), states, fresh: end.fresh - start.fresh, reused: end.reused - start.reused, steps: t.steps.length };
}

describe('step scope: a traced step gives its forward intermediates back to the pool', () => {
  usePoisonedPool();

  for (const name of Object.keys(MODELS)) {
    for (const dtype of ['float32', 'float64'] as const) {
      it(`${name} (${dtype}): ${STEPS} steps on reused arrays give the same gradients, weights, buffers and trace to the bit`, () => {
        const off = trace(name, dtype, false);
        const on = trace(name, dtype, true);
        assert.equal(on.steps, STEPS);
        on.states.forEach((state, step) => state.forEach((a, i) => sameBits(a, off.states[step][i], `step ${step}, array ${i}`)));
        assert.equal(on.json, off.json, 'the trace records the same numbers');
        const mb = (b: number) => (b / 1e6).toFixed(2);
        console.log(`      ${name} ${dtype}: fresh ${mb(off.fresh)} → ${mb(on.fresh)} MB, reused ${mb(off.reused)} → ${mb(on.reused)} MB over ${STEPS} steps`);
        // The seed model's arrays are all small (carved from shared blocks, never pooled).
        if (name !== 'seed') {
          assert.ok(on.reused > off.reused, `reused ${on.reused} bytes with the scope, ${off.reused} without`);
          assert.ok(on.fresh < off.fresh, `allocated ${on.fresh} bytes with the scope, ${off.fresh} without`);
        }
      });
    }
  }

  it('the product path uses it: traceModel on a spec reuses the forward of one step in the next', () => {
    const spec = specOf('transformer');
    emptyPool();
    const start = poolCounts();
    traceModel(spec, 'transformer.grad.yaml', { dtype: 'float32' });
    const owned = poolCounts().reused - start.reused;
    const off = trace('transformer', 'float32', false);
    assert.ok(owned > off.reused, `traceModel reused ${owned} bytes, the same steps without the scope ${off.reused}`);
  });

  it('keeps a trace under a tight memory cap: what the step gave back counts against the cap, and goes before the cap refuses a step', () => {
    const spec = specOf('transformer');
    const s = prepare(spec, { dtype: 'float32' });
    forwardBackward(s);
    const held = persistentBytes(s.built.params, s.built.optimizer.stateSlots, [s.batch.input, s.batch.target]);
    // Room for one step and little more: the pool alone would go over it.
    const cap = (memoryInUse() + held + kernelMemoryHeld()) * 1.05;
    const meta = { seed: spec.trace.seed, steps: STEPS, optimizer: { type: spec.optimizer.type, lr: Number(spec.optimizer.args.lr), clip: null } };
    let loosest = 0;
    traceBuilt(prepare(spec, { dtype: 'float32' }), 'transformer.grad.yaml', meta, {
      onStep: () => void (loosest = Math.max(loosest, memoryInUse() + kernelMemoryHeld() + pooledBytes())),
    });
    assert.ok(loosest > cap, `without the cap a step and the pool hold ${loosest} bytes, over the cap of ${cap}`);
    const fresh = prepare(spec, { dtype: 'float32' });
    let steps = 0;
    const t = traceBuilt(fresh, 'transformer.grad.yaml', meta, {
      memoryLimitBytes: cap,
      onStep: () => {
        steps++;
        assert.ok(memoryInUse() + kernelMemoryHeld() + pooledBytes() <= cap, `step ${steps}: ${memoryInUse()} + ${pooledBytes()} pooled over the cap of ${cap}`);
      },
    });
    assert.equal(t.stoppedEarly, null);
    assert.equal(steps, STEPS);
    assert.equal(numbers(t), trace('transformer', 'float32', false).json, 'the same numbers as without the scope');
  });

  it('would catch a premature give-back: intermediates given back before the backward has read them change the gradients', () => {
    const s = prepare(specOf('transformer'), { dtype: 'float32' });
    forwardBackward(s);
    const want = s.built.params.map((p) => Float64Array.from(p.grad!));
    for (const p of s.built.params) p.grad = null;
    const { result: loss, scope } = recordStep(() => s.built.loss.call(s.built.module.call(s.batch.input), s.batch.target));
    releaseStep(scope, loss, { module: s.built.module, tensors: [s.batch.input, s.batch.target] });
    assert.ok(scope.released > 0, 'the forward gave arrays back');
    backward(loss);
    const differs = s.built.params.some((p, i) => {
      try {
        sameBits(p.grad!, want[i], p.name ?? '');
        return false;
      } catch {
        return true;
      }
    });
    assert.ok(differs, 'the poisoned arrays reached the gradients');
  });

  it('never gives back a tensor a layer keeps as a field (its values stay as the forward left them)', () => {
    const s = prepare(specOf('cnn'), { dtype: 'float32' });
    // A layer that keeps its output, as a hook or a cache would.
    const [, layer] = s.built.module.namedModules().find(([path]) => path === '1')!;
    const keeper = layer as Module & { kept?: Tensor; keptValues?: Float64Array };
    const forward = keeper.forward.bind(keeper);
    keeper.forward = (x: Tensor) => {
      const y = forward(x);
      keeper.kept = y;
      keeper.keptValues = Float64Array.from(y.data);
      return y;
    };
    let checked = 0;
    const spec = specOf('cnn');
    const meta = { seed: spec.trace.seed, steps: STEPS, optimizer: { type: spec.optimizer.type, lr: Number(spec.optimizer.args.lr), clip: null } };
    const start = poolCounts();
    traceBuilt(s, 'cnn.grad.yaml', meta, {
      onStep: () => {
        sameBits(keeper.kept!.storage, keeper.keptValues!, `the kept output after step ${checked++}`);
      },
    });
    assert.equal(checked, STEPS);
    assert.ok(poolCounts().reused > start.reused, 'the rest of each step was reused');
    assert.ok(keeper.kept!.storage.length * 4 > 2048, 'the kept output is large enough to be pooled');
  });
});
