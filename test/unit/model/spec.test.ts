import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { allLayers, layerAt, ModelSpec, parseSpec, positionAt, SourceRange } from '../../../src/model';

const EXAMPLES = join(__dirname, '..', '..', '..', 'examples');
const exampleFiles = readdirSync(EXAMPLES).filter((f) => /\.grad\.(ya?ml|json)$/.test(f));

function parse(text: string, file = 'm.grad.yaml'): ModelSpec {
  const { spec, diagnostics } = parseSpec(text, file);
  assert.deepEqual(diagnostics, []);
  assert.ok(spec);
  return spec;
}

const slice = (text: string, r: SourceRange) => text.slice(r.start, r.end);

function where(text: string, r: SourceRange): string {
  const p = positionAt(text, r.start);
  return `${p.line + 1}:${p.character + 1}`;
}

describe('spec: examples', () => {
  it('has the seed models and the richer ones', () => {
    for (const f of ['seed.grad.yaml', 'seed-relu.grad.yaml', 'seed-xavier.grad.yaml', 'seed.grad.json', 'conv.grad.yaml', 'embedding.grad.yaml', 'mlp-norm.grad.yaml', 'autoencoder.grad.yaml']) {
      assert.ok(exampleFiles.includes(f), f);
    }
  });
  for (const f of exampleFiles) {
    it(`${f} parses with no diagnostics`, () => {
      const { spec, diagnostics } = parseSpec(readFileSync(join(EXAMPLES, f), 'utf8'), f);
      assert.deepEqual(diagnostics, []);
      assert.ok(spec);
    });
  }

  it('seed.grad.json and seed.grad.yaml give the same model, apart from ranges', () => {
    const strip = (spec: ModelSpec) => JSON.parse(JSON.stringify(spec, (k, v) => (/range$/i.test(k) || k === 'argRanges' ? undefined : v)));
    const y = parse(readFileSync(join(EXAMPLES, 'seed.grad.yaml'), 'utf8'));
    const j = parse(readFileSync(join(EXAMPLES, 'seed.grad.json'), 'utf8'), 'seed.grad.json');
    assert.deepEqual(strip(j), strip(y));
  });
});

describe('spec: the seed model', () => {
  const text = readFileSync(join(EXAMPLES, 'seed.grad.yaml'), 'utf8');
  const spec = parse(text);

  it('names parameters as named_parameters() does, with PyTorch shapes', () => {
    const params = allLayers(spec).flatMap((l) => l.params.map((p) => [`${l.path}.${p.name}`, p.shape]));
    assert.deepEqual(params, [
      ['0.weight', [10, 10]],
      ['0.bias', [10]],
      ['2.weight', [1, 10]],
      ['2.bias', [1]],
    ]);
  });

  it('infers per-sample shapes', () => {
    assert.deepEqual(
      allLayers(spec).map((l) => [l.type, l.inShape, l.outShape]),
      [
        ['Linear', [10], [10]],
        ['Sigmoid', [10], [10]],
        ['Linear', [10], [1]],
      ],
    );
    assert.deepEqual(spec.model.inShape, [10]);
    assert.deepEqual(spec.model.outShape, [1]);
  });

  it('fills defaults with PyTorch names', () => {
    assert.deepEqual(layerAt(spec, '0')!.args, { in_features: 10, out_features: 10, bias: true });
    assert.deepEqual(spec.optimizer.args, { lr: 0.01, momentum: 0, dampening: 0, weight_decay: 0, nesterov: false });
    assert.deepEqual(spec.loss.args, { reduction: 'mean' });
    assert.deepEqual(spec.trace, { steps: 20, batchSize: 1, seed: 0, dtype: 'float32', range: spec.trace.range });
    assert.deepEqual(spec.input.distribution, { kind: 'normal', mean: 0, std: 1 });
    assert.equal(spec.input.file, null);
  });

  it('puts typeRange on the layer name, argRanges on the values, range on the entry', () => {
    const [l0, sig, l2] = allLayers(spec);
    assert.equal(slice(text, l0.typeRange), 'Linear');
    assert.equal(where(text, l0.typeRange), '4:5');
    assert.equal(slice(text, sig.typeRange), 'Sigmoid');
    assert.equal(where(text, sig.typeRange), '5:5');
    assert.equal(slice(text, sig.range), 'Sigmoid');
    assert.equal(slice(text, l2.range), 'Linear: {in_features: 10, out_features: 1}');
    assert.equal(slice(text, l2.argRanges.out_features), '1');
    assert.equal(where(text, l2.argRanges.out_features), '6:45');
    assert.deepEqual(Object.keys(l2.argRanges), ['in_features', 'out_features']);
    assert.equal(slice(text, spec.loss.typeRange), 'MSELoss');
    assert.equal(slice(text, spec.optimizer.typeRange), 'SGD');
    assert.equal(slice(text, spec.optimizer.range), '{SGD: {lr: 0.01}}');
    assert.equal(slice(text, spec.optimizer.argRanges.lr), '0.01');
    assert.equal(slice(text, spec.input.range), '{shape: [10], distribution: normal}');
    assert.equal(slice(text, spec.model.typeRange), 'model');
  });

  it('root and lookups', () => {
    assert.equal(layerAt(spec, ''), spec.model);
    assert.equal(spec.model.type, 'Sequential');
    assert.equal(spec.model.path, '');
    assert.equal(layerAt(spec, '1')!.type, 'Sigmoid');
    assert.equal(layerAt(spec, '3'), undefined);
    assert.equal(layerAt(spec, '0.weight'), undefined);
  });
});

