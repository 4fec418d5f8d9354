/**
 * The JSON Schema (draft-07) of a training run's log records, and the decoder the reader runs on
 * every line: one description serves both, so the reader accepts exactly what the schema says.
 * `Props<T>` ties each object to its TypeScript type: a field missing here, an extra one, or a
 * required/optional mismatch does not compile.
 * `node -r esbuild-register schema/generate.ts` writes schema/gl-run.schema.json.
 */
import type { ActivationStep, LayerFlowStep, LayerOutputStep, ParamStep, RunLoss, SourceSite, TraceParam } from '../types';
import {
  RUN_LOG_FORMAT,
  RunEndRecord,
  RunGraphRecord,
  RunHeaderRecord,
  RunMessageRecord,
  RunModule,
  RunNonFiniteRecord,
  RunRecord,
  RunRecordKind,
  RunStepRecord,
} from './format';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The subset of JSON Schema the log uses. */
export type Schema =
  | { type: 'string' | 'boolean' | 'null' | 'integer'; description?: string; minimum?: number }
  | { type: 'number'; description?: string }
  | { enum: readonly Json[]; description?: string }
  | { anyOf: readonly Schema[]; description?: string }
  | { type: 'array'; items: Schema; description?: string }
  | { type: 'object'; properties: Record<string, Schema>; required: string[]; description?: string }
  | { type: 'object'; additionalProperties: Schema; description?: string }
  | { $ref: string }
  /** Any JSON value. */
  | { description: string };

interface Optional {
  optional: Schema;
}
type Props<T> = { [K in keyof Required<T>]-?: undefined extends T[K] ? Optional : Schema };

const NON_FINITE = ['NaN', 'Infinity', '-Infinity'] as const;

const str = (description?: string): Schema => ({ type: 'string', ...(description ? { description } : {}) });
const int = (description?: string, minimum?: number): Schema => ({ type: 'integer', ...(description ? { description } : {}), ...(minimum !== undefined ? { minimum } : {}) });
const bool = (description?: string): Schema => ({ type: 'boolean', ...(description ? { description } : {}) });
/** Marks the number schemas (found on the hot path by a property lookup, not by shape). */
const IS_NUMBER = Symbol('number or non-finite string');
/** A number, or a non-finite one written as a string. */
const num = (description?: string): Schema => {
  const s = { anyOf: [{ type: 'number' as const }, { enum: NON_FINITE }], ...(description ? { description } : {}) };
  Object.defineProperty(s, IS_NUMBER, { value: true });
  return s;
};
const list = (items: Schema, description?: string): Schema => ({ type: 'array', items, ...(description ? { description } : {}) });
const nullable = (s: Schema): Schema => ({ anyOf: [s, { type: 'null' }] });
type DefinitionName = 'site' | 'loss' | 'param' | 'module' | 'paramStep' | 'activationStep' | 'outputStep' | 'flowStep';
const ref = (name: DefinitionName): Schema => ({ $ref: `#/definitions/${name}` });
const opt = (s: Schema): Optional => ({ optional: s });
const constant = (value: Json, description?: string): Schema => ({ enum: [value], ...(description ? { description } : {}) });
const map = (values: Schema, description?: string): Schema => ({ type: 'object', additionalProperties: values, ...(description ? { description } : {}) });
const anything: Schema = { description: 'Any JSON value.' };

function object<T>(props: Props<T>, description?: string): Schema {
  const properties: Record<string, Schema> = {};
  const required: string[] = [];
  for (const [k, v] of Object.entries(props) as [string, Schema | Optional][]) {
    if ('optional' in v) properties[k] = v.optional;
    else {
      properties[k] = v;
      required.push(k);
    }
  }
  return { type: 'object', properties, required, ...(description ? { description } : {}) };
}

const site = object<SourceSite>(
  {
    file: str('Absolute path of the Python file.'),
    line: int('1-based line where the call starts.', 1),
    column: int('1-based column (UTF-16 code units) where the call starts.', 1),
    endLine: int('1-based line where the call ends.', 1),
    endColumn: int('1-based column just after the call (UTF-16 code units).', 1),
    inherited: opt(bool("Built in a library or copied: the site is its container's.")),
  },
  'Where the user wrote the call that built a module (or the loss).',
);

const loss = object<RunLoss>({
  type: str('torch.nn loss name, read from the autograd graph: MSELoss, CrossEntropyLoss, …'),
  reduction: str('none, mean or sum'),
  site: nullable(ref('site')),
});

const param = object<TraceParam>({ name: str('As named_parameters() names it: "0.weight".'), layer: str('The owning module\'s path.'), shape: list(int()) });

