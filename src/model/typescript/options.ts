/**
 * `@model({...})` and `@trace({...})` options → the spec format's data, loss, optimiser and trace
 * settings, with the ranges of the options as the user wrote them (findings on the loss or the
 * optimiser land there). Same vocabulary and defaults as the spec format.
 */
import type { DataOption, ModelOptions, TraceOptions } from '../../authoring/registry';
import { ArgDef, DISTRIBUTIONS, DistributionKind, isRequired, LOSS_TYPES, lossDef, OPTIMIZER_TYPES, optimizerDef, OPTIMIZERS, TRACE_ARGS, withDefaults } from '../catalogue';
import type { ArgValue, DataSpec, Distribution, LossSpec, LossType, OptimizerSpec, OptimizerType, SourceRange, TraceSettings } from '../graph';
import { LIMITS, limitName } from '../../limits';
import { didYouMean } from '../suggest';
import { matchingClose, objectEntries, skipTrivia } from './text';

/** A mistake in the options, with the range of the offending text. */
export class ModelOptionsError extends Error {
  override name = 'ModelOptionsError';
  constructor(
    message: string,
    readonly range: SourceRange,
  ) {
    super(message);
  }
}

/** Where the parts of a decorator's options are written: each key's key and value. */
export type OptionRanges = Map<string, { key: SourceRange; value: SourceRange }>;

/**
 * The ranges of a decorator call's options object, given the position of the decorator's name
 * (`model` in `@model({...})`); an empty map when they are not a literal object.
 */
export function decoratorOptions(text: string, nameAt: number): { call: SourceRange; options: OptionRanges } {
  let i = nameAt;
  while (i < text.length && /[\w$.]/.test(text[i])) i++;
  const open = skipTrivia(text, i);
  const start = text[nameAt - 1] === '@' ? nameAt - 1 : nameAt;
  if (text[open] !== '(') return { call: { start, end: i }, options: new Map() };
  const close = matchingClose(text, open);
  const call = { start, end: close < 0 ? i : close + 1 };
  const brace = skipTrivia(text, open + 1);
  return { call, options: text[brace] === '{' ? objectEntries(text, brace) : new Map() };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * An option no one reads is a typo (`stpes`, `batchsize`) that would silently run with the default:
 * refused at its key, as the spec format refuses an unknown key. Own keys only: a name such as
 * `constructor` is a key like any other.
 */
function onlyKnownKeys(v: Record<string, unknown>, known: readonly string[], owner: string, word: string, at: (key: string) => SourceRange): void {
  const k = Object.keys(v).find((x) => !known.includes(x));
  if (k === undefined) return;
  throw new ModelOptionsError(`${owner} has no ${word} '${k}'.${didYouMean(k, known)} Its ${word}s are ${known.join(', ')}.`, at(k));
}

/** The single key of a `{Name: {args}}` option, or the string itself. */
function named(v: unknown): { type: string; args: Record<string, unknown> } | null {
  if (typeof v === 'string') return { type: v, args: {} };
  if (isObject(v)) {
    const keys = Object.keys(v);
    if (keys.length === 1) return { type: keys[0], args: isObject(v[keys[0]]) ? (v[keys[0]] as Record<string, unknown>) : {} };
  }
  return null;
}

/** The range of a `{Name: …}` value's key, or of the whole value (a string). */
function typeRangeOf(text: string, value: SourceRange): SourceRange {
  if (text[value.start] !== '{') return value;
  const first = objectEntries(text, value.start).values().next().value;
  return first ? first.key : value;
}

function argRangesOf(text: string, value: SourceRange): Record<string, SourceRange> {
  if (text[value.start] !== '{') return {};
  const first = objectEntries(text, value.start).values().next().value;
  if (!first || text[first.value.start] !== '{') return {};
  return Object.fromEntries([...objectEntries(text, first.value.start)].map(([k, r]) => [k, r.value]));
}

function shapeOf(v: unknown, what: string, range: SourceRange): number[] {
  if (!Array.isArray(v) || !v.every((d) => Number.isInteger(d) && d > 0)) {
    throw new ModelOptionsError(`${what} must be a per-sample shape of positive integers, e.g. [10], got ${JSON.stringify(v)}`, range);
  }
  return [...v];
}

function numberOr(v: unknown, fallback: number, what: string, range: SourceRange): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ModelOptionsError(`${what} must be a number, got ${JSON.stringify(v)}`, range);
  return v;
}

