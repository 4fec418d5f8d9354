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
import { buildSchema, parseSpec } from '../../../src/model';
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
        assert.equal(def.torch, `torch.nn.${type}`);
        assert.ok(def.doc.length > 20);
        for (const a of def.args) assert.ok(a.doc.length > 5, `${type}.${a.name} has a doc`);
        const others = layerTypes().filter((t) => t !== type && (LAYERS[t] as LayerDef).module === def.module);
        assert.deepEqual(others, [], 'one engine module per layer type');
      });
    }

    it('prototype names are not layers', () => {
      for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) assert.equal(layerDef(name), undefined, name);
    });
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
