/**
 * The JSON Schema (draft-07) of *.grad.yaml / *.grad.json, generated from the catalogue so that
 * editor completion and hover docs say exactly what the parser accepts. Shapes are the parser's
 * job: a schema cannot check that one layer's output fits the next.
 * `node -r esbuild-register schema/generate.ts` writes schema/grad-spec.schema.json.
 */
import {
  ArgDef,
  ArgType,
  CLIP_KEYS,
  CLIPS,
  DISTRIBUTION_KINDS,
  DISTRIBUTIONS,
  INIT_SCHEMES,
  INITS,
  isRequired,
  layerTypes,
  LAYERS,
  type LayerDef,
  type LayerType,
  LOSS_TYPES,
  LOSSES,
  MAX_SIZE,
  OPTIMIZER_TYPES,
  OPTIMIZERS,
  REQUIRED_TOP_LEVEL_KEYS,
  TRACE_ARGS,
} from './catalogue';

type Schema = Record<string, unknown>;

function intSchema(min: number | undefined): Schema {
  return { type: 'integer', ...(min !== undefined ? { minimum: min } : { minimum: -MAX_SIZE }), maximum: MAX_SIZE };
}

function numberSchema(t: { min?: number; max?: number; minExclusive?: boolean; maxExclusive?: boolean }): Schema {
  const s: Schema = { type: 'number' };
  if (t.min !== undefined) s[t.minExclusive ? 'exclusiveMinimum' : 'minimum'] = t.min;
  if (t.max !== undefined) s[t.maxExclusive ? 'exclusiveMaximum' : 'maximum'] = t.max;
  return s;
}

function typeSchema(t: ArgType): Schema {
  switch (t.kind) {
    case 'int':
      return intSchema(t.min);
    case 'int-or-pair':
      return { anyOf: [intSchema(t.min), { type: 'array', items: intSchema(t.min), minItems: 2, maxItems: 2 }] };
    case 'int-or-list':
      return { anyOf: [intSchema(t.min), { type: 'array', items: intSchema(t.min), minItems: 1 }] };
    case 'int-or-null':
      return { anyOf: [intSchema(undefined), { type: 'null' }] };
    case 'number':
      return numberSchema(t);
    case 'number-pair':
      return { type: 'array', items: numberSchema(t), minItems: 2, maxItems: 2 };
    case 'bool':
      return { type: 'boolean' };
    case 'enum':
      return { type: 'string', enum: [...t.values] };
  }
}

function argSchema(a: ArgDef): Schema {
  const base = typeSchema(a.type);
  const s: Schema = a.defaultFrom ? { anyOf: [base, { type: 'null' }] } : base;
  const dflt = a.default !== undefined ? ` Default: ${JSON.stringify(a.default)}.` : '';
  s.description = `${a.doc}${dflt}`;
  if (a.default !== undefined) s.default = a.default;
  return s;
}

/** A map of arguments; null (`Linear:` with nothing after) is fine when none is required. */
function argsSchema(defs: readonly ArgDef[], description: string): Schema {
  const required = defs.filter(isRequired).map((a) => a.name);
  const s: Schema = {
    description,
    type: required.length ? 'object' : ['object', 'null'],
    properties: Object.fromEntries(defs.map((a) => [a.name, argSchema(a)])),
    additionalProperties: false,
  };
  if (required.length) s.required = required;
  return s;
}

/** `Name` alone (when nothing is required) or `{Name: args}`: losses, optimisers, inits, distributions. */
function oneKeySchema(catalogue: Record<string, { doc: string; args: readonly ArgDef[] }>, names: string[], value?: (name: string) => Schema | undefined): Schema {
  const bare = names.filter((k) => !catalogue[k].args.some(isRequired)).map((k) => ({ const: k, description: catalogue[k].doc }));
  const maps = names.map((k) => ({
    type: 'object',
    description: catalogue[k].doc,
    properties: { [k]: value?.(k) ?? argsSchema(catalogue[k].args, catalogue[k].doc) },
    required: [k],
    additionalProperties: false,
  }));
  return { anyOf: [...bare, ...maps] };
}

