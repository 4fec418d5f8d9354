/**
 * The spec's own errors as a newcomer meets them: an empty file is a hint with a skeleton to start
 * from, a typo comes with the fix that writes the name meant, a size that does not fit with the
 * size that does, and the errors after a typo show at once instead of one at a time. Every fix is
 * in the file's own syntax and, applied, leaves a spec that parses.
 */
import assert from 'node:assert/strict';
import { LOSS_TYPES, parseSpec } from '../../../src/model';
import type { SpecDiagnostic } from '../../../src/model/graph';
import { applyEdits } from '../../../src/model/fixes';
import { skeletonText } from '../../../src/model/skeleton';
import { DEFAULT_CONFIG } from '../../../src/rules/config';
import { runJob } from '../../../src/worker/job';
import type { TraceReply } from '../../../src/worker/messages';

const diags = (text: string, file = 'm.grad.yaml') => parseSpec(text, file).diagnostics;
const only = (ds: SpecDiagnostic[], code: string) => {
  const d = ds.filter((x) => x.code === code);
  assert.equal(d.length, 1, `one ${code} among ${ds.map((x) => `${x.code}: ${x.message}`).join('\n')}`);
  return d[0];
};
/** Applies the diagnostic's first (preferred) fix. */
const fixed = (text: string, d: SpecDiagnostic) => {
  assert.ok(d.fixes?.length, `a fix for ${d.code}: ${d.message}`);
  return applyEdits(text, d.fixes![0].edits);
};

function findingsOf(text: string, fileName: string): string[] {
  const replies: TraceReply[] = [];
  runJob({ id: 1, text, fileName, memoryLimitBytes: 2 ** 28, timeLimitMs: 60_000, config: DEFAULT_CONFIG, progress: false }, (r) => replies.push(r));
  const traced = replies.find((r) => r.type === 'traced');
  assert.ok(traced && traced.type === 'traced', `traced: ${JSON.stringify(replies.map((r) => r.type))}`);
  return traced.findings.map((f) => `${f.rule}: ${f.message}`);
}

describe('spec: an empty file', () => {
  const empties: [string, string][] = [
    ['', 'm.grad.yaml'],
    ['\n\n', 'm.grad.yml'],
    ['# my model\n', 'm.grad.yaml'],
    ['{}', 'm.grad.yaml'],
    ['', 'm.grad.json'],
    ['{}\n', 'm.grad.json'],
    ['null', 'm.grad.json'],
  ];
  for (const [text, file] of empties) {
    it(`${JSON.stringify(text)} in ${file} is a hint with a skeleton to start from, not an error`, () => {
      const ds = diags(text, file);
      assert.deepEqual(ds.map((d) => [d.severity, d.code]), [['info', 'spec/empty']]);
      assert.match(ds[0].message, /empty: a spec needs model, input, target and loss/);
      const started = fixed(text, ds[0]);
      const after = parseSpec(started, file);
      assert.deepEqual(after.diagnostics, [], started);
      assert.ok(after.spec);
      if (text.startsWith('#')) assert.ok(started.startsWith(text), 'the comments the user wrote stay');
      if (file.endsWith('.json')) assert.doesNotThrow(() => JSON.parse(started), 'JSON in a JSON file');
    });
  }

  it('starts from a model that trains: no findings, YAML or JSON', () => {
    assert.deepEqual(findingsOf(skeletonText('yaml'), 's.grad.yaml'), []);
    assert.deepEqual(findingsOf(skeletonText('json'), 's.grad.json'), []);
  });
});

