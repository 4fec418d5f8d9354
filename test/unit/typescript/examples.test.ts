import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSpec } from '../../../src/model';
import { traceModel } from '../../../src/trace/run';
import { modelClassesIn } from '../../../src/model/typescript';
import { at, lineOf, lineWith, runExample } from './support';

describe('decorated TypeScript examples', () => {
  it('seed.model.ts traces like seed.grad.yaml, step for step, and has no problem', async () => {
    const { text, result } = await runExample('seed.model.ts');
    assert.deepEqual(result.errors, []);
    assert.equal(result.models.length, 1);
    const [m] = result.models;
    assert.equal(m.className, 'Seed');
    assert.equal(at(text, m.classRange), 'Seed');
    assert.deepEqual(
      m.trace.params.map((p) => [p.name, p.shape]),
      [
        ['fc1.weight', [10, 10]],
        ['fc1.bias', [10]],
        ['fc2.weight', [1, 10]],
        ['fc2.bias', [1]],
      ],
    );
    assert.deepEqual(m.trace.layers, [
      { path: 'fc1', type: 'Linear' },
      { path: 'act', type: 'Sigmoid' },
      { path: 'fc2', type: 'Linear' },
    ]);
    // Same seed, same build order, same synthetic batch: the same losses as the spec front end.
    const yaml = readFileSync(join(__dirname, '..', '..', '..', 'examples', 'seed.grad.yaml'), 'utf8');
    const spec = parseSpec(yaml, 'seed.grad.yaml').spec!;
    const reference = traceModel(spec, 'seed.grad.yaml');
    assert.deepEqual(
      m.trace.steps.map((s) => s.loss),
      reference.steps.map((s) => s.loss),
    );
    assert.deepEqual(m.findings.filter((f) => f.severity !== 'info'), []);
    // Layers carry the user's own expressions and the shapes seen in forward.
    const fc1 = m.spec.model.children[0];
    assert.equal(at(text, fc1.typeRange), 'new Linear(10, 10)');
    assert.equal(at(text, fc1.range), 'fc1 = new Linear(10, 10)');
    assert.deepEqual([fc1.inShape, fc1.outShape], [[10], [10]]);
    assert.deepEqual(fc1.args, { in_features: 10, out_features: 10, bias: true });
    assert.equal(at(text, m.spec.loss.typeRange), "'MSELoss'");
    assert.equal(at(text, m.spec.optimizer.typeRange), 'SGD');
    assert.equal(at(text, m.spec.optimizer.argRanges.lr), '0.01');
  });

  it('saturating-deep-sigmoid.model.ts: the saturated sigmoid is flagged on its `new Sigmoid()`, with the forward line related', async () => {
    const { text, result } = await runExample('saturating-deep-sigmoid.model.ts');
    assert.deepEqual(result.errors, []);
    const [m] = result.models;
    const f = m.findings.find((x) => x.rule === 'saturated-activation');
    assert.ok(f, `no saturated-activation in ${m.findings.map((x) => x.rule).join(', ')}`);
    assert.equal(f.layer, 'act1');
    assert.equal(at(text, f.range), 'new Sigmoid()');
    assert.equal(lineOf(text, f.range), lineWith(text, 'act1 = new Sigmoid()'));
    assert.match(f.message, /sigmoid layer saturated: \d+% of units/);
    const applied = f.related.find((r) => /applied here/.test(r.message));
    assert.ok(applied);
    assert.equal(at(text, applied.range), 'this.act1.forward(this.fc1.forward(x))');
    // Fixes come written in TypeScript: the user's init call replaced, the Sigmoid built as a ReLU;
    // a LayerNorm would have to go into the user's forward, so that one is not offered.
    assert.deepEqual(
      f.fixes.map((x) => x.edits.map((e) => `${at(text, e.range)} → ${e.newText}`)),
      [['init.normal(this.fc1.weight, 0, 8) → init.xavierUniform(this.fc1.weight)'], ['new Sigmoid() → new ReLU()', ' → , ReLU'], ['new Sigmoid() → new GELU()', ' → , GELU']],
    );
    // The cause, the first layer's initialisation, is flagged on its line too.
    const init = m.findings.find((x) => x.rule === 'poor-initialisation');
    assert.ok(init);
    assert.equal(lineOf(text, init.range), lineWith(text, 'fc1 = new Linear(16, 32)'));
  });

  it('disconnected.model.ts: the layer built but never applied is a disconnected parameter on its line', async () => {
    const { text, result } = await runExample('disconnected.model.ts');
    assert.deepEqual(result.errors, []);
    const [m] = result.models;
    const f = m.findings.filter((x) => x.rule === 'disconnected-parameter');
    assert.equal(f.length, 1);
    assert.equal(f[0].layer, 'skip');
    assert.equal(f[0].severity, 'error');
    assert.equal(at(text, f[0].range), 'new Linear(10, 16)');
    assert.equal(lineOf(text, f[0].range), lineWith(text, 'skip = new Linear(10, 16)'));
    const skip = m.trace.params.findIndex((p) => p.name === 'skip.weight');
    assert.ok(m.trace.steps.every((s) => s.params[skip].reached === false));
    assert.ok(f[0].related.some((r) => /never applied/.test(r.message)));
  });

  it('wrong-backward.model.ts: the custom backward is flagged on its line with the measured relative error', async () => {
    const { text, result } = await runExample('wrong-backward.model.ts');
    assert.deepEqual(result.errors, []);
    const [m] = result.models;
    const f = m.findings.filter((x) => x.rule === ('custom-gradient' as string));
    assert.equal(f.length, 1);
    assert.equal(f[0].severity, 'error');
    assert.equal(at(text, f[0].range), 'backward');
    assert.equal(lineOf(text, f[0].range), lineWith(text, 'backward: (x, y, dy)'));
    const m1 = /custom backward of mySigmoid disagrees with finite differences: relative error ([\d.e+-]+) \(at x = ([\d.e+-]+): backward ([\d.e+-]+), numeric ([\d.e+-]+)\)/.exec(f[0].message);
    assert.ok(m1, f[0].message);
    assert.ok(Number(m1[1]) > 1e-4);
    // What the message reports is the truth: x(1−x) versus the sigmoid's y(1−y).
    const x = Number(m1[2]);
    const y = 1 / (1 + Math.exp(-x));
    assert.ok(Math.abs(Number(m1[3]) - x * (1 - x)) <= 0.05 * Math.abs(x * (1 - x)) + 0.01);
    assert.ok(Math.abs(Number(m1[4]) - y * (1 - y)) <= 0.05 * y * (1 - y) + 0.01);
  });

  it('two-models.model.ts: each @model class gets its own trace and findings', async () => {
    const { text, result } = await runExample('two-models.model.ts');
    assert.deepEqual(result.errors, []);
    assert.deepEqual(
      result.models.map((m) => m.className),
      ['Healthy', 'SaturatedTanh'],
    );
    const [healthy, tanh] = result.models;
    assert.equal(lineOf(text, healthy.classRange), lineWith(text, 'class Healthy'));
    assert.equal(lineOf(text, tanh.classRange), lineWith(text, 'class SaturatedTanh'));
    // The class-form custom op is right: nothing to report on the healthy model.
    assert.deepEqual(
      healthy.findings.filter((f) => f.severity !== 'info').map((f) => f.rule),
      [],
    );
    assert.equal(healthy.trace.steps.length, 10);
    const f = tanh.findings.find((x) => x.rule === 'saturated-activation');
    assert.ok(f);
    assert.equal(lineOf(text, f.range), lineWith(text, 'act = new Tanh()'));
    // Each model is built from its own seed: the two traces share nothing.
    assert.deepEqual(
      tanh.trace.params.map((p) => p.name),
      ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias'],
    );
  });
});