/** `Adam`, `{Adam: {lr: 0.001}}`, or that with gradient clipping beside it: `{Adam: {…}, clip_grad_norm: 1.0}`. */
function optimizerSchema(): Schema {
  const clips = Object.fromEntries(
    CLIP_KEYS.map((k) => {
      const d = CLIPS[k];
      return [k, { description: d.doc, anyOf: [{ ...numberSchema({ min: 0, minExclusive: true }), description: `The ${d.shorthand}.` }, argsSchema(d.args, d.doc)] }];
    }),
  );
  const { anyOf } = oneKeySchema(OPTIMIZERS, OPTIMIZER_TYPES) as { anyOf: Schema[] };
  // the optimiser's key and at most one clipping: two keys at most
  const withClip = anyOf.map((s) => (s.type === 'object' ? { ...s, properties: { ...(s.properties as Schema), ...clips }, maxProperties: 2 } : s));
  return { description: `The optimiser (torch.optim), with ${CLIP_KEYS.join(' or ')} beside it to clip the gradients before each step. Default: SGD with lr 0.01.`, anyOf: withClip };
}

function layerSchema(type: LayerType): Schema {
  const def: LayerDef = LAYERS[type];
  const branches = def.traits.branches;
  const value = branches
    ? {
        description: def.doc,
        type: 'object',
        properties: Object.fromEntries(branches.map((b) => [b, { description: `The ${b}: a list of layers applied in order (${type}'s ${b}.<j>.… parameters).`, type: 'array', minItems: 1, items: { $ref: '#/definitions/layer' } }])),
        required: [branches[0]],
        additionalProperties: false,
      }
    : def.traits.container
      ? { description: def.doc, type: ['array', 'null'], items: { $ref: '#/definitions/layer' } }
      : argsSchema(def.args, def.doc);
  const properties: Schema = { [type]: value, name: { $ref: '#/definitions/layerName' } };
  if (def.paramNames.length) {
    properties.init = {
      description: `Initialisation per parameter of ${type} (${def.paramNames.join(', ')}), overriding PyTorch's default.`,
      type: 'object',
      properties: Object.fromEntries(def.paramNames.map((p) => [p, { $ref: '#/definitions/init' }])),
      additionalProperties: false,
    };
  }
  return { type: 'object', description: def.doc, properties, required: [type], additionalProperties: false };
}

function dataSchema(which: 'input' | 'target'): Schema {
  const samples: Schema = {
    type: 'object',
    description: `The ${which} of one training step: synthetic samples from a distribution, or a data file.`,
    properties: {
      shape: {
        description: 'Shape of one sample, without the batch axis, e.g. [10] or [1, 8, 8].',
        type: 'array',
        items: intSchema(1),
      },
      distribution: { $ref: '#/definitions/distribution' },
      data: {
        description: 'A data file relative to the spec, instead of synthetic samples: .json ({"shape": [samples, ...], "data": [...]} or a nested list) or NumPy .npy; its first axis is the batch.',
        type: 'string',
        minLength: 1,
      },
    },
    required: ['shape'],
    additionalProperties: false,
    not: { properties: { data: {}, distribution: {} }, required: ['data', 'distribution'] },
  };
  if (which === 'input') return samples;
  const classes: Schema = {
    type: 'object',
    description: 'Class-index targets in [0, classes), one per sample, for CrossEntropyLoss and NLLLoss.',
    properties: {
      classes: { ...intSchema(1), description: 'Number of classes: the model must output [classes] per sample.' },
      shape: { type: 'array', maxItems: 0 },
      data: { description: 'A file of class indices relative to the spec, one per sample, instead of random ones: .json (a list, or {"shape": [samples], "data": [...]}) or NumPy .npy.', type: 'string', minLength: 1 },
    },
    required: ['classes'],
    additionalProperties: false,
  };
  return { anyOf: [samples, classes] };
}

