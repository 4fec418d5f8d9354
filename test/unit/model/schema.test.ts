import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import * as YAML from 'yaml';
import { buildSchema } from '../../../src/model';
import { schemaText } from '../../../src/model/schema';

const ROOT = join(__dirname, '..', '..', '..');
const EXAMPLES = join(ROOT, 'examples');
const SCHEMA_FILE = join(ROOT, 'schema', 'grad-spec.schema.json');

function load(text: string, file: string): unknown {
  return /\.json$/.test(file) ? JSON.parse(text) : YAML.parse(text);
}

describe('spec: JSON Schema', () => {
  const ajv = new Ajv({ allErrors: true, strict: true });
  const validate = ajv.compile(buildSchema());

  it('the committed schema is the generated one (regenerate: node -r esbuild-register schema/generate.ts)', () => {
    assert.equal(readFileSync(SCHEMA_FILE, 'utf8'), schemaText());
  });

  it('is draft-07 with hover docs on layers and arguments', () => {
    const s = buildSchema() as { $schema: string; definitions: Record<string, { description?: string; properties?: Record<string, { description?: string; properties?: Record<string, { description?: string }> }> }> };
    assert.equal(s.$schema, 'http://json-schema.org/draft-07/schema#');
    const linear = s.definitions['layer.Linear'];
    assert.match(linear.description!, /torch\.nn\.Linear/);
    assert.match(linear.properties!.Linear.properties!.bias.description!, /Default: true/);
  });

  for (const f of readdirSync(EXAMPLES).filter((x) => /\.grad\.(ya?ml|json)$/.test(x))) {
    it(`${f} validates`, () => {
      const ok = validate(load(readFileSync(join(EXAMPLES, f), 'utf8'), f));
      assert.ok(ok, JSON.stringify(validate.errors, null, 1));
    });
  }

  const seed = () => load(readFileSync(join(EXAMPLES, 'seed.grad.yaml'), 'utf8'), 'seed.grad.yaml') as Record<string, unknown>;
  const malformed: [string, (s: Record<string, unknown>) => void][] = [
    ['an unknown layer', (s) => ((s.model as unknown[])[1] = 'Sigmod')],
    ['a misspelt argument', (s) => ((s.model as unknown[])[0] = { Linear: { in_feature: 10, out_features: 10 } })],
    ['a missing required argument', (s) => ((s.model as unknown[])[0] = { Linear: { in_features: 10 } })],
    ['a bare layer that needs arguments', (s) => ((s.model as unknown[])[0] = 'Linear')],
    ['a string size', (s) => ((s.model as unknown[])[0] = { Linear: { in_features: 'ten', out_features: 10 } })],
    ['a zero size', (s) => ((s.model as unknown[])[0] = { Linear: { in_features: 0, out_features: 10 } })],
    ['Dropout p above 1', (s) => ((s.model as unknown[])[1] = { Dropout: { p: 1.5 } })],
    ['two layers in one entry', (s) => ((s.model as unknown[])[1] = { ReLU: null, Tanh: null })],
    ['an init for a missing parameter', (s) => ((s.model as unknown[])[0] = { Linear: { in_features: 10, out_features: 10 }, init: { gamma: 'zeros' } })],
    ['an unknown init scheme', (s) => ((s.model as unknown[])[0] = { Linear: { in_features: 10, out_features: 10 }, init: { weight: 'xavier' } })],
    ['an unknown top-level key', (s) => (s.optimiser = { SGD: { lr: 0.1 } })],
    ['no loss', (s) => delete s.loss],
    ['an unknown loss', (s) => (s.loss = 'MSE')],
    ['SGD without lr', (s) => (s.optimizer = 'SGD')],
    ['a trace dtype', (s) => (s.trace = { dtype: 'float16' })],
    ['data and distribution together', (s) => (s.input = { shape: [10], data: 'x.json', distribution: 'normal' })],
    ['an empty model', (s) => (s.model = [])],
  ];
  for (const [name, mutate] of malformed) {
    it(`rejects ${name}`, () => {
      const s = seed();
      assert.ok(validate(s), 'the seed validates before the change');
      mutate(s);
      assert.equal(validate(s), false);
    });
  }

  it('takes a sidecar of a Python file: input and target required only with build', () => {
    assert.ok(validate({ model: { python: 'model.py' }, trace: { dropout: false } }), JSON.stringify(validate.errors));
    assert.ok(validate({ model: { python: 'm.py', build: 'GPT(GPTConfig())', loss: 'model(x, y)[1]' }, input: { shape: [16] }, target: { shape: [16] } }), JSON.stringify(validate.errors));
    assert.equal(validate({ model: { python: 'm.py', build: 'GPT()' } }), false);
    assert.equal(validate({ model: { python: 'm.txt' } }), false);
    assert.equal(validate({ model: { python: 'm.py', forward: 'x' } }), false);
    assert.equal(validate({ model: ['Sigmoid'] }), false);
  });
});