const module = object<RunModule>({
  path: str('As named_modules() names it; "" is the model itself.'),
  type: str('The class name: Linear, Sigmoid, or the user\'s own.'),
  args: { type: 'object', additionalProperties: anything, description: "A torch.nn layer's constructor arguments by PyTorch's names." },
  params: list(object<{ name: string; shape: number[] }>({ name: str(), shape: list(int()) })),
  children: list(str()),
  site: opt(ref('site')),
});

const paramStep = object<ParamStep>({
  reached: bool('False when the parameter has no gradient (no path to the loss).'),
  gradNorm: num('L2 norm of the finite gradient entries.'),
  gradMeanAbs: num(),
  gradMaxAbs: num(),
  zeroFraction: num('Share of gradient entries that are exactly zero.'),
  subnormalFraction: num("Share of nonzero entries below float32's smallest normal."),
  nonFinite: int('Gradient entries that are NaN or ±inf.', 0),
  weightNorm: num('Before the step.'),
  weightMean: num(),
  weightStd: num(),
  rowSpread: opt(num('How far the rows (units, filters) are from one another: sqrt(mean over inputs of the variance across rows); 0 when all are equal (symmetry), NaN for a vector.')),
  updateRatio: num('‖Δw‖/‖w‖ of this step\'s update.'),
  histogram: list(int(undefined, 0), 'Counts: exact zeros, one bin per decade of |g| from 1e-12 to 1e4, non-finite.'),
});

const activationStep = object<ActivationStep>({
  layer: str(),
  op: str('sigmoid, tanh, relu, leaky_relu, elu, gelu, softplus'),
  samples: int(undefined, 0),
  units: int('Elements per sample.', 0),
  saturatedShare: num('Entries whose local derivative is below 1% of its peak.'),
  flatShare: num('Entries whose derivative is below 1e-7.'),
  deadShare: num('Units active on fewer than 1% of their entries over the batch.'),
  deadUnits: opt({ enum: ['channels', 'units'], description: 'What deadShare counts: channels after a convolution, features otherwise.' }),
  zeroDerivativeShare: num(),
  inputMean: num(),
  inputStd: num(),
  inputMaxAbs: num(),
});

const outputStep = object<LayerOutputStep>({ layer: str(), absMax: num(), mean: num(), std: opt(num()), nonFinite: int(undefined, 0) });
const flowStep = object<LayerFlowStep>({ layer: str(), op: str(), outputGradNorm: num(), inputGradNorm: nullable(num()) });

const header = object<RunHeaderRecord>(
  {
    kind: constant('header'),
    format: constant(RUN_LOG_FORMAT),
    version: int('The log format version; a reader refuses a newer one.', 1),
    rank: int('torch.distributed rank (0 without distribution).', 0),
    part: opt(int('Set on the parts after the first: the log continues in rank<r>.part<n>.gl.jsonl.', 1)),
    run: str('Shared by every rank of the run.'),
    startedAt: str('ISO 8601.'),
    worldSize: int(undefined, 1),
    torch: str(),
    python: str(),
    host: str(),
    pid: int(),
    cwd: str(),
    logDir: str(),
    argv: list(str()),
    every: { anyOf: [int(undefined, 1), constant('auto')] },
    dtype: str(),
    optimizer: object<RunHeaderRecord['optimizer']>({ type: str(), lr: num(), args: { type: 'object', additionalProperties: anything }, site: opt(ref('site')) }),
    params: list(ref('param')),
    modules: list(ref('module')),
  },
  'The first line of every log file.',
);

const graph = object<RunGraphRecord>(
  {
    kind: constant('graph'),
    order: list(str(), 'Module paths in the order their forward passes finished.'),
    shapes: map(object<{ in: number[]; out: number[] }>({ in: list(int()), out: list(int()) }), 'Input and output shapes without the batch axis.'),
    batchSize: nullable(int()),
    loss: nullable(ref('loss')),
    backwardSite: nullable(ref('site')),
  },
  'Written once, after the first recorded step.',
);

const step = object<RunStepRecord>(
  {
    kind: constant('step'),
    step: int('The optimiser step.', 0),
    loss: num('Mean of the losses passed to backward() in this step.'),
    lr: num(),
    time: num('Seconds since the run started.'),
    batchSize: opt(int()),
    params: list(ref('paramStep'), "In the header's params order."),
    activations: list(ref('activationStep')),
    outputs: list(ref('outputStep')),
    flow: list(ref('flowStep')),
  },
  'One recorded optimiser step.',
);

const nonFinite = object<RunNonFiniteRecord>(
  {
    kind: constant('nonFinite'),
    step: int(undefined, 0),
    op: str('The module type that produced it, "input" (already in the batch) or "loss".'),
    layer: nullable(str()),
    phase: { enum: ['forward', 'backward'] },
    nan: int(undefined, 0),
    inf: int(undefined, 0),
    inputMaxAbs: num(),
    recorded: bool('False when only the loss of an unrecorded step showed it.'),
  },
  'The first NaN or Inf this rank saw.',
);