function distributionOf(v: unknown, what: string, range: SourceRange): Distribution {
  if (v === undefined || v === 'normal') return { kind: 'normal', mean: 0, std: 1 };
  if (v === 'bernoulli') return { kind: 'bernoulli', p: 0.5 };
  const d = named(v);
  const a = d?.args ?? {};
  if (d && Object.hasOwn(DISTRIBUTIONS, d.type)) onlyKnownKeys(a, DISTRIBUTIONS[d.type as DistributionKind].args.map((x) => x.name), `${what}.${d.type}`, 'argument', () => range);
  switch (d?.type) {
    case 'normal':
      return { kind: 'normal', mean: numberOr(a.mean, 0, `${what}.normal.mean`, range), std: numberOr(a.std, 1, `${what}.normal.std`, range) };
    case 'uniform':
      return { kind: 'uniform', low: numberOr(a.low, 0, `${what}.uniform.low`, range), high: numberOr(a.high, 1, `${what}.uniform.high`, range) };
    case 'integers':
      return { kind: 'integers', low: numberOr(a.low, 0, `${what}.integers.low`, range), high: numberOr(a.high, 2, `${what}.integers.high`, range) };
    case 'bernoulli':
      return { kind: 'bernoulli', p: numberOr(a.p, 0.5, `${what}.bernoulli.p`, range) };
  }
  throw new ModelOptionsError(
    `${what} must be normal, {normal: {mean, std}}, {uniform: {low, high}}, {integers: {low, high}} or bernoulli, got ${JSON.stringify(v)}`,
    range,
  );
}

const DATA_KEYS = ['shape', 'distribution', 'classes'];

export function dataSpecOf(v: DataOption | undefined, what: 'input' | 'target', ranges: OptionRanges, fallback: SourceRange): DataSpec {
  const range = ranges.get(what)?.value ?? fallback;
  if (v === undefined) throw new ModelOptionsError(`@model needs \`${what}\`: the per-sample shape, e.g. ${what}: [10]`, fallback);
  if (Array.isArray(v)) return { shape: shapeOf(v, what, range), distribution: { kind: 'normal', mean: 0, std: 1 }, file: null, range };
  if (!isObject(v)) throw new ModelOptionsError(`${what} must be a shape like [10] or {shape: [10], distribution: normal}`, range);
  onlyKnownKeys(v, DATA_KEYS, what, 'option', () => range);
  const o = v as Exclude<DataOption, readonly number[]>;
  if (o.classes !== undefined) {
    if (!Number.isInteger(o.classes) || o.classes < 1) throw new ModelOptionsError(`${what}.classes must be a positive integer`, range);
    return { shape: o.shape ? shapeOf(o.shape, `${what}.shape`, range) : [], distribution: { kind: 'classes', count: o.classes }, file: null, range };
  }
  return { shape: shapeOf(o.shape, `${what}.shape`, range), distribution: distributionOf(o.distribution, `${what}.distribution`, range), file: null, range };
}

/**
 * A `{Name: {args}}` option's arguments read against the catalogue's definitions: the defaults
 * filled, a value of the wrong type reported at its range, a required one that is missing named.
 */
function catalogueArgs(defs: readonly ArgDef[], given: Record<string, unknown>, owner: string, at: (name: string) => SourceRange, whole: SourceRange): Record<string, ArgValue> {
  onlyKnownKeys(given, defs.map((d) => d.name), owner, 'argument', at);
  const out: Record<string, ArgValue> = {};
  for (const def of defs) {
    const v = Object.hasOwn(given, def.name) ? given[def.name] : undefined;
    if (v === undefined) {
      if (isRequired(def)) throw new ModelOptionsError(`${owner} needs ${def.name}: {${owner}: {${def.name}: …}} (${def.doc})`, whole);
      Object.assign(out, withDefaults([def], {}));
      continue;
    }
    const t = def.type;
    const bad = (form: string) => new ModelOptionsError(`${owner} ${def.name} must be ${form}, got ${JSON.stringify(v)}`, at(def.name));
    switch (t.kind) {
      case 'bool':
        out[def.name] = v === true;
        break;
      case 'enum':
        if (typeof v !== 'string' || !t.values.includes(v)) throw bad(t.values.join(' or '));
        out[def.name] = v;
        break;
      case 'number-pair':
        if (!Array.isArray(v) || v.length !== 2 || !v.every((x) => typeof x === 'number')) throw bad(`a pair of numbers, e.g. ${JSON.stringify(def.default ?? [0, 0])}`);
        out[def.name] = [...v];
        break;
      default:
        if (typeof v !== 'number' || !Number.isFinite(v)) throw bad('a number');
        out[def.name] = v;
    }
  }
  return out;
}

