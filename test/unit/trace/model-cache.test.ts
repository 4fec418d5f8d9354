/**
 * The quick trace's kept model (src/trace/model-cache.ts, src/engine/nn/snapshot.ts): a run of an
 * unchanged model starts from the kept module, put back as it was built, and must give the same
 * trace to the bit as a fresh build — dropout masks (Dropout's generator and MultiheadAttention's),
 * batch norm's running statistics, parameters, gradients; an edit to a layer builds anew.
 */
import assert from 'node:assert/strict';
import { nn, Rng } from '../../../src/engine';
import { pooledBytes } from '../../../src/engine/buffer-pool';
import { kernelMemoryHeld, keptMemory, memoryInUse, withMemoryLimit } from '../../../src/engine/context';
import { restoreModule, snapshotModule } from '../../../src/engine/nn/snapshot';
import { stateDict } from '../../../src/engine/state';
import { parseSpec } from '../../../src/model';
import type { ModelSpec } from '../../../src/model/graph';
import { DEFAULT_CONFIG } from '../../../src/rules/config';
import { limitName } from '../../../src/limits';
import { formatBytes } from '../../../src/numbers';
import { forgetModel, keptModel, modelKey, modelNote, reusableModule } from '../../../src/trace/model-cache';
import { prepare, traceModel } from '../../../src/trace/run';
import type { Trace } from '../../../src/trace/types';
import { runJob } from '../../../src/worker/job';
import type { TraceReply } from '../../../src/worker/messages';
import { pooledModels, usePoisonedPool } from '../../support/pool';

// Dropout with p > 0 (its generator), batch norm (running statistics), an encoder layer whose
// attention dropout draws from MultiheadAttention's own generator.
const SPEC = `model:
  - Linear: {in_features: 6, out_features: 8}
  - BatchNorm1d: {num_features: 2}
  - ReLU
  - Dropout: {p: 0.3}
  - Linear: {in_features: 8, out_features: 4}
  - TransformerEncoderLayer: {d_model: 4, nhead: 2, dim_feedforward: 8, dropout: 0.2, batch_first: true}
  - Flatten
  - Linear: {in_features: 8, out_features: 3}
input: {shape: [2, 6], distribution: normal}
target: {classes: 3}
loss: CrossEntropyLoss
optimizer: {Adam: {lr: 0.01}}
trace: {steps: 4, batch_size: 5, seed: 3}
`;

function specOf(text: string): ModelSpec {
  const { spec, diagnostics } = parseSpec(text, 'm.grad.yaml');
  assert.ok(spec, diagnostics.map((d) => d.message).join('; '));
  return spec;
}

/** A trace's numbers: everything but how long it took. */
function numbers(t: Trace): unknown {
  return JSON.parse(JSON.stringify({ ...t, durationMs: 0 }, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v)));
}

const trace = (text: string, reuseModel: boolean, memoryLimitBytes?: number) => traceModel(specOf(text), 'm.grad.yaml', { reuseModel, memoryLimitBytes });

/** The trace worker's run of `text` under a memory limit (the extension's setting): its findings and numbers. */
function job(text: string, memoryLimitBytes = 2 ** 28) {
  const replies: TraceReply[] = [];
  runJob({ id: 1, text, fileName: 'm.grad.yaml', memoryLimitBytes, timeLimitMs: 60000, config: DEFAULT_CONFIG, progress: false }, (r) => replies.push(structuredClone(r)));
  const traced = replies.find((r) => r.type === 'traced') as Extract<TraceReply, { type: 'traced' }>;
  assert.ok(traced, JSON.stringify(replies));
  return { findings: traced.findings, trace: numbers(traced.trace), model: traced.timings.model };
}

/** What two runs must have alike: their findings and numbers (not how each had its model). */
const results = ({ findings, trace }: ReturnType<typeof job>) => ({ findings, trace });