const message = object<RunMessageRecord>({ kind: constant('message'), step: int(), text: str() }, 'A note from the hook.');

const end = object<RunEndRecord>(
  {
    kind: constant('end'),
    step: int('The last optimiser step.'),
    reason: str('"finished", "exit 1", "error: …"'),
    recordedSteps: int(undefined, 0),
    interval: int(undefined, 1),
    overheadShare: opt(num("Recording's measured share of step time.")),
  },
  'The last line of a run that ended.',
);

const DEFINITIONS: Record<DefinitionName, Schema> = { site, loss, param, module, paramStep, activationStep, outputStep, flowStep };

/** One schema per record kind: the reader decodes a line by its `kind`. */
export const RECORD_SCHEMAS: { [K in RunRecordKind]: Schema } = { header, graph, step, nonFinite, message, end };

export function buildRunLogSchema(): Record<string, unknown> {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://gradient-lens.dev/schema/gl-run.schema.json',
    title: 'Gradient Lens training-run log record',
    description:
      'One line of a *.gl.jsonl file written by the gradient_lens Python package. Non-finite numbers are the strings "NaN", "Infinity", "-Infinity". Readers skip records of an unknown kind and refuse a header whose version is newer than theirs.',
    definitions: { ...DEFINITIONS, ...RECORD_SCHEMAS },
    oneOf: (Object.keys(RECORD_SCHEMAS) as RunRecordKind[]).map((k) => ({ $ref: `#/definitions/${k}` })),
  };
}

export function runLogSchemaText(): string {
  return JSON.stringify(buildRunLogSchema(), null, 2) + '\n';
}

// ── Decoding ────────────────────────────────────────────────────────────────────────────────