export function buildSchema(): Schema {
  const types = layerTypes();
  const bareLayers = types.filter((t) => !LAYERS[t].args.some(isRequired)).map((t) => ({ const: t, description: LAYERS[t].doc }));
  const definitions: Schema = {
    layers: {
      description: 'The layers, applied in order (an implicit torch.nn.Sequential). Parameter names follow named_parameters(): 0.weight, fc1.bias, encoder.0.weight.',
      type: 'array',
      minItems: 1,
      items: { $ref: '#/definitions/layer' },
    },
    layer: {
      description: 'A layer name (- ReLU) or a map with one layer key (- Linear: {in_features: 10, out_features: 5}), plus optional name and init.',
      anyOf: [...bareLayers, ...types.map((t) => ({ $ref: `#/definitions/layer.${t}` }))],
    },
    layerName: {
      description: 'The key of this layer in named_parameters() (fc1 → fc1.weight) instead of its index.',
      type: 'string',
      pattern: '^[^.\\s]+$',
    },
    ...Object.fromEntries(types.map((t) => [`layer.${t}`, layerSchema(t)])),
    init: {
      description: 'An init scheme as torch.nn.init names it: xavier_uniform, {kaiming_normal: {nonlinearity: relu}}, {normal: {std: 0.01}}, zeros, {constant: 0.5}.',
      ...oneKeySchema(INITS, INIT_SCHEMES, (k) => {
        const d = INITS[k as keyof typeof INITS];
        const args = argsSchema(d.args, d.doc);
        return d.shorthand ? { description: d.doc, anyOf: [{ type: 'number' }, args] } : undefined;
      }),
    },
    distribution: {
      description: 'How synthetic samples are drawn. Default: normal (mean 0, std 1).',
      ...oneKeySchema(DISTRIBUTIONS, DISTRIBUTION_KINDS),
    },
  };
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'Gradient Lens model spec',
    description: 'A model (torch.nn layer names and arguments), its data, loss, optimiser and trace settings, for Gradient Lens to trace gradients through.',
    type: 'object',
    properties: {
      $schema: { type: 'string' },
      model: {
        oneOf: [
          { $ref: '#/definitions/layers' },
          {
            type: 'object',
            description: 'A PyTorch file the model comes from (a sidecar spec): the file, and optionally how to build the model and its loss.',
            properties: {
              python: { type: 'string', pattern: '\\.(py|ipynb)$', description: 'The .py or .ipynb file, relative to this spec.' },
              build: { type: 'string', description: 'A Python expression that builds the model, evaluated after the file: GPT(GPTConfig(n_layer=2)). Without it, the script\'s own training loop is traced.' },
              loss: { type: 'string', description: 'A Python expression for the loss over model, x and y: model(x, y)[1]. Without it, the spec\'s loss of model(x).' },
              args: {
                description: 'The script\'s command-line arguments (sys.argv[1:], what argparse reads): a list of words [--dataset, fake] or one string "--dataset fake" split as a shell would. Without them the script runs as with none, a required argument not followed.',
                oneOf: [{ type: 'string' }, { type: 'array', items: { anyOf: [{ type: 'string' }, { type: 'number' }] } }],
              },
            },
            required: ['python'],
            additionalProperties: false,
          },
        ],
      },
      input: dataSchema('input'),
      target: dataSchema('target'),
      loss: { description: `The loss, as torch.nn names it: ${LOSS_TYPES.join(', ')}.`, ...oneKeySchema(LOSSES, LOSS_TYPES) },
      optimizer: optimizerSchema(),
      trace: argsSchema(TRACE_ARGS, 'How the trace runs: steps, batch size, seed and dtype.'),
    },
    required: ['model'],
    // A sidecar (model: {python: ...}) needs input and target only with build: without it the script's loop has them.
    if: { properties: { model: { type: 'object', properties: { python: {} }, required: ['python'] } } },
    then: { if: { properties: { model: { type: 'object', properties: { build: {} }, required: ['build'] } } }, then: requiredKeys(['input', 'target']) },
    else: requiredKeys([...REQUIRED_TOP_LEVEL_KEYS]),
    additionalProperties: false,
    definitions,
  };
}

/** A subschema that only requires keys (each declared, as ajv's strict mode wants). */
function requiredKeys(keys: string[]): Schema {
  return { type: 'object', properties: Object.fromEntries(keys.map((k) => [k, {}])), required: keys };
}

/** The file's text: stable key order and a final newline, so regenerating leaves no diff. */
export function schemaText(): string {
  return `${JSON.stringify(buildSchema(), null, 2)}\n`;
}
