/**
 * Fixes on decorated TypeScript models: the rules' intents written as edits of the user's source,
 * and applied, each makes its finding go (the model run again in its child process).
 */
import assert from 'node:assert/strict';
import { LAYERS } from '../../../src/model/catalogue';
import { applyEdits, type FixIntent } from '../../../src/model/fixes';
import type { ModelSpec } from '../../../src/model/graph';
import { construction, typescriptFixes } from '../../../src/model/typescript/fixes';
import { at, HEADER, runExample, runSource } from './support';

/** The graph of the first model of a run, and a renderer over its text. */
async function modelOf(source: string): Promise<{ text: string; graph: ModelSpec; render: (i: FixIntent[]) => string | null }> {
  const { text, result } = await runSource(source);
  assert.deepEqual(result.errors, []);
  const graph = result.models[0].spec;
  const render = (intents: FixIntent[]) => {
    const edits = typescriptFixes(text, graph)(intents);
    return edits && applyEdits(text, edits);
  };
  return { text, graph, render };
}

const NET = (extra = '', optimizer = "{ SGD: { lr: 0.01 } }") => `${HEADER}
@model({ input: [4], target: [1], loss: 'MSELoss', optimizer: ${optimizer} })
export class Net extends Module {
  fc1 = new Linear(4, 8);
  act = new Sigmoid();
  fc2 = new Linear(8, 1);
${extra}
  forward(x: Tensor): Tensor {
    return this.fc2.forward(this.act.forward(this.fc1.forward(x)));
  }
}
`;

describe('fixes on decorated TypeScript models', function () {
  this.timeout(120_000);

  it('construction: positional arguments first, the rest as camelCased options, defaults left out', () => {
    assert.equal(construction(LAYERS.ReLU, 'ReLU', {}, () => false), 'new ReLU()');
    assert.equal(construction(LAYERS.LogSoftmax, 'LogSoftmax', { dim: -1 }, (k) => k === 'dim'), 'new LogSoftmax(-1)');
    assert.equal(construction(LAYERS.Linear, 'Linear', { in_features: 4, out_features: 2, bias: false }, () => true), 'new Linear(4, 2, { bias: false })');
    assert.equal(construction(LAYERS.LayerNorm, 'LayerNorm', { normalized_shape: 8, elementwise_affine: false }, () => true, 'gl.'), 'new gl.LayerNorm(8, { elementwiseAffine: false })');
    assert.equal(construction(LAYERS.Softplus, 'Softplus', { threshold: 10 }, (k) => k === 'threshold'), 'new Softplus(1, 10)');
  });

  it('replaces a layer where it is built, importing the new type', async () => {
    const { render } = await modelOf(NET());
    const out = render([{ kind: 'replace-layer', layer: 'act', with: 'Tanh', args: {} }]);
    assert.match(out!, /act = new Tanh\(\);/);
    assert.match(out!, /import \{[^}]*, Tanh \} from 'gradient-lens'/);
    // ReLU is imported already: no second import.
    const relu = render([{ kind: 'replace-layer', layer: 'act', with: 'ReLU', args: {} }]);
    assert.equal((relu!.match(/\bReLU\b/g) ?? []).length, 2);
  });

  it('keeps a namespace import: new gl.Sigmoid() becomes new gl.ReLU()', async () => {
    const src = NET().replace(HEADER, "import * as gl from 'gradient-lens';\nimport { Linear, model, Module, Sigmoid, Tensor } from 'gradient-lens';\n").replace('new Sigmoid()', 'new gl.Sigmoid()');
    const { render } = await modelOf(src);
    assert.match(render([{ kind: 'replace-layer', layer: 'act', with: 'ReLU', args: {} }])!, /act = new gl\.ReLU\(\);/);
  });

  it('an init: replaces the user’s call for that tensor, or adds one to the constructor, or a constructor', async () => {
    const intent: FixIntent = { kind: 'set-init', layer: 'fc1', init: { weight: { scheme: 'kaiming_normal', args: { nonlinearity: 'relu' } } } };
    const withCall = await modelOf(NET('  constructor() {\n    super();\n    init.normal(this.fc1.weight, 0, 8);\n  }\n').replace('import {', 'import { init,'));
    const a = withCall.render([intent])!;
    assert.match(a, /^\s+init\.kaimingNormal\(this\.fc1\.weight, 0, 'fan_in', 'relu'\);$/m);
    assert.doesNotMatch(a, /init\.normal/);
    const other = await modelOf(NET('  constructor() {\n    super();\n    init.zeros(this.fc2.bias);\n  }\n').replace('import {', 'import { init,'));
    const b = other.render([intent])!;
    assert.match(b, /init\.zeros\(this\.fc2\.bias\);\n\s+init\.kaimingNormal\(this\.fc1\.weight, 0, 'fan_in', 'relu'\);\n\s+\}/);
    const none = await modelOf(NET());
    const c = none.render([intent])!;
    assert.match(c, /  constructor\(\) \{\n    super\(\);\n    init\.kaimingNormal\(this\.fc1\.weight, 0, 'fan_in', 'relu'\);\n  \}\n\n  forward/);
    // init was not imported: it is now.
    assert.match(c, /import \{[^}]*\binit\b[^}]*\} from 'gradient-lens'/);
    const again = await runSource(c);
    assert.deepEqual(again.result.errors, []);
  });

  it("the optimiser's lr: the written value replaced, or added to the options", async () => {
    const sgd = await modelOf(NET());
    assert.match(sgd.render([{ kind: 'set-optimizer-args', args: { lr: 0.002 } }])!, /optimizer: \{ SGD: \{ lr: 0\.002 \} \}/);
    const adam = await modelOf(NET('', '{ Adam: {} }'));
    assert.match(adam.render([{ kind: 'set-optimizer-args', args: { lr: 1e-4 } }])!, /optimizer: \{ Adam: \{ lr: 0\.0001 \} \}/);
    const betas = await modelOf(NET('', '{ Adam: { betas: [0.9, 0.99] } }'));
    assert.match(betas.render([{ kind: 'set-optimizer-args', args: { eps: 1e-8 } }])!, /\{ Adam: \{ eps: 1e-8, betas: \[0\.9, 0\.99\] \} \}/);
  });

  it('the loss, and what a TypeScript model cannot take: inserting or removing a layer in forward', async () => {
    const { render } = await modelOf(NET());
    assert.match(render([{ kind: 'set-loss', type: 'HuberLoss', args: { reduction: 'sum' } }])!, /loss: \{ HuberLoss: \{ reduction: 'sum' \} \}/);
    assert.equal(render([{ kind: 'insert-layer', before: 'act', type: 'LayerNorm', args: { normalized_shape: 8 } }]), null);
    assert.equal(render([{ kind: 'remove-layer', layer: 'act' }]), null);
  });

  it('every fix on the saturating example, applied, makes its finding go', async () => {
    const { text, result } = await runExample('saturating-deep-sigmoid.model.ts');
    const [m] = result.models;
    const f = m.findings.find((x) => x.rule === 'saturated-activation')!;
    assert.ok(f.fixes.length >= 2);
    for (const fix of f.fixes) {
      const fixed = applyEdits(text, fix.edits);
      const again = await runSource(fixed);
      assert.deepEqual(again.result.errors, [], fix.title);
      const still = again.result.models[0].findings.filter((x) => x.rule === 'saturated-activation' && x.layer === 'act1');
      assert.deepEqual(still.map((x) => x.message), [], `after "${fix.title}"`);
    }
    assert.equal(at(text, m.findings[0].range), 'new Sigmoid()');
  });
});