export class DecodeError extends Error {
  override name = 'DecodeError';
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path || '(record)'}: ${message}`);
  }
}

const NON_FINITE_VALUE: Record<string, number> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };

function isNumberSchema(s: Schema): boolean {
  return (s as { [IS_NUMBER]?: boolean })[IS_NUMBER] === true || ('anyOf' in s && s.anyOf.length === 2 && 'type' in s.anyOf[0] && s.anyOf[0].type === 'number');
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return `"${v.length > 40 ? v.slice(0, 40) + '…' : v}"`;
  return typeof v === 'object' ? 'an object' : String(v);
}

const FAIL = Symbol('does not fit');
const REFS = new Map<string, Schema>();

function resolve(ref: string): Schema {
  let s = REFS.get(ref);
  if (!s) {
    s = DEFINITIONS[ref.slice('#/definitions/'.length) as DefinitionName];
    REFS.set(ref, s);
  }
  return s;
}

/** Checks and converts one value in place, returning it, or FAIL. */
type Fit = (value: unknown) => unknown;
const COMPILED = new Map<Schema, Fit>();

const fitNumber: Fit = (v) => (typeof v === 'number' ? v : typeof v === 'string' && v in NON_FINITE_VALUE ? NON_FINITE_VALUE[v] : FAIL);

/**
 * The reader's hot path: each schema compiled once into a small function that checks and converts
 * without building anything (no paths, no errors), so a 2 GB log is not slowed down by its checks.
 * `explain` says where and why when a value does not fit.
 */
function compile(schema: Schema): Fit {
  const known = COMPILED.get(schema);
  if (known) return known;
  let f: Fit;
  if (isNumberSchema(schema)) f = fitNumber;
  else if ('$ref' in schema) {
    let target: Fit | undefined;
    f = (v) => (target ??= compile(resolve(schema.$ref)))(v);
  } else if ('anyOf' in schema) {
    const options = schema.anyOf.map(compile);
    f = (v) => {
      for (const o of options) {
        const r = o(v);
        if (r !== FAIL) return r;
      }
      return FAIL;
    };
  } else if ('enum' in schema) {
    const values = schema.enum;
    f = values.length === 1 ? (v) => (v === values[0] ? v : FAIL) : (v) => (values.includes(v as Json) ? v : FAIL);
  } else if (!('type' in schema)) f = (v) => v;
  else {
    switch (schema.type) {
      case 'string':
        f = (v) => (typeof v === 'string' ? v : FAIL);
        break;
      case 'boolean':
        f = (v) => (typeof v === 'boolean' ? v : FAIL);
        break;
      case 'null':
        f = (v) => (v === null ? v : FAIL);
        break;
      case 'number':
        f = (v) => (typeof v === 'number' ? v : FAIL);
        break;
      case 'integer': {
        const min = schema.minimum ?? -Infinity;
        f = (v) => (typeof v === 'number' && Number.isInteger(v) && v >= min ? v : FAIL);
        break;
      }
      case 'array': {
        let item: Fit | undefined;
        const items = schema.items;
        f = (v) => {
          if (!Array.isArray(v)) return FAIL;
          item ??= compile(items);
          for (let i = 0; i < v.length; i++) {
            const r = item(v[i]);
            if (r === FAIL) return FAIL;
            v[i] = r;
          }
          return v;
        };
        break;
      }
      case 'object': {
        if ('properties' in schema) {
          const keys = Object.keys(schema.properties);
          const props = schema.properties;
          let fits: Fit[] | undefined;
          const required = schema.required;
          f = (v) => {
            if (v === null || typeof v !== 'object' || Array.isArray(v)) return FAIL;
            const obj = v as Record<string, unknown>;
            for (let i = 0; i < required.length; i++) if (!Object.prototype.hasOwnProperty.call(obj, required[i])) return FAIL;
            fits ??= keys.map((k) => compile(props[k]));
            for (let i = 0; i < keys.length; i++) {
              const k = keys[i];
              const x = obj[k];
              if (x === undefined && !Object.prototype.hasOwnProperty.call(obj, k)) continue;
              const r = fits[i](x);
              if (r === FAIL) return FAIL;
              if (r !== x) obj[k] = r;
            }
            return obj;
          };
        } else {
          const values = schema.additionalProperties;
          let value: Fit | undefined;
          f = (v) => {
            if (v === null || typeof v !== 'object' || Array.isArray(v)) return FAIL;
            const obj = v as Record<string, unknown>;
            value ??= compile(values);
            for (const k of Object.keys(obj)) {
              const r = value(obj[k]);
              if (r === FAIL) return FAIL;
              obj[k] = r;
            }
            return obj;
          };
        }
        break;
      }
    }
  }
  COMPILED.set(schema, f);
  return f;
}

function fit(schema: Schema, value: unknown): unknown {
  return compile(schema)(value);
}

/**
 * Checks `value` against `schema` and returns it with non-finite strings turned into numbers.
 * Objects keep unknown fields (a newer writer of the same version may add some). Throws a
 * DecodeError naming the place that does not fit.
 */
export function decode(schema: Schema, value: unknown): unknown {
  const r = fit(schema, value);
  if (r !== FAIL) return r;
  explain(schema, value, '');
  throw new DecodeError('', 'does not fit the schema');
}

/** Finds why a value does not fit (the slow path, taken only for a bad record) and throws it. */
function explain(schema: Schema, value: unknown, path: string): void {
  if ('$ref' in schema) return explain(resolve(schema.$ref), value, path);
  if (fit(schema, value) !== FAIL) return;
  if (isNumberSchema(schema)) throw new DecodeError(path, `expected a number, found ${describe(value)}`);
  if ('anyOf' in schema) {
    // The branch of the same shape says the most ("expected a number" rather than "expected null").
    const branch = schema.anyOf.find((s) => !('type' in s && s.type === 'null') && !('enum' in s)) ?? schema.anyOf[0];
    if (branch) explain(branch, value, path);
    throw new DecodeError(path, `unexpected ${describe(value)}`);
  }
  if ('enum' in schema) throw new DecodeError(path, `expected ${schema.enum.map((v) => JSON.stringify(v)).join(' or ')}, found ${describe(value)}`);
  if (!('type' in schema)) return;
  if (schema.type === 'array' && Array.isArray(value)) {
    value.forEach((v, i) => explain(schema.items, v, `${path}/${i}`));
  } else if (schema.type === 'object' && value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    if ('properties' in schema) {
      for (const k of schema.required) if (!Object.prototype.hasOwnProperty.call(obj, k)) throw new DecodeError(path, `missing "${k}"`);
      for (const k in schema.properties) if (Object.prototype.hasOwnProperty.call(obj, k)) explain(schema.properties[k], obj[k], `${path}/${k}`);
    } else {
      for (const k of Object.keys(obj)) explain(schema.additionalProperties, obj[k], `${path}/${k}`);
    }
  }
  const NAMES: Record<string, string> = { array: 'a list', object: 'an object', integer: 'an integer', string: 'a string', boolean: 'true or false', null: 'null', number: 'a number' };
  const expected = schema.type === 'integer' && 'minimum' in schema && schema.minimum !== undefined ? `an integer ≥ ${schema.minimum}` : NAMES[schema.type];
  throw new DecodeError(path, `expected ${expected}, found ${describe(value)}`);
}

/** A parsed line as a record of a known kind, or null for a kind this reader does not know. */
export function decodeRecord(value: unknown): RunRecord | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new DecodeError('', `a record is a JSON object, found ${describe(value)}`);
  const kind = (value as { kind?: unknown }).kind;
  if (typeof kind !== 'string') throw new DecodeError('', 'missing "kind"');
  if (!Object.prototype.hasOwnProperty.call(RECORD_SCHEMAS, kind)) return null;
  return decode(RECORD_SCHEMAS[kind as RunRecordKind], value) as RunRecord;
}