describe('spec: errors with their fixes', () => {
  const TYPO = `model:
  - Linear: {in_features: 10, out_features: 16}
  - Sigmiod
  - Linear: {in_features: 10, out_features: 1}
input: {shape: [10], distribution: normal}
target: {shape: [1], distribution: normal}
loss: MSELos
optimizer: {SGD: {lr: 0.01}}
`;

  it('reports the errors after a typo at once, each with its fix; applying them leaves a spec that parses', () => {
    const ds = diags(TYPO);
    assert.deepEqual(
      ds.map((d) => d.message),
      [
        "unknown layer 'Sigmiod'. Did you mean 'Sigmoid'?",
        'Linear expects 10 input features but the previous layer (1: Sigmoid) gives [16]',
        `unknown loss 'MSELos'. Did you mean 'MSELoss'? Losses are ${LOSS_TYPES.join(', ')}.`,
      ],
    );
    assert.deepEqual(ds.map((d) => d.fixes?.map((f) => f.title)), [["Change to 'Sigmoid'"], ['Set in_features to 16'], ["Change to 'MSELoss'"]]);
    // The in_features fix edits the number, not the key.
    const inFeatures = ds[1];
    assert.equal(TYPO.slice(inFeatures.range.start, inFeatures.range.end), '10');
    let text = TYPO;
    for (const d of [...ds].reverse()) text = fixed(text, d);
    assert.deepEqual(diags(text), []);
    assert.match(text, /- Sigmoid\n  - Linear: \{in_features: 16, out_features: 1\}/);
  });

  it('does the same in JSON, in JSON syntax', () => {
    const json = JSON.stringify(
      { model: [{ Linear: { in_features: 10, out_features: 16 } }, 'Sigmiod', { Linear: { in_features: 10, out_features: 1 } }], input: { shape: [10] }, target: { shape: [1] }, loss: 'MSELoss' },
      null,
      2,
    );
    const ds = diags(json, 'm.grad.json');
    assert.deepEqual(ds.map((d) => d.code), ['spec/unknown-layer', 'spec/shape-mismatch']);
    let text = json;
    for (const d of [...ds].reverse()) text = fixed(text, d);
    assert.deepEqual(diags(text, 'm.grad.json'), []);
    assert.deepEqual(JSON.parse(text).model[1], 'Sigmoid');
    assert.deepEqual(JSON.parse(text).model[2], { Linear: { in_features: 16, out_features: 1 } });
  });

  it('reads a misspelt layer written as a map as the layer meant, arguments and all', () => {
    const text = TYPO.replace('  - Sigmiod\n', '').replace('Linear: {in_features: 10, out_features: 1}', 'Lienar: {in_features: 10, out_features: 1}').replace('MSELos', 'MSELoss');
    const ds = diags(text);
    assert.deepEqual(ds.map((d) => d.code), ['spec/unknown-layer', 'spec/shape-mismatch']);
    assert.match(ds[1].message, /Linear expects 10 input features but the previous layer \(0: Linear\) gives \[16\]/);
  });

  it('stops following the shapes after a name too far from any layer: no errors made up from a guess', () => {
    const ds = diags(TYPO.replace('Sigmiod', 'Frobnicate').replace('MSELos', 'MSELoss'));
    assert.deepEqual(ds.map((d) => d.code), ['spec/unknown-layer']);
    assert.equal(ds[0].fixes, undefined);
    assert.match(ds[0].message, /Layers are Linear, /);
  });

  const BASE = (model: string, input = '[10]', more = '') =>
    `model:\n${model}\ninput: {shape: ${input}, distribution: normal}\ntarget: {shape: [1], distribution: normal}\nloss: MSELoss\n${more}`;
  const cases: { name: string; text: string; code: string; title: string; after: RegExp }[] = [
    { name: 'a misspelt argument', text: BASE('  - Linear: {in_feature: 10, out_features: 1}'), code: 'spec/unknown-arg', title: "Change to 'in_features'", after: /\{in_features: 10, out_features: 1\}/ },
    { name: 'a misspelt top-level key', text: BASE('  - Linear: {in_features: 10, out_features: 1}', '[10]', 'optimiser: {SGD: {lr: 0.1}}\n'), code: 'spec/unknown-key', title: "Change to 'optimizer'", after: /^optimizer: /m },
    { name: 'a misspelt optimiser', text: BASE('  - Linear: {in_features: 10, out_features: 1}', '[10]', 'optimizer: {Adamm: {lr: 0.1}}\n'), code: 'spec/unknown-optimizer', title: "Change to 'Adam'", after: /\{Adam: \{lr: 0\.1\}\}/ },
    { name: 'a misspelt init scheme', text: BASE('  - Linear: {in_features: 10, out_features: 1}\n    init: {weight: xavier_unifrom}'), code: 'spec/unknown-init', title: "Change to 'xavier_uniform'", after: /weight: xavier_uniform/ },
    { name: 'a misspelt distribution', text: BASE('  - Linear: {in_features: 10, out_features: 1}').replace('distribution: normal}\ntarget', 'distribution: uniformm}\ntarget'), code: 'spec/unknown-distribution', title: "Change to 'uniform'", after: /distribution: uniform\}/ },
    { name: 'Conv2d channels', text: BASE('  - Conv2d: {in_channels: 1, out_channels: 4, kernel_size: 3}\n  - Flatten\n  - Linear: {in_features: 144, out_features: 1}', '[3, 8, 8]'), code: 'spec/shape-mismatch', title: 'Set in_channels to 3', after: /in_channels: 3,/ },
    { name: 'BatchNorm1d features', text: BASE('  - Linear: {in_features: 10, out_features: 8}\n  - BatchNorm1d: {num_features: 10}\n  - Linear: {in_features: 8, out_features: 1}'), code: 'spec/shape-mismatch', title: 'Set num_features to 8', after: /num_features: 8\}/ },
    { name: 'LayerNorm shape', text: BASE('  - LayerNorm: {normalized_shape: [8]}\n  - Linear: {in_features: 10, out_features: 1}'), code: 'spec/shape-mismatch', title: 'Set normalized_shape to [10]', after: /normalized_shape: \[10\]/ },
    { name: 'the target shape', text: BASE('  - Linear: {in_features: 10, out_features: 3}'), code: 'spec/shape-mismatch', title: 'Set the target\'s shape to [3]', after: /target: \{shape: \[3\]/ },
  ];
  for (const c of cases) {
    it(`${c.name}: "${c.title}"`, () => {
      const d = only(diags(c.text), c.code);
      assert.deepEqual(d.fixes?.map((f) => f.title), [c.title]);
      const after = fixed(c.text, d);
      assert.match(after, c.after);
      assert.deepEqual(diags(after).map((x) => x.message), []);
    });
  }

  it('adds the missing sections in one fix, after the ones there (YAML block, YAML flow, JSON)', () => {
    for (const [text, file] of [
      ['model:\n  - Linear: {in_features: 10, out_features: 1}\n', 'm.grad.yaml'],
      ['{model: [{Linear: {in_features: 10, out_features: 1}}]}', 'm.grad.yaml'],
      ['{\n  "model": [{"Linear": {"in_features": 10, "out_features": 1}}]\n}\n', 'm.grad.json'],
    ]) {
      const ds = diags(text, file);
      assert.deepEqual(ds.map((d) => d.code), ['spec/missing', 'spec/missing', 'spec/missing'], file);
      assert.equal(ds[0].fixes?.[0].title, 'Add input, target and loss (a starting point to change)');
      const after = fixed(text, ds[0]);
      assert.deepEqual(diags(after, file), [], after);
      if (file.endsWith('.json')) JSON.parse(after);
    }
  });

  it('takes a misspelt key for the one meant, not for a missing one too', () => {
    const ds = diags('model:\n  - Linear: {in_features: 10, out_features: 1}\ninptu: {shape: [10]}\ntarget: {shape: [1]}\nloss: MSELoss\n');
    assert.deepEqual(ds.map((d) => [d.code, d.fixes?.[0].title]), [['spec/unknown-key', "Change to 'input'"]]);
  });
});
