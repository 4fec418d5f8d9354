/**
 * The catalogue is the one place a layer is described: a throwaway layer added to it alone is
 * parsed, in the JSON Schema, built, traced, recognised in a TypeScript model, and reasoned about
 * by the rules through its traits. And no rule keeps a list of layer names of its own.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import * as YAML from 'yaml';
import * as F from '../../../src/engine/functional';
import { Module } from '../../../src/engine/nn';
import type { Tensor } from '../../../src/engine/tensor';
import { randint, Rng, tensor } from '../../../src/engine';
import { buildSchema, layersBelow, parseSpec } from '../../../src/model';
import { buildModule } from '../../../src/model/build';
import { LAYERS, layerDef, layerTypeOf, layerTypes, LOSS_TYPES, OPTIMIZER_TYPES, traitsOf, type LayerDef } from '../../../src/model/catalogue';
import { argsOf } from '../../../src/model/typescript/graph';
import { checkTrace } from '../../../src/rules';
import { traceModel } from '../../../src/trace/run';

/** tanh(scale·x): a saturating activation the engine can run with its own ops. */
class ScaledTanh extends Module {
  constructor(readonly scale = 1) {
    super();
  }

  forward(x: Tensor): Tensor {
    return F.tanh(F.scale(x, this.scale));
  }
}

const SCALED_TANH: LayerDef = {
  doc: 'Applies tanh(scale·x) element-wise (a throwaway layer of this test).',
  torch: 'test.ScaledTanh',
  args: [{ name: 'scale', type: { kind: 'number', min: 0, minExclusive: true }, default: 1, doc: 'Slope at the origin.' }],
  paramNames: [],
  params: () => [],
  shape: (i) => ({ shape: [...i.inShape] }),
  module: ScaledTanh,
  build: (a) => new ScaledTanh(a.scale as number),
  argsOf: (m) => ({ scale: (m as ScaledTanh).scale }),
  traits: { activation: { op: 'tanh', derivative: 'saturating', gain: 'tanh', range: [-1, 1] }, keepsShape: true },
};

const SPEC = `model:
  - Linear: {in_features: 16, out_features: 32}
    init: {weight: {normal: {std: 6}}}
  - ScaledTanh: {scale: 2}
  - Linear: {in_features: 32, out_features: 1}
input: {shape: [16], distribution: normal}
target: {shape: [1], distribution: normal}
loss: MSELoss
optimizer: {SGD: {lr: 0.01}}
trace: {steps: 3, batch_size: 16, seed: 0}
`;