describe('the quick trace keeps its model between runs', () => {
  beforeEach(() => forgetModel());
  after(() => forgetModel());

  it('an unchanged model is reused, and traces to the same numbers as a fresh build', () => {
    const fresh = trace(SPEC, false);
    assert.equal(keptModel(), null, 'a run without reuseModel keeps nothing');
    const first = trace(SPEC, true);
    const kept = keptModel();
    assert.ok(kept, 'the first run keeps its model');
    // The kept module has trained: its weights, running statistics and generators have moved on.
    const second = trace(SPEC, true);
    assert.equal(keptModel(), kept, 'the second run reused the module');
    assert.deepEqual(numbers(first), numbers(fresh));
    assert.deepEqual(numbers(second), numbers(fresh));
  });

  it('put back, the module holds what a fresh build holds: parameters, batch norm buffers, no gradients', () => {
    const spec = specOf(SPEC);
    const built = prepare(spec, { reuseModel: true }).built.module;
    const before = stateDict(built);
    traceModel(spec, 'm.grad.yaml', { reuseModel: true });
    assert.notDeepEqual(stateDict(built), before, 'the trace trained the kept module');
    const again = prepare(spec, { reuseModel: true }).built.module;
    assert.equal(again, built);
    assert.deepEqual(stateDict(again), stateDict(prepare(spec).built.module));
    assert.ok(again.parameters().every((p) => p.grad === null));
    assert.ok(
      again.namedBufferTensors().some(([name]) => name.endsWith('num_batches_tracked')),
      'the spec has batch norm buffers to put back',
    );
  });

  it('an edit outside the model (the learning rate, a comment) keeps it; the trace is the fresh build\'s', () => {
    trace(SPEC, true);
    const kept = keptModel();
    const edited = `# tuned\n${SPEC.replace('lr: 0.01', 'lr: 0.05')}`;
    const reused = trace(edited, true);
    assert.equal(keptModel(), kept);
    assert.deepEqual(numbers(reused), numbers(trace(edited, false)));
  });

  it('an edit to a layer, the seed or the dtype builds anew', () => {
    for (const edit of [
      (t: string) => t.replace('p: 0.3', 'p: 0.4'),
      (t: string) => t.replace('out_features: 8}', 'out_features: 8, bias: false}'),
      (t: string) => t.replace('seed: 3', 'seed: 4'),
      (t: string) => t.replace('seed: 3}', 'seed: 3, dtype: float64}'),
    ]) {
      forgetModel();
      trace(SPEC, true);
      const kept = keptModel();
      const text = edit(SPEC);
      assert.notEqual(text, SPEC);
      const rebuilt = trace(text, true);
      assert.notEqual(keptModel(), kept, `rebuilt after ${text}`);
      assert.deepEqual(numbers(rebuilt), numbers(trace(text, false)));
    }
  });

  it('the key: source ranges do not count, every argument does (inf is not null)', () => {
    const spec = specOf(SPEC);
    const moved = specOf(`# a comment that moves every range\n\n${SPEC}`);
    assert.equal(modelKey(moved, 'float32', 1), modelKey(spec, 'float32', 1));
    assert.notEqual(modelKey(spec, 'float64', 1), modelKey(spec, 'float32', 1));
    assert.notEqual(modelKey(spec, 'float32', 2), modelKey(spec, 'float32', 1), 'a lower memory limit must be able to refuse the build');
    const arg = (v: number | null) => {
      const s = specOf(SPEC);
      s.model.children[0].args.extra = v;
      return modelKey(s, 'float32', 1);
    };
    assert.notEqual(arg(Infinity), arg(null));
    assert.notEqual(arg(-Infinity), arg(Infinity));
  });

  it('the trace worker reuses: the same findings and numbers as after a fresh build', () => {
    const fresh = job(SPEC);
    const kept = keptModel();
    assert.ok(kept);
    assert.match(fresh.model ?? '', /^built, kept for the next trace \(\d/);
    const again = job(SPEC);
    assert.equal(keptModel(), kept);
    assert.equal(again.model, 'the kept model, put back', 'the worker says so in its log');
    assert.deepEqual(results(again), results(fresh));
  });

  it('a module holding a function of the user\'s is not kept (its closure cannot be put back)', () => {
    const rng = new Rng(1);
    let calls = 0;
    const custom = new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 8, activation: (x) => (calls++, x), rng });
    assert.equal(snapshotModule(custom), null);
    assert.equal(calls, 0);
    assert.ok(snapshotModule(new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 8, activation: 'gelu', rng })), 'relu and gelu are the engine\'s own');
  });

  it('restores in place: fields added after the snapshot go, replaced arrays and maps come back', () => {
    const m = new nn.Linear(3, 2, { rng: new Rng(2) });
    const snap = snapshotModule(m)!;
    const weight = m.weight;
    const values = Float64Array.from(weight.data);
    weight.data.fill(7);
    weight.grad = new Float32Array(6);
    (m as unknown as Record<string, unknown>).extra = 1;
    m.training = false;
    restoreModule(snap);
    assert.equal(m.weight, weight);
    assert.deepEqual(Float64Array.from(weight.data), values);
    assert.equal(weight.grad, null);
    assert.equal('extra' in m, false);
    assert.equal(m.training, true);
  });
});