describe('finding @model classes without running anything', () => {
  it('lists every decorated class with its name and decorator ranges', async () => {
    const { readFileSync: read } = await import('node:fs');
    const text = read(join(__dirname, '..', '..', '..', 'examples', 'typescript', 'two-models.model.ts'), 'utf8');
    const found = modelClassesIn(text);
    assert.deepEqual(
      found.map((m) => m.className),
      ['Healthy', 'SaturatedTanh'],
    );
    assert.equal(at(text, found[0].classRange), 'Healthy');
    assert.match(at(text, found[1].decoratorRange), /^@model\(\{ input: \[16\]/);
    // A decorator inside a string or a comment's text followed by unrelated code is not a model.
    assert.deepEqual(modelClassesIn('// @model(x)\nconst a = 1;\nclass Later {}\n'), []);
    // Nor one in a comment, a string or a template literal right before a class: offsets still hold.
    const hidden = "/* @model({}) */ class A {}\nconst s = '@model({})'; class B {}\nconst t = `\n@model({})\nclass C {}`;\n@model({ input: [1] }) class D {}\n";
    const d = modelClassesIn(hidden);
    assert.deepEqual(d.map((m) => m.className), ['D']);
    assert.equal(at(hidden, d[0].decoratorRange), '@model({ input: [1] })');
  });
});