describe('the layer catalogue', () => {
  describe('a throwaway layer added to the catalogue alone', () => {
    const table = LAYERS as unknown as Record<string, LayerDef>;
    before(() => {
      table.ScaledTanh = SCALED_TANH;
    });
    after(() => {
      delete table.ScaledTanh;
    });

    it('is parsed, with its defaults filled and its arguments checked', () => {
      const { spec, diagnostics } = parseSpec(SPEC, 'm.grad.yaml');
      assert.deepEqual(diagnostics, []);
      const layer = spec!.model.children[1];
      assert.equal(layer.type, 'ScaledTanh');
      assert.deepEqual(layer.args, { scale: 2 });
      assert.deepEqual(layer.outShape, [32]);
      const bare = parseSpec(SPEC.replace('- ScaledTanh: {scale: 2}', '- ScaledTanh'), 'm.grad.yaml').spec!;
      assert.deepEqual(bare.model.children[1].args, { scale: 1 });
      const wrong = parseSpec(SPEC.replace('{scale: 2}', '{scael: 2}'), 'm.grad.yaml').diagnostics;
      assert.match(wrong[0].message, /ScaledTanh has no argument 'scael'\. Did you mean 'scale'\?/);
      const typo = parseSpec(SPEC.replace('- ScaledTanh: {scale: 2}', '- ScaledTanch'), 'm.grad.yaml').diagnostics;
      assert.match(typo[0].message, /Did you mean 'ScaledTanh'\?/);
    });

    it('is in the JSON Schema, with its docs, and a spec using it validates', () => {
      const schema = buildSchema() as { definitions: Record<string, { description: string; properties: Record<string, { properties?: Record<string, { description: string }> }> }> };
      const def = schema.definitions['layer.ScaledTanh'];
      assert.ok(def, 'layer.ScaledTanh is defined');
      assert.match(def.description, /tanh\(scale·x\)/);
      assert.match(def.properties.ScaledTanh.properties!.scale.description, /Slope at the origin\. Default: 1\./);
      const validate = new Ajv({ allErrors: true, strict: true }).compile(schema);
      assert.ok(validate(YAML.parse(SPEC)), JSON.stringify(validate.errors));
      assert.equal(validate(YAML.parse(SPEC.replace('{scale: 2}', '{scale: -1}'))), false);
    });

    it('is built and traced, its activation statistics under its own path', () => {
      const spec = parseSpec(SPEC, 'm.grad.yaml').spec!;
      const trace = traceModel(spec, 'm.grad.yaml');
      assert.deepEqual(trace.layers[1], { path: '1', type: 'ScaledTanh' });
      assert.ok(trace.steps[0].activations.some((a) => a.layer === '1' && a.op === 'tanh'));
    });

    it('is recognised in a model built by user code, with its arguments', () => {
      const m = new ScaledTanh(3);
      assert.equal(layerTypeOf(m), 'ScaledTanh');
      assert.deepEqual(argsOf(m), { scale: 3 });
    });

    it('is reasoned about by the rules through its traits', () => {
      const spec = parseSpec(SPEC, 'm.grad.yaml').spec!;
      const trace = traceModel(spec, 'm.grad.yaml');
      const findings = checkTrace({ trace, spec });
      const saturated = findings.find((f) => f.rule === 'saturated-activation');
      assert.ok(saturated, findings.map((f) => f.rule).join(', '));
      assert.equal(saturated.layer, '1');
      // Its gain is tanh's: the init the fix offers is Xavier with gain 5/3, and the message names the layer.
      const init = findings.find((f) => f.rule === 'poor-initialisation');
      assert.ok(init);
      assert.match(init.message, /Xavier for the ScaledTanh after it/);
      assert.ok(saturated.fixes.some((f) => /Replace ScaledTanh with ReLU/.test(f.title)));
      assert.equal(traitsOf('ScaledTanh').activation?.derivative, 'saturating');
    });

    it('is gone again once removed', () => {
      delete table.ScaledTanh;
      try {
        assert.equal(layerDef('ScaledTanh'), undefined);
        assert.match(parseSpec(SPEC, 'm.grad.yaml').diagnostics[0].message, /unknown layer 'ScaledTanh'/);
      } finally {
        table.ScaledTanh = SCALED_TANH;
      }
    });
  });

  describe('entries', () => {
    for (const type of layerTypes()) {
      it(`${type}: PyTorch name, documented arguments, its own engine module`, () => {
        const def: LayerDef = LAYERS[type];
        // Residual is the spec's form of a skip connection (x + body(x)), not a torch.nn class.
        if (def.traits.branches) assert.match(def.torch, /body\(x\)/);
        else assert.equal(def.torch, `torch.nn.${type}`);
        assert.ok(def.doc.length > 20);
        for (const a of def.args) assert.ok(a.doc.length > 5, `${type}.${a.name} has a doc`);
        const others = layerTypes().filter((t) => t !== type && (LAYERS[t] as LayerDef).module === def.module);
        assert.deepEqual(others, [], 'one engine module per layer type');
      });
    }

    // One entry of every layer, on an input it accepts: the spec's parameters (names and shapes, as
    // the catalogue derives them from the arguments) are the built module's, its output shape is what
    // the engine computes, and the JSON Schema accepts the entry.
    const SAMPLES: Record<string, { entry: string; input: string; output: string }> = {
      Linear: { entry: '{Linear: {in_features: 4, out_features: 3}}', input: '[4]', output: '[3]' },
      Conv1d: { entry: '{Conv1d: {in_channels: 2, out_channels: 3, kernel_size: 3, padding: 1}}', input: '[2, 6]', output: '[3, 6]' },
      Conv2d: { entry: '{Conv2d: {in_channels: 2, out_channels: 3, kernel_size: 3, stride: 2}}', input: '[2, 7, 7]', output: '[3, 3, 3]' },
      ConvTranspose1d: { entry: '{ConvTranspose1d: {in_channels: 3, out_channels: 2, kernel_size: 4, stride: 3, padding: 1, dilation: 2}}', input: '[3, 5]', output: '[2, 17]' },
      ConvTranspose2d: { entry: '{ConvTranspose2d: {in_channels: 3, out_channels: 2, kernel_size: 3, stride: 2, padding: 1, output_padding: 1, dilation: [2, 1]}}', input: '[3, 4, 5]', output: '[2, 10, 10]' },
      MaxPool1d: { entry: '{MaxPool1d: {kernel_size: 2}}', input: '[2, 6]', output: '[2, 3]' },
      AvgPool1d: { entry: '{AvgPool1d: {kernel_size: 3, stride: 2, padding: 1}}', input: '[2, 6]', output: '[2, 3]' },
      MaxPool2d: { entry: '{MaxPool2d: {kernel_size: 2, dilation: [1, 2]}}', input: '[2, 6, 6]', output: '[2, 3, 2]' },
      AvgPool2d: { entry: '{AvgPool2d: {kernel_size: 3, stride: 2, padding: 1}}', input: '[2, 6, 6]', output: '[2, 3, 3]' },
      BatchNorm1d: { entry: '{BatchNorm1d: {num_features: 4}}', input: '[4]', output: '[4]' },
      BatchNorm2d: { entry: '{BatchNorm2d: {num_features: 2}}', input: '[2, 3, 3]', output: '[2, 3, 3]' },
      LayerNorm: { entry: '{LayerNorm: {normalized_shape: [4]}}', input: '[3, 4]', output: '[3, 4]' },
      Embedding: { entry: '{Embedding: {num_embeddings: 7, embedding_dim: 3}}', input: '{shape: [5], distribution: {integers: {high: 7}}}', output: '[5, 3]' },
      Flatten: { entry: 'Flatten', input: '[2, 3]', output: '[6]' },
      Unflatten: { entry: '{Unflatten: {dim: 1, unflattened_size: [2, -1, 2]}}', input: '[12]', output: '[2, 3, 2]' },
      Softmax: { entry: '{Softmax: {dim: -1}}', input: '[4]', output: '[4]' },
      LogSoftmax: { entry: '{LogSoftmax: {dim: -1}}', input: '[4]', output: '[4]' },
      RNN: { entry: '{RNN: {input_size: 3, hidden_size: 4, num_layers: 2, nonlinearity: relu, batch_first: true}}', input: '[5, 3]', output: '[5, 4]' },
      LSTM: { entry: '{LSTM: {input_size: 3, hidden_size: 4, num_layers: 2, bidirectional: true, batch_first: true}}', input: '[5, 3]', output: '[5, 8]' },
      GRU: { entry: '{GRU: {input_size: 3, hidden_size: 4, bias: false, batch_first: true, bidirectional: true}}', input: '[5, 3]', output: '[5, 8]' },
      RNNCell: { entry: '{RNNCell: {input_size: 3, hidden_size: 4}}', input: '[3]', output: '[4]' },
      LSTMCell: { entry: '{LSTMCell: {input_size: 3, hidden_size: 4}}', input: '[3]', output: '[4]' },
      GRUCell: { entry: '{GRUCell: {input_size: 3, hidden_size: 4, bias: false}}', input: '[3]', output: '[4]' },
      MultiheadAttention: { entry: '{MultiheadAttention: {embed_dim: 8, num_heads: 2, add_bias_kv: true, batch_first: true}}', input: '[5, 8]', output: '[5, 8]' },
      TransformerEncoderLayer: { entry: '{TransformerEncoderLayer: {d_model: 8, nhead: 2, dim_feedforward: 16, batch_first: true}}', input: '[5, 8]', output: '[5, 8]' },
      TransformerEncoder: { entry: '{TransformerEncoder: {d_model: 8, nhead: 2, num_layers: 2, dim_feedforward: 16, batch_first: true, norm: true}}', input: '[5, 8]', output: '[5, 8]' },
      TransformerDecoderLayer: { entry: '{TransformerDecoderLayer: {d_model: 8, nhead: 2, dim_feedforward: 16, batch_first: true, norm_first: true}}', input: '[5, 8]', output: '[5, 8]' },
      TransformerDecoder: { entry: '{TransformerDecoder: {d_model: 8, nhead: 4, num_layers: 2, dim_feedforward: 16, batch_first: true}}', input: '[5, 8]', output: '[5, 8]' },
      Transformer: { entry: '{Transformer: {d_model: 8, nhead: 2, num_encoder_layers: 1, num_decoder_layers: 2, dim_feedforward: 16, batch_first: true}}', input: '[5, 8]', output: '[5, 8]' },
      Residual: { entry: '{Residual: {body: [{Linear: {in_features: 4, out_features: 3}}, ReLU], shortcut: [{Linear: {in_features: 4, out_features: 3, bias: false}}]}}', input: '[4]', output: '[3]' },
      GroupNorm: { entry: '{GroupNorm: {num_groups: 2, num_channels: 4}}', input: '[4, 3, 3]', output: '[4, 3, 3]' },
      InstanceNorm1d: { entry: '{InstanceNorm1d: {num_features: 2, affine: true}}', input: '[2, 5]', output: '[2, 5]' },
      InstanceNorm2d: { entry: '{InstanceNorm2d: {num_features: 2}}', input: '[2, 3, 3]', output: '[2, 3, 3]' },
      AdaptiveAvgPool2d: { entry: '{AdaptiveAvgPool2d: {output_size: [2, 1]}}', input: '[2, 5, 4]', output: '[2, 2, 1]' },
      Dropout2d: { entry: '{Dropout2d: {p: 0.2}}', input: '[2, 3, 3]', output: '[2, 3, 3]' },
      Hardtanh: { entry: '{Hardtanh: {min_val: -2, max_val: 2}}', input: '[4]', output: '[4]' },
      PixelShuffle: { entry: '{PixelShuffle: {upscale_factor: 2}}', input: '[8, 2, 3]', output: '[2, 4, 6]' },
      PixelUnshuffle: { entry: '{PixelUnshuffle: {downscale_factor: 3}}', input: '[1, 6, 3]', output: '[9, 2, 1]' },
      Sequential: { entry: '{Sequential: [{Linear: {in_features: 4, out_features: 2}}, Tanh]}', input: '[4]', output: '[2]' },
    };
    const validate = new Ajv({ allErrors: true, strict: true }).compile(buildSchema());
    for (const type of layerTypes()) {
      it(`${type}: the spec's parameters and output shape are the built module's`, () => {
        const sample = SAMPLES[type] ?? { entry: type, input: '[4]', output: '[4]' };
        const input = sample.input.startsWith('{') ? sample.input : `{shape: ${sample.input}}`;
        const text = `model:\n  - ${sample.entry}\ninput: ${input}\ntarget: {shape: ${sample.output}}\nloss: MSELoss\ntrace: {steps: 1, batch_size: 2}\n`;
        const { spec, diagnostics } = parseSpec(text, 'm.grad.yaml');
        assert.deepEqual(diagnostics, []);
        assert.ok(validate(YAML.parse(text)), JSON.stringify(validate.errors));
        const declared = layersBelow(spec!.model).flatMap((l) => l.params.map((p) => `${l.path}.${p.name} [${p.shape}]`));
        const built = buildModule(spec!, 'float64', new Rng(0)).namedParameters().map(([name, t]) => `${name} [${t.shape}]`);
        assert.deepEqual(declared, built);
        // The engine's forward gives the shape the spec inferred, batch axis first.
        const rng = new Rng(1);
        const module = buildModule(spec!, 'float64', rng);
        const shape = [2, ...spec!.input.shape];
        const size = shape.reduce((a, b) => a * b, 1);
        const x = type === 'Embedding' ? randint(0, 7, shape, rng) : tensor(Array.from({ length: size }, (_, i) => Math.sin(i + 1)), shape, 'float64');
        const y = module.call(x);
        assert.deepEqual(y.shape, [2, ...layersBelow(spec!.model)[0].outShape]);
        assert.ok(Array.from(y.data).every(Number.isFinite));
        // A model built by user code: the module is recognised as this layer, with these arguments.
        const [, child] = [...module.namedChildren()][0];
        assert.equal(layerTypeOf(child), type);
        // (an integer-or-pair argument reads back as the pair it means)
        const pairs = (args: Record<string, unknown>) =>
          Object.fromEntries(Object.entries(args).map(([k, v]) => [k, LAYERS[type].args.find((a) => a.name === k)?.type.kind === 'int-or-pair' && typeof v === 'number' ? [v, v] : v]));
        if (!traitsOf(type).container) assert.deepEqual(pairs(argsOf(child)), pairs(layersBelow(spec!.model)[0].args));
      });
    }

    it('prototype names are not layers', () => {
      for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) assert.equal(layerDef(name), undefined, name);
    });
  });

  it("Unflatten's sizes must multiply to the axis it splits, and the batch axis is not split", () => {
    const problem = (entry: string) => {
      const text = `model:\n  - ${entry}\ninput: {shape: [12]}\ntarget: {shape: [1]}\nloss: MSELoss\n`;
      const { diagnostics } = parseSpec(text, 'm.grad.yaml');
      return diagnostics.map((d) => `${d.message} @ ${text.slice(d.range.start, d.range.end)}`).join('; ');
    };
    assert.match(problem('{Unflatten: {dim: 1, unflattened_size: [5, 2]}}'), /Unflatten splits axis 1 of the batched input \[batch, 12\], of size 12, into \[5, 2\]: the sizes' product must be 12 @ \[5, 2\]/);
    assert.match(problem('{Unflatten: {dim: 1, unflattened_size: [-1, -1]}}'), /at most one -1/);
    assert.match(problem('{Unflatten: {dim: 0, unflattened_size: [2, 1]}}'), /would split the batch axis/);
  });

  it("PixelShuffle and PixelUnshuffle refuse a shape they cannot rearrange, in PyTorch's words, at the factor", () => {
    const problem = (entry: string, shape: string) => {
      const text = `model:\n  - ${entry}\ninput: {shape: ${shape}}\ntarget: {shape: [1]}\nloss: MSELoss\n`;
      const { diagnostics } = parseSpec(text, 'm.grad.yaml');
      return diagnostics.map((d) => `${d.message} @ ${text.slice(d.range.start, d.range.end)}`).join('; ');
    };
    assert.match(problem('{PixelShuffle: {upscale_factor: 2}}', '[6, 4, 4]'), /PixelShuffle of the input's \[6, 4, 4\]: pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of upscale_factor, but input.size\(-3\)=6 is not divisible by 4 @ 2/);
    assert.match(problem('{PixelUnshuffle: {downscale_factor: 3}}', '[1, 6, 4]'), /pixel_unshuffle expects width to be divisible by downscale_factor, but input.size\(-1\)=4 is not divisible by 3 @ 3/);
    assert.match(problem('{PixelShuffle: {upscale_factor: 2}}', '[8]'), /at least 3 dimensions, but got input with 2 dimension\(s\)/);
    assert.match(problem('{PixelShuffle: {upscale_factor: 0}}', '[4, 2, 2]'), /upscale_factor/);
    assert.match(problem('{PixelShuffle: {upscale_factor: 2}}', '[8, 3, 5]'), /model's output \[2, 6, 10\] with the target/);
  });

  it('no rule keeps its own list of layer, loss or optimiser names', () => {
    const rules = join(__dirname, '..', '..', '..', 'src', 'rules');
    const names = new Set<string>([...layerTypes(), ...LOSS_TYPES, ...OPTIMIZER_TYPES]);
    const lists: string[] = [];
    for (const f of readdirSync(rules).filter((x) => x.endsWith('.ts'))) {
      const text = readFileSync(join(rules, f), 'utf8');
      // A bracketed list of two or more quoted names, or a `case 'Name':` that switches on them.
      for (const m of text.matchAll(/\[\s*'[\w]+'(?:\s*,\s*'[\w]+')+\s*,?\s*\]/g)) {
        const quoted = [...m[0].matchAll(/'(\w+)'/g)].map((q) => q[1]);
        if (quoted.some((q) => names.has(q) || /^[A-Z]\w*(?:\dd|Loss|Norm|Pool\w*)$/.test(q))) lists.push(`${f}: ${m[0]}`);
      }
      for (const m of text.matchAll(/case '(\w+)':/g)) if (names.has(m[1])) lists.push(`${f}: case '${m[1]}'`);
    }
    assert.deepEqual(lists, []);
  });
});