/**
 * The kept model is memory the worker holds (its arrays and their copy, twice the model's), so it
 * counts against the memory limit; it is let go whenever a run needs the room, and never makes a
 * run fail or trace other numbers.
 */
describe('the kept model counts against the memory limit', () => {
  beforeEach(() => forgetModel());
  after(() => forgetModel());

  /** What a run of `text` holds at its fullest (a step's tensors and the kernels' memory), and the bytes of its model's arrays. */
  function measure(text: string): { peak: number; model: number } {
    let peak = 0;
    traceModel(specOf(text), 'm.grad.yaml', { onStep: () => void (peak = Math.max(peak, memoryInUse() + kernelMemoryHeld())) });
    return { peak, model: snapshotModule(prepare(specOf(text)).built.module)!.bytes };
  }

  /** The trace of `text` under `limit`, asserting at every step that all the run holds, the kept model included, is under it. */
  function capped(text: string, limit: number, reuseModel = true): Trace {
    let steps = 0;
    const t = traceModel(specOf(text), 'm.grad.yaml', {
      reuseModel,
      memoryLimitBytes: limit,
      onStep: () => {
        const held = memoryInUse() + kernelMemoryHeld() + pooledBytes() + keptMemory();
        assert.ok(held <= limit, `step ${steps++}: ${held} bytes held (${keptMemory()} of them kept) over the limit of ${limit}`);
      },
    });
    assert.equal(t.stoppedEarly, null);
    return t;
  }

  it('a limit the fresh build fits, but not with the kept copy: the run passes, keeps nothing, and traces the fresh build\'s numbers', () => {
    const { peak, model } = measure(SPEC);
    const limit = peak + model / 2;
    const t = capped(SPEC, limit);
    assert.equal(keptModel(), null, `a model of ${model} bytes and its copy do not fit beside a run of ${peak} under ${limit}`);
    assert.equal(keptMemory(), 0);
    assert.deepEqual(numbers(t), numbers(trace(SPEC, false, limit)));
  });

  it('a run that uses the kept model counts its copy once; a run that does not counts the model too, and takes the room back', () => {
    const { peak, model } = measure(SPEC);
    // Room for one copy beside the run, not for two.
    const limit = peak + model * 1.25;
    capped(SPEC, limit);
    const kept = keptModel();
    assert.ok(kept, 'the model and its copy fit beside the run that uses it');
    assert.equal(keptMemory(), 2 * model, 'between runs: the model and its copy');
    capped(SPEC, limit);
    assert.equal(keptModel(), kept, 'reused under the same limit');
    // Another run in the same process (the CLI's or a test's), of its own model.
    const other = capped(SPEC, limit, false);
    assert.equal(keptModel(), null, 'the kept model made room for a run that does not use it');
    assert.deepEqual(numbers(other), numbers(trace(SPEC, false, limit)));
  });

  it('a kept model goes during a run that needs the room: the same model on a larger batch', () => {
    const larger = SPEC.replace('batch_size: 5', 'batch_size: 40');
    const { peak, model } = measure(larger);
    const limit = peak + model / 2;
    capped(SPEC, limit);
    assert.ok(keptModel(), 'the small batch leaves room to keep the model');
    const t = capped(larger, limit);
    assert.equal(keptModel(), null, 'let go for the larger batch');
    assert.deepEqual(numbers(t), numbers(trace(larger, false, limit)));
  });

  it('a smaller gradientLens.memoryLimitMB after a kept model: the worker keeps nothing it cannot fit, with the same findings', () => {
    const { peak, model } = measure(SPEC);
    job(SPEC);
    assert.ok(keptModel(), 'kept under the default limit');
    const limit = peak + model / 2;
    const smaller = job(SPEC, limit);
    assert.equal(keptModel(), null);
    // The worker's log says why the next quick trace builds it again, naming the limit and its setting.
    assert.match(smaller.model ?? '', /^built, kept for the next trace .*, then let go during the trace: the .* memory limit \(--memory-limit-mb \/ gradientLens\.memoryLimitMB\) needed the room$/);
    assert.ok(smaller.model?.includes(formatBytes(limit)), smaller.model);
    assert.deepEqual(results(smaller), results(job(SPEC, limit)));
    assert.equal(keptModel(), null);
  });

  it('a model that with its copy cannot fit the limit at all is not copied, and the note says so', () => {
    const spec = specOf(SPEC);
    const module = () => prepare(spec).built.module;
    const model = snapshotModule(module())!.bytes;
    const limit = kernelMemoryHeld() + model * 1.5;
    const had = withMemoryLimit(limit, () => reusableModule(modelKey(spec, 'float32', limit), module, limit));
    assert.equal(had.reused, false);
    assert.equal(keptModel(), null);
    assert.equal(keptMemory(), 0);
    assert.equal(
      modelNote(),
      `built, not kept: with its copy it takes ${formatBytes(2 * model)}, more than the ${formatBytes(limit)} memory limit (${limitName('memoryLimitMB')}) leaves`,
    );
  });
});

