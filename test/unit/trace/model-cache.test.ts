/**
 * The quick trace's kept model (src/trace/model-cache.ts, src/engine/nn/snapshot.ts): a run of an
 * unchanged model starts from the kept module, put back as it was built, and must give the same
 * trace to the bit as a fresh build — dropout masks (Dropout's generator and MultiheadAttention's),
 * batch norm's running statistics, parameters, gradients; an edit to a layer builds anew.
 */
import assert from 'node:assert/strict';
import { nn, Rng } from '../../../src/engine';
import { restoreModule, snapshotModule } from '../../../src/engine/nn/snapshot';
import { stateDict } from '../../../src/engine/state';
import { parseSpec } from '../../../src/model';
import type { ModelSpec } from '../../../src/model/graph';
import { DEFAULT_CONFIG } from '../../../src/rules/config';
import { forgetModel, keptModel, modelKey } from '../../../src/trace/model-cache';
import { prepare, traceModel } from '../../../src/trace/run';
import type { Trace } from '../../../src/trace/types';
import { runJob } from '../../../src/worker/job';
import type { TraceReply } from '../../../src/worker/messages';

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

const trace = (text: string, reuseModel: boolean) => traceModel(specOf(text), 'm.grad.yaml', { reuseModel });

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
    const run = (text: string) => {
      const replies: TraceReply[] = [];
      runJob({ id: 1, text, fileName: 'm.grad.yaml', memoryLimitBytes: 2 ** 28, timeLimitMs: 60000, config: DEFAULT_CONFIG, progress: false }, (r) => replies.push(structuredClone(r)));
      const traced = replies.find((r) => r.type === 'traced') as Extract<TraceReply, { type: 'traced' }>;
      assert.ok(traced, JSON.stringify(replies));
      return { findings: traced.findings, trace: numbers(traced.trace) };
    };
    const fresh = run(SPEC);
    const kept = keptModel();
    assert.ok(kept);
    const again = run(SPEC);
    assert.equal(keptModel(), kept);
    assert.deepEqual(again, fresh);
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
