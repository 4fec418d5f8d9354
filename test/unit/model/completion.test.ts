/**
 * Completion and hover in spec files, from the catalogue, in YAML and JSON, on text as it is being
 * typed. `|` marks the cursor.
 */
import assert from 'node:assert/strict';
import { completeSpec, hoverSpec, type SpecCompletion } from '../../../src/model/completion';
import { LAYERS, LOSSES, OPTIMIZERS } from '../../../src/model/catalogue';
import { parseSpec } from '../../../src/model';
import { skeletonText } from '../../../src/model/skeleton';

function at(marked: string, file = 'm.grad.yaml'): { items: SpecCompletion[]; text: string; offset: number } {
  const offset = marked.indexOf('|');
  assert.ok(offset >= 0, 'the case marks the cursor');
  const text = marked.slice(0, offset) + marked.slice(offset + 1);
  return { items: completeSpec(text, offset, file), text, offset };
}
const labels = (marked: string, file?: string) => at(marked, file).items.map((i) => i.label);
/** Accepts `label` as the editor would: its snippet with every placeholder left at its default text. */
function accept(marked: string, label: string, file = 'm.grad.yaml'): string {
  const { items, text } = at(marked, file);
  const item = items.find((i) => i.label === label);
  assert.ok(item, `${label} among ${items.map((i) => i.label).join(', ')}`);
  const plain = item.insertText.replace(/\$\{\d+:([^}]*)\}/g, '$1').replace(/\$\d+/g, '').replace(/\\([$}\\])/g, '$1');
  return text.slice(0, item.range.start) + plain + text.slice(item.range.end);
}

const TAIL = 'input: {shape: [10], distribution: normal}\ntarget: {shape: [1], distribution: normal}\nloss: MSELoss\n';