/**
 * The kept model and the buffer pool (engine/buffer-pool.ts, step-scope.ts) share the worker: an
 * array of the kept model must never be given back to the pool (the next run's restore would write
 * into an array someone else holds), and a pooled array must never be in a snapshot. Under the
 * poisoned pool either shows as NaN or as an error on reuse.
 */
describe('the kept model and the buffer pool', () => {
  usePoisonedPool();
  beforeEach(() => forgetModel());
  after(() => forgetModel());

  for (const [name, text] of Object.entries(pooledModels(4))) {
    it(`${name}: runs that reuse the kept model between pooled steps trace the fresh build's numbers, and the pool never takes a kept array`, () => {
      const fresh = numbers(trace(text, false));
      const first = trace(text, true);
      const kept = keptModel()!;
      assert.ok(kept, 'kept');
      assert.ok(kept.parameters().some((p) => p.data.byteLength > 2048), 'the model has parameters the size the pool takes');
      for (let run = 0; run < 3; run++) {
        assert.deepEqual(numbers(run ? trace(text, true) : first), fresh, `run ${run}`);
        assert.equal(keptModel(), kept, `run ${run} reused the kept model`);
      }
      // Each of those runs gave its steps' arrays back to the pool; a kept array among them would
      // have been poisoned there (NaN) and written by the next restore (an error when handed out).
      for (const p of kept.parameters()) assert.ok(p.data.every(Number.isFinite), p.name ?? '');
    });
  }
});