export function lossSpecOf(v: unknown, text: string, ranges: OptionRanges, fallback: SourceRange): LossSpec {
  const range = ranges.get('loss')?.value ?? fallback;
  const d = named(v);
  const def = d && lossDef(d.type);
  if (!d || !def) {
    throw new ModelOptionsError(`loss must be one of ${LOSS_TYPES.join(', ')} (or {Name: {reduction}}), got ${JSON.stringify(v)}`, range);
  }
  const argRanges = argRangesOf(text, range);
  const args = catalogueArgs(def.args, d.args, d.type, (k) => argRanges[k] ?? range, range) as LossSpec['args'];
  return { type: d.type as LossType, args, range, typeRange: typeRangeOf(text, range), argRanges };
}

export function optimizerSpecOf(v: unknown, text: string, ranges: OptionRanges, fallback: SourceRange): OptimizerSpec {
  const range = ranges.get('optimizer')?.value ?? fallback;
  const d = named(v);
  const def = d && optimizerDef(d.type);
  if (!d || !def) {
    const forms = OPTIMIZER_TYPES.map((t) => `{${t}: {${OPTIMIZERS[t].args.slice(0, 2).map((a) => a.name).join(', ')}, …}}`);
    throw new ModelOptionsError(`optimizer must be ${forms.join(' or ')}, got ${JSON.stringify(v)}`, range);
  }
  const typeRange = typeRangeOf(text, range);
  const argRanges = argRangesOf(text, range);
  const at = (k: string) => argRanges[k] ?? range;
  const args = catalogueArgs(def.args, d.args, d.type, at, range);
  const wrong = def.check?.(args);
  if (wrong) throw new ModelOptionsError(wrong.error, at(wrong.arg));
  return { type: d.type as OptimizerType, args: args as OptimizerSpec['args'], range, typeRange, argRanges, clip: null };
}

const TRACE_DEFAULTS = withDefaults(TRACE_ARGS, {});
/** The spec format's batch_size is read too, so a spec's trace settings can be pasted as they are. */
const TRACE_KEYS = ['steps', 'batchSize', 'batch_size', 'seed', 'dtype'];

/** The spec format's trace defaults (the catalogue's: 20 steps, batch 8, seed 0, float32). */
/** `maxSteps` is the step limit (src/limits.ts): a count past it is refused at its value, as a spec's is. */
export function traceSettingsOf(v: TraceOptions | undefined, ranges: OptionRanges | null, fallback: SourceRange | null, maxSteps: number = LIMITS.maxSteps.default): TraceSettings {
  const o = (v ?? {}) as TraceOptions & { batch_size?: number };
  const range = fallback ?? { start: 0, end: 0 };
  const at = (k: string) => ranges?.get(k)?.value ?? range;
  if (isObject(o)) onlyKnownKeys(o, TRACE_KEYS, '@trace', 'option', (k) => ranges?.get(k)?.key ?? range);
  const count = (k: 'steps' | 'batchSize' | 'seed', value: unknown, fallbackValue: number, min: number): number => {
    if (value === undefined) return fallbackValue;
    if (!Number.isInteger(value) || (value as number) < min) throw new ModelOptionsError(`@trace ${k} must be an integer ≥ ${min}, got ${JSON.stringify(value)}`, at(k));
    return value as number;
  };
  const dtype = o.dtype ?? (TRACE_DEFAULTS.dtype as 'float32');
  if (dtype !== 'float32' && dtype !== 'float64') throw new ModelOptionsError(`@trace dtype must be float32 or float64, got ${JSON.stringify(dtype)}`, at('dtype'));
  const steps = count('steps', o.steps, TRACE_DEFAULTS.steps as number, 1);
  if (steps > maxSteps) throw new ModelOptionsError(`@trace steps is ${steps}, over the limit of ${maxSteps} steps per trace (${limitName('maxSteps')})`, at('steps'));
  return {
    steps,
    batchSize: count('batchSize', o.batchSize ?? o.batch_size, TRACE_DEFAULTS.batch_size as number, 1),
    seed: count('seed', o.seed, TRACE_DEFAULTS.seed as number, 0),
    dtype,
    range: fallback,
  };
}

const MODEL_KEYS = ['input', 'target', 'loss', 'optimizer'];

/** Every part of a model's spec that comes from its decorators. */
export function specPartsOf(options: ModelOptions, text: string, ranges: OptionRanges, fallback: SourceRange) {
  if (!isObject(options)) throw new ModelOptionsError('@model takes an options object', fallback);
  onlyKnownKeys(options, MODEL_KEYS, '@model', 'option', (k) => ranges.get(k)?.key ?? fallback);
  return {
    input: dataSpecOf(options.input, 'input', ranges, fallback),
    target: dataSpecOf(options.target, 'target', ranges, fallback),
    loss: lossSpecOf(options.loss, text, ranges, fallback),
    optimizer: optimizerSpecOf(options.optimizer, text, ranges, fallback),
  };
}