describe('spec completion (YAML)', () => {
  it('offers every layer of the catalogue after "- " in model, with its PyTorch name and docs', () => {
    const { items } = at(`model:\n  - Linear: {in_features: 10, out_features: 16}\n  - Sig|\n${TAIL}`);
    assert.deepEqual(items.map((i) => i.label).sort(), Object.keys(LAYERS).sort());
    const sigmoid = items.find((i) => i.label === 'Sigmoid')!;
    assert.equal(sigmoid.detail, 'torch.nn.Sigmoid');
    assert.equal(sigmoid.insertText, 'Sigmoid');
    const linear = items.find((i) => i.label === 'Linear')!;
    assert.equal(linear.insertText, 'Linear: {in_features: ${1:in_features}, out_features: ${2:out_features}}', 'the required arguments to fill in');
    assert.match(linear.documentation, /torch\.nn\.Linear\(in_features, out_features, bias=True\)/);
  });

  it('replaces the word being typed, and a layer accepted there parses', () => {
    const after = accept(`model:\n  - Linear: {in_features: 10, out_features: 16}\n  - Sig|\n  - Linear: {in_features: 16, out_features: 1}\n${TAIL}`, 'Sigmoid');
    assert.match(after, /^ {2}- Sigmoid$/m);
    assert.deepEqual(parseSpec(after, 'm.grad.yaml').diagnostics, []);
  });

  it('offers layers inside a nested Sequential too', () => {
    assert.ok(labels('model:\n  - Sequential:\n      - Linear: {in_features: 4, out_features: 4}\n      - |\n').includes('ReLU'));
  });

  it("offers a layer's arguments not yet written, with PyTorch's defaults and docs", () => {
    const { items } = at(`model:\n  - Linear: {in_features: 10, |}\n${TAIL}`);
    assert.deepEqual(items.map((i) => i.label), ['out_features', 'bias']);
    assert.equal(items[1].detail, 'bool = true');
    assert.match(items[1].documentation, /If false, the layer will not learn an additive bias\.\n\nDefault: `true` \(PyTorch's\)/);
    assert.equal(items[0].preselect, true, 'a required argument first');
    // Block style, on a line of its own.
    assert.deepEqual(labels('model:\n  - Conv2d:\n      in_channels: 1\n      |\n'), ['out_channels', 'kernel_size', 'stride', 'padding', 'bias', 'groups', 'dilation']);
  });

  it("offers an argument's values: an enum's, a boolean's, the default first", () => {
    assert.deepEqual(labels('loss: {CrossEntropyLoss: {reduction: |}}\n'), ['mean', 'sum']);
    assert.deepEqual(labels('model:\n  - Linear: {in_features: 1, out_features: 1, bias: |}\n'), ['true', 'false']);
    assert.deepEqual(labels('trace: {dtype: |}\n'), ['float32', 'float64']);
  });

  it('offers the losses, the optimisers with their required lr, and their arguments', () => {
    assert.deepEqual(labels(`model:\n  - ReLU\nloss: |\n`), Object.keys(LOSSES));
    assert.deepEqual(labels('optimizer: |\n'), Object.keys(OPTIMIZERS));
    assert.equal(at('optimizer: |\n').items[0].insertText, '{SGD: {lr: ${1:lr}}}');
    assert.deepEqual(labels('optimizer: {Adam: {lr: 0.001, |}}\n'), ['betas', 'eps', 'weight_decay', 'amsgrad']);
  });

  it("offers init: the layer's parameters, the torch.nn.init schemes, their arguments", () => {
    const base = `model:\n  - Linear: {in_features: 10, out_features: 1}\n`;
    assert.deepEqual(labels(`${base}    |\n`), ['name', 'init'], 'the keys of a layer entry');
    assert.deepEqual(labels(`${base}    init: {|}\n`), ['weight', 'bias']);
    assert.equal(at(`${base}    init: {|}\n`).items[1].insertText, 'bias: ${1:zeros}', 'a bias has one axis: no fan-based scheme');
    const schemes = labels(`${base}    init: {weight: |}\n`);
    assert.ok(schemes.includes('xavier_uniform') && schemes.includes('kaiming_normal') && !schemes.includes('default'));
    assert.ok(labels('model:\n  - {Linear: {in_features: 3, out_features: 2}, init: {weight: {kaiming_normal: {nonlinearity: |}}}}\n').includes('relu'));
  });

  it('offers the sections not yet written, and the data fields and distributions', () => {
    assert.deepEqual(labels(`model:\n  - ReLU\n|\n`), ['input', 'target', 'loss', 'optimizer', 'trace']);
    assert.deepEqual(labels('input: {|}\n'), ['shape', 'distribution', 'data']);
    assert.deepEqual(labels('target: {shape: [1], |}\n'), ['distribution', 'data', 'classes']);
    assert.deepEqual(labels('input: {shape: [10], distribution: |}\n'), ['normal', 'uniform', 'integers', 'bernoulli']);
  });

  it('offers the whole skeleton in an empty file, and it parses', () => {
    const { items } = at('|');
    assert.deepEqual(items.map((i) => [i.label, i.kind]), [['Gradient Lens model', 'skeleton']]);
    assert.deepEqual(parseSpec(accept('|', 'Gradient Lens model'), 'm.grad.yaml').diagnostics, []);
  });

  it('offers nothing in a comment', () => {
    assert.deepEqual(labels('model:\n  - ReLU # a |\n'), []);
  });
});

describe('spec completion (JSON)', () => {
  it('writes layers in JSON syntax and replaces the quoted word', () => {
    const after = accept(
      '{"model": [{"Linear": {"in_features": 10, "out_features": 16}}, "Sig|", {"Linear": {"in_features": 16, "out_features": 1}}], "input": {"shape": [10]}, "target": {"shape": [1]}, "loss": "MSELoss"}',
      'Sigmoid',
      'm.grad.json',
    );
    assert.deepEqual(JSON.parse(after).model[1], 'Sigmoid');
    assert.deepEqual(parseSpec(after, 'm.grad.json').diagnostics, []);
    const { items } = at('{"model": [|]}', 'm.grad.json');
    assert.equal(items.find((i) => i.label === 'Linear')!.insertText, '{"Linear": {"in_features": ${1:in_features}, "out_features": ${2:out_features}}}');
  });

  it('offers arguments, values, losses, init schemes and sections, quoted', () => {
    assert.deepEqual(labels('{"model": [{"Linear": {"in_features": 10, |}}]}', 'm.grad.json'), ['out_features', 'bias']);
    assert.equal(at('{"model": [{"Linear": {"in_features": 10, |}}]}', 'm.grad.json').items[1].insertText, '"bias": ${1:true}');
    assert.deepEqual(labels('{"model": [{"Linear": {"in_features": 10, "|"}}]}', 'm.grad.json'), ['out_features', 'bias']);
    assert.deepEqual(labels('{"loss": {"HuberLoss": {"reduction": |}}}', 'm.grad.json'), ['mean', 'sum']);
    assert.equal(at('{"model": [], "loss": |}', 'm.grad.json').items[0].insertText, '"MSELoss"');
    assert.deepEqual(labels('{"model": [{"Linear": {"in_features": 1, "out_features": 1}, "init": {|}}]}', 'm.grad.json'), ['weight', 'bias']);
    assert.ok(labels('{"model": [{"Linear": {"in_features": 1, "out_features": 1}, "init": {"weight": |}}]}', 'm.grad.json').includes('xavier_normal'));
    assert.deepEqual(labels('{"model": [], |}', 'm.grad.json'), ['input', 'target', 'loss', 'optimizer', 'trace']);
    const skeleton = accept('|', 'Gradient Lens model', 'm.grad.json');
    assert.equal(skeleton, skeletonText('json'));
  });
});

describe('spec hover', () => {
  const hover = (marked: string, file = 'm.grad.yaml') => {
    const offset = marked.indexOf('|');
    const text = marked.slice(0, offset) + marked.slice(offset + 1);
    const h = hoverSpec(text, offset, file);
    return h && { ...h, word: text.slice(h.range.start, h.range.end) };
  };

  it('gives the docs of layers, arguments (with the default), losses and optimisers', () => {
    const layer = hover('model:\n  - Lin|ear: {in_features: 10, out_features: 1}\n');
    assert.equal(layer?.word, 'Linear');
    assert.match(layer!.contents, /^\*\*Linear\*\* · torch\.nn\.Linear/);
    const arg = hover('model:\n  - Linear: {in_features: 10, b|ias: false}\n');
    assert.equal(arg?.word, 'bias');
    assert.match(arg!.contents, /Default: `true` \(PyTorch's\)/);
    assert.match(hover('loss: MSE|Loss\n')!.contents, /Mean squared error/);
    assert.match(hover('optimizer: {Ad|am: {lr: 0.001}}\n')!.contents, /torch\.optim\.Adam/);
    assert.match(hover('{"model": [{"Linear": {"in_fea|tures": 10}}]}', 'm.grad.json')!.contents, /Size of each input sample/);
    // A JSON item's layer key, in a file with an error elsewhere (the extension-host test's case).
    assert.match(hover('{"model": [{"Lin|ear": {"in_features": 10, "out_features": 1}}, "Sigmiod", ], "loss": "MSELoss"}', 'm.grad.json')!.contents, /torch\.nn\.Linear/);
  });

  it("gives no docs for a name the catalogue does not know there (not another layer's)", () => {
    assert.equal(hover('model:\n  - Sigm|iod\n'), null);
    assert.equal(hover('{"model": ["Sigm|iod"]}', 'm.grad.json'), null);
    assert.equal(hover('model:\n  - Linear: {in_features: 10, wid|th: 3}\n'), null);
  });
});