describe('spec: forms and inference', () => {
  it('nested named Sequentials give dotted paths', () => {
    const text = readFileSync(join(EXAMPLES, 'autoencoder.grad.yaml'), 'utf8');
    const spec = parse(text);
    assert.deepEqual(
      allLayers(spec).map((l) => l.path),
      ['encoder', 'encoder.fc1', 'encoder.1', 'encoder.fc2', 'decoder', 'decoder.0', 'decoder.1', 'decoder.2'],
    );
    const enc = layerAt(spec, 'encoder')!;
    assert.equal(enc.name, 'encoder');
    assert.deepEqual([enc.inShape, enc.outShape], [[20], [4]]);
    assert.equal(slice(text, enc.typeRange), 'Sequential');
    assert.equal(slice(text, layerAt(spec, 'encoder.fc2')!.typeRange), 'Linear');
    assert.equal(where(text, layerAt(spec, 'encoder.fc2')!.typeRange), '9:9');
    const d0 = layerAt(spec, 'decoder.0')!;
    assert.deepEqual(d0.init.weight.scheme, 'xavier_normal');
    assert.deepEqual(d0.init.bias, { scheme: 'constant', args: { val: 0.01 }, range: d0.init.bias.range });
    assert.equal(slice(text, d0.init.bias.range), '{constant: 0.01}');
    assert.deepEqual(spec.optimizer.args, { lr: 0.05, momentum: 0.9, dampening: 0, weight_decay: 0, nesterov: true });
    assert.deepEqual(spec.loss.args, { reduction: 'mean', delta: 1 });
    assert.equal(spec.trace.range && slice(text, spec.trace.range), '{steps: 20, batch_size: 8}');
  });

  it('conv net: conv and pool output sizes, Flatten, class targets', () => {
    const spec = parse(readFileSync(join(EXAMPLES, 'conv.grad.yaml'), 'utf8'));
    assert.deepEqual(
      allLayers(spec).map((l) => l.outShape),
      [[8, 8, 8], [8, 8, 8], [8, 4, 4], [16, 2, 2], [16, 2, 2], [64], [10]],
    );
    assert.deepEqual(layerAt(spec, '0')!.params, [
      { name: 'weight', shape: [8, 1, 3, 3] },
      { name: 'bias', shape: [8] },
    ]);
    assert.deepEqual(layerAt(spec, '2')!.args, { kernel_size: 2, stride: 2, padding: 0, dilation: 1, ceil_mode: false });
    assert.deepEqual(layerAt(spec, '3')!.args.kernel_size, [3, 3]);
    assert.deepEqual(layerAt(spec, '0')!.init.weight.args, { nonlinearity: 'relu' });
    assert.deepEqual(spec.target, { shape: [], distribution: { kind: 'classes', count: 10 }, file: null, range: spec.target.range });
  });

  it('embedding: integer indices [L] → [L, dim]', () => {
    const spec = parse(readFileSync(join(EXAMPLES, 'embedding.grad.yaml'), 'utf8'));
    const [emb, flat] = allLayers(spec);
    assert.deepEqual(emb.outShape, [6, 8]);
    assert.deepEqual(emb.params, [{ name: 'weight', shape: [50, 8] }]);
    assert.equal(emb.args.padding_idx, 0);
    assert.deepEqual(flat.outShape, [48]);
    assert.deepEqual(spec.input.distribution, { kind: 'integers', low: 0, high: 50 });
    assert.deepEqual(spec.optimizer.args, { lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0, amsgrad: false });
  });

  it('norm layers: parameters follow affine flags', () => {
    const spec = parse(readFileSync(join(EXAMPLES, 'mlp-norm.grad.yaml'), 'utf8'));
    assert.deepEqual(layerAt(spec, '1')!.args, { num_features: 32, eps: 1e-5, momentum: 0.1, affine: true });
    assert.deepEqual(layerAt(spec, '4')!.params, [{ name: 'weight', shape: [32, 32] }]);
    assert.deepEqual(layerAt(spec, '5')!.params, [
      { name: 'weight', shape: [32] },
      { name: 'bias', shape: [32] },
    ]);
    assert.equal(layerAt(spec, '6')!.args.approximate, 'tanh');
    assert.equal(spec.trace.dtype, 'float64');
    assert.deepEqual(spec.target.distribution, { kind: 'bernoulli', p: 0.3 });
  });

  it('shape rules beyond the examples', () => {
    const model = (entries: string, input: string, target: string, loss = 'MSELoss', more = '') =>
      parse(`model:\n${entries}\ninput: {shape: ${input}}\ntarget: {shape: ${target}}\nloss: ${loss}\n${more}`);
    // Linear works on the last axis.
    assert.deepEqual(allLayers(model('  - Linear: {in_features: 4, out_features: 3}', '[5, 4]', '[5, 3]'))[0].outShape, [5, 3]);
    // Conv1d with stride and padding: floor((11 + 2 − 3)/2) + 1 = 6.
    const c1 = allLayers(model('  - Conv1d: {in_channels: 2, out_channels: 4, kernel_size: 3, stride: 2, padding: 1}', '[2, 11]', '[4, 6]'))[0];
    assert.deepEqual(c1.params[0].shape, [4, 2, 3]);
    // Rectangular kernels, strides and pooling with a stride of its own.
    const c2 = allLayers(
      model('  - Conv2d: {in_channels: 1, out_channels: 1, kernel_size: [3, 1], stride: [1, 2]}\n  - AvgPool2d: {kernel_size: 2, stride: 1, padding: 1}', '[1, 7, 9]', '[1, 6, 6]'),
    );
    assert.deepEqual(c2.map((l) => l.outShape), [[1, 5, 5], [1, 6, 6]]);
    assert.deepEqual(c2[0].params[0].shape, [1, 1, 3, 1]);
    // BatchNorm1d on [C, L], BatchNorm2d on [C, H, W].
    assert.deepEqual(allLayers(model('  - BatchNorm1d: {num_features: 3, affine: false}', '[3, 5]', '[3, 5]'))[0].params, []);
    assert.deepEqual(allLayers(model('  - BatchNorm2d: {num_features: 3}', '[3, 2, 2]', '[3, 2, 2]'))[0].params[0].shape, [3]);
    // LayerNorm over two trailing axes.
    assert.deepEqual(allLayers(model('  - LayerNorm: {normalized_shape: [2, 3]}', '[4, 2, 3]', '[4, 2, 3]'))[0].params[0].shape, [2, 3]);
    // Flatten of a middle range of axes: batched [B, 2, 3, 4] with start 2, end 3 → [B, 2, 12].
    assert.deepEqual(allLayers(model('  - Flatten: {start_dim: 2, end_dim: 3}', '[2, 3, 4]', '[2, 12]'))[0].outShape, [2, 12]);
    assert.deepEqual(allLayers(model('  - Flatten: {start_dim: -2}', '[2, 3, 4]', '[2, 12]'))[0].outShape, [2, 12]);
    // Softmax over the class axis of the batch.
    assert.equal(allLayers(model('  - Softmax: {dim: 1}', '[4]', '[4]'))[0].args.dim, 1);
    // NLLLoss after LogSoftmax, with class targets.
    const nll = parse('model:\n  - Linear: {in_features: 4, out_features: 3}\n  - LogSoftmax\ninput: {shape: [4]}\ntarget: {classes: 3}\nloss: {NLLLoss: {reduction: sum}}\n');
    assert.deepEqual(nll.loss.args, { reduction: 'sum', ignore_index: -100 });
  });

  it("AvgPool2d's divisor_override: kept in the layer's arguments and used by the module; 0 is refused as PyTorch refuses it", () => {
    const text = (args: string) => `model:\n  - AvgPool2d: {kernel_size: 2${args}}\ninput: {shape: [1, 4, 4]}\ntarget: {shape: [1, 2, 2]}\nloss: MSELoss\n`;
    const [pool] = allLayers(parse(text(', divisor_override: 3')));
    assert.equal(pool.args.divisor_override, 3);
    assert.equal(allLayers(parse(text('')))[0].args.divisor_override, null);
    const refused = parseSpec(text(', divisor_override: 0'), 'm.grad.yaml').diagnostics.map((d) => d.message);
    assert.match(refused.join(), /divisor_override must be not zero/);
  });

  it('1-D pooling (MaxPool1d, AvgPool1d): lengths as PyTorch computes them, and what PyTorch refuses', () => {
    const text = (pools: string, input = '[2, 20]') =>
      `model:\n  - Conv1d: {in_channels: 2, out_channels: 4, kernel_size: 3}\n${pools}\ninput: {shape: ${input}}\ntarget: {shape: [4, 4]}\nloss: MSELoss\n`;
    // 20 → conv 18 → max k3 s2 p1: floor((18 + 2 − 3)/2) + 1 = 9 → avg k2: 4.
    const spec = parse(text('  - MaxPool1d: {kernel_size: 3, stride: 2, padding: 1}\n  - AvgPool1d: {kernel_size: 2}'));
    const [, max, avg] = allLayers(spec);
    assert.deepEqual([max.outShape, avg.outShape], [[4, 9], [4, 4]]);
    assert.deepEqual(max.args, { kernel_size: 3, stride: 2, padding: 1, dilation: 1, ceil_mode: false });
    assert.deepEqual(avg.args, { kernel_size: 2, stride: 2, padding: 0, ceil_mode: false, count_include_pad: true });
    // ceil_mode: 9 → avg k2 s2 rounded up: 5 (the last window starts inside the input).
    const ceil = allLayers(parse(text('  - MaxPool1d: {kernel_size: 3, stride: 2, padding: 1}\n  - AvgPool1d: {kernel_size: 2, ceil_mode: true}').replace('target: {shape: [4, 4]}', 'target: {shape: [4, 5]}')));
    assert.deepEqual(ceil[2].outShape, [4, 5]);
    // A dilated max pool: 18 → floor((18 + 2 − 3·(3 − 1) − 1)/1) + 1 = 14 (PyTorch's formula).
    const dilated = allLayers(parse(text('  - MaxPool1d: {kernel_size: 3, stride: 1, padding: 1, dilation: 3}', '[2, 20]').replace('target: {shape: [4, 4]}', 'target: {shape: [4, 14]}')));
    assert.deepEqual(dilated[1].outShape, [4, 14]);
    const refused = (pools: string, input?: string) => parseSpec(text(pools, input), 'm.grad.yaml').diagnostics.map((d) => d.message);
    assert.match(refused('  - MaxPool1d: {kernel_size: 2, padding: 2}').join(), /padding 2 must be at most half the kernel size 2/);
    assert.match(refused('  - MaxPool1d: {kernel_size: 3, dilation: 9}').join(), /MaxPool1d's kernel \(3, 19 wide with dilation 9\) is larger than the padded input length/);
    assert.match(refused('  - AvgPool1d: {kernel_size: [2, 2]}').join(), /kernel_size/);
    assert.match(refused('  - Flatten\n  - MaxPool1d: {kernel_size: 2}').join(), /MaxPool1d expects a per-sample input \[channels, length\] but the previous layer \(1: Flatten\) gives \[72\]/);
  });

  it('accepts null arguments, pooling stride null, data files and the $schema key', () => {
    const text = `$schema: ../schema/grad-spec.schema.json
model:
  - MaxPool2d: {kernel_size: [2, 3], stride: null}
  - Flatten:
  - Identity
input: {shape: [1, 4, 6], data: batch.json}
target: {shape: [4], data: batch.json}
loss: L1Loss
optimizer: Adam
trace:
`;
    const spec = parse(text);
    const [pool, flat, id] = allLayers(spec);
    assert.deepEqual(pool.args.stride, [2, 3]);
    assert.deepEqual(pool.outShape, [1, 2, 2]);
    assert.deepEqual(flat.args, { start_dim: 1, end_dim: -1 });
    assert.deepEqual(id.outShape, [4]);
    assert.equal(spec.input.file, 'batch.json');
    assert.equal(spec.input.distribution, null);
    assert.equal(spec.optimizer.type, 'Adam');
    assert.equal(spec.optimizer.args.lr, 0.001);
    assert.equal(spec.trace.batchSize, 8);
  });

  it('an Embedding fed from a data file is not second-guessed', () => {
    const spec = parse('model:\n  - Embedding: {num_embeddings: 5, embedding_dim: 2}\ninput: {shape: [3], data: x.json}\ntarget: {shape: [3, 2]}\nloss: MSELoss\n');
    assert.deepEqual(allLayers(spec)[0].outShape, [3, 2]);
  });

  it('Residual: body and shortcut as Sequentials under the entry, in that order whatever the order written', () => {
    const text = `model:
  - Conv2d: {in_channels: 1, out_channels: 4, kernel_size: 3, padding: 1}
  - Residual:
      shortcut: [{Conv2d: {in_channels: 4, out_channels: 8, kernel_size: 1}}]
      body:
        - Conv2d: {in_channels: 4, out_channels: 8, kernel_size: 3, padding: 1}
        - ReLU
  - Flatten
input: {shape: [1, 5, 5]}
target: {shape: [200]}
loss: MSELoss
`;
    const spec = parse(text);
    assert.deepEqual(
      allLayers(spec).map((l) => `${l.path} ${l.type} ${JSON.stringify(l.inShape)}→${JSON.stringify(l.outShape)}`),
      [
        '0 Conv2d [1,5,5]→[4,5,5]',
        '1 Residual [4,5,5]→[8,5,5]',
        '1.body Sequential [4,5,5]→[8,5,5]',
        '1.body.0 Conv2d [4,5,5]→[8,5,5]',
        '1.body.1 ReLU [8,5,5]→[8,5,5]',
        '1.shortcut Sequential [4,5,5]→[8,5,5]',
        '1.shortcut.0 Conv2d [4,5,5]→[8,5,5]',
        '2 Flatten [8,5,5]→[200]',
      ],
    );
    assert.equal(slice(text, layerAt(spec, '1.body')!.typeRange), 'body');
    assert.equal(where(text, layerAt(spec, '1.shortcut.0')!.typeRange), '4:19');
  });

  it('gradient clipping beside the optimiser: a map or its shorthand, with its ranges', () => {
    const text = `${readFileSync(join(EXAMPLES, 'seed.grad.yaml'), 'utf8').replace(/^optimizer:.*$/m, '')}optimizer: {Adam: {lr: 0.001}, clip_grad_norm: 1.5}\n`;
    const spec = parse(text);
    assert.equal(spec.optimizer.type, 'Adam');
    const { ranges, ...clip } = spec.optimizer.clip!;
    assert.deepEqual(clip, { kind: 'norm', maxNorm: 1.5, normType: 2 });
    assert.equal(slice(text, ranges.key), 'clip_grad_norm');
    assert.equal(slice(text, ranges.value), '1.5');
    const full = parse(text.replace('clip_grad_norm: 1.5', 'clip_grad_norm: {max_norm: 2, norm_type: 1}')).optimizer.clip!;
    assert.deepEqual([full.kind, full.kind === 'norm' && full.maxNorm, full.kind === 'norm' && full.normType], ['norm', 2, 1]);
    const value = parse(text.replace('clip_grad_norm: 1.5', 'clip_grad_value: 0.1')).optimizer.clip!;
    assert.deepEqual([value.kind, value.kind === 'value' && value.clipValue], ['value', 0.1]);
    assert.equal(parse(text.replace(', clip_grad_norm: 1.5', '')).optimizer.clip, null);
  });

  it('without an optimizer: SGD lr 0.01, an empty range at the end', () => {
    const text = 'model: [Tanh]\ninput: {shape: [2]}\ntarget: {shape: [2]}\nloss: MSELoss\n';
    const spec = parse(text);
    assert.deepEqual(spec.optimizer.args, { lr: 0.01, momentum: 0, dampening: 0, weight_decay: 0, nesterov: false });
    assert.deepEqual(spec.optimizer.range, { start: text.length, end: text.length });
    assert.equal(spec.trace.range, null);
    // Flow-style model list: the entry range is the scalar.
    assert.equal(slice(text, allLayers(spec)[0].range), 'Tanh');
  });

  it('entry ranges end with their value, before a trailing comment', () => {
    const text = `model:
  - Linear: {in_features: 3, out_features: 3}   # first
    init: {weight: zeros}  # keeps its comment
  # between
  - name: act
    Tanh:    # no arguments
  - Flatten   # flat
input: {shape: [3]}
target: {shape: [3]}
loss: MSELoss
`;
    const [lin, act, flat] = allLayers(parse(text));
    assert.equal(slice(text, lin.range), 'Linear: {in_features: 3, out_features: 3}   # first\n    init: {weight: zeros}');
    assert.equal(slice(text, act.range), 'name: act\n    Tanh:');
    assert.equal(act.name, 'act');
    assert.equal(slice(text, flat.range), 'Flatten');
    assert.equal(slice(text, lin.init.weight.range), 'zeros');
  });

  it('JSON ranges point at the quoted names and values', () => {
    const text = readFileSync(join(EXAMPLES, 'seed.grad.json'), 'utf8');
    const spec = parse(text, 'seed.grad.json');
    const [l0, sig] = allLayers(spec);
    assert.equal(slice(text, l0.typeRange), '"Linear"');
    assert.equal(slice(text, sig.typeRange), '"Sigmoid"');
    assert.equal(slice(text, l0.argRanges.in_features), '10');
    assert.equal(where(text, sig.typeRange), '4:5');
  });

  it('a bare bernoulli target draws with p = 0.5', () => {
    const { spec, diagnostics } = parseSpec('model:\n  - Linear: {in_features: 3, out_features: 1}\n  - Sigmoid\ninput: {shape: [3]}\ntarget: {shape: [1], distribution: bernoulli}\nloss: BCELoss\n', 'm.grad.yml');
    assert.deepEqual(diagnostics, []);
    assert.deepEqual(spec!.target.distribution, { kind: 'bernoulli', p: 0.5 });
  });
});

describe('spec: positionAt', () => {
  it('counts lines and UTF-16 columns, 0-based', () => {
    assert.deepEqual(positionAt('ab\ncd', 0), { line: 0, character: 0 });
    assert.deepEqual(positionAt('ab\ncd', 4), { line: 1, character: 1 });
    assert.deepEqual(positionAt('a\r\nb', 3), { line: 1, character: 0 });
    assert.deepEqual(positionAt('a\rb', 2), { line: 1, character: 0 });
    assert.deepEqual(positionAt('😀x', 2), { line: 0, character: 2 });
    assert.deepEqual(positionAt('ab', 99), { line: 0, character: 2 });
    assert.deepEqual(positionAt('ab', -5), { line: 0, character: 0 });
  });

  it('ranges after non-ASCII text are UTF-16 offsets', () => {
    const text = '# größe → 😀\nmodel: [Sigmod]\ninput: {shape: [2]}\ntarget: {shape: [2]}\nloss: MSELoss\n';
    const { diagnostics } = parseSpec(text, 'm.grad.yaml');
    assert.equal(text.slice(diagnostics[0].range.start, diagnostics[0].range.end), 'Sigmod');
    const j = '{"model": ["Sigmod"], "input": {"shape": [2]}, "target": {"shape": [2]}, "loss": "MSELoss", "x": "😀"}';
    const dj = parseSpec(`{"é": 1, ${j.slice(1)}`, 'm.grad.json').diagnostics;
    assert.ok(dj.some((d) => d.code === 'spec/unknown-layer'));
  });
});

describe('spec: module boundaries', () => {
  // The catalogue (src/model/catalogue) builds engine modules; the front end itself only reads it.
  it('the spec front end imports neither vscode nor the engine', () => {
    const dir = join(__dirname, '..', '..', '..', 'src', 'model');
    for (const f of ['graph.ts', 'index.ts', 'located.ts', 'parse.ts', 'schema.ts', 'suggest.ts']) {
      const src = readFileSync(join(dir, f), 'utf8');
      assert.doesNotMatch(src, /from ['"]vscode['"]|require\(['"]vscode['"]\)/, f);
      assert.doesNotMatch(src, /from ['"]\.\.\/engine/, f);
    }
  });
});
