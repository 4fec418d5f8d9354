/**
 * The spec's sections besides the model: trace settings, input and target (shape, distribution or
 * data file, class indices), the loss and the optimiser with its gradient clipping.
 */
import type { DataSpec, Distribution, LossSpec, LossType, OptimizerSpec, OptimizerType, SourceRange, TraceSettings } from '../graph';
import { CLIP_KEYS, CLIPS, type ClipKey, DEFAULT_OPTIMIZER, DISTRIBUTION_KINDS, DISTRIBUTIONS, type DistributionKind, LOSS_TYPES, LOSSES, OPTIMIZER_TYPES, OPTIMIZERS, type OptimizerDef, TRACE_ARGS, withDefaults } from '../catalogue';
import type { LEntry } from '../located';
import { didYouMean } from '../suggest';
import { limitName } from '../../limits';
import type { SpecReading } from './context';
import { describe } from './messages';
import { isNull, readArg, readArgs, oneKey } from './args';

export function readTrace(cx: SpecReading, e: LEntry | undefined): TraceSettings | null {
  if (!e) return { steps: 20, batchSize: 8, seed: 0, dtype: 'float32', range: null };
  const a = readArgs(cx, TRACE_ARGS, e.value, 'trace', e.keyRange);
  if (!a.ok) return null;
  if ((a.values.steps as number) > cx.limits.maxSteps) {
    cx.error('spec/too-large', `trace steps is ${a.values.steps}, over the limit of ${cx.limits.maxSteps} steps per trace (${limitName('maxSteps')})`, a.ranges.steps);
    return null;
  }
  return {
    steps: a.values.steps as number,
    batchSize: a.values.batch_size as number,
    seed: a.values.seed as number,
    dtype: a.values.dtype as 'float32' | 'float64',
    ...(a.values.dropout === false ? { dropout: false } : {}),
    range: e.value.range,
  };
}

export function readData(cx: SpecReading, e: LEntry, which: 'input' | 'target'): { spec: DataSpec; range: SourceRange; shapeRange: SourceRange; classesRange: SourceRange | null } | null {
  const v = e.value;
  const keys = which === 'target' ? ['shape', 'distribution', 'data', 'classes'] : ['shape', 'distribution', 'data'];
  const form = which === 'target' ? '{shape: [1], distribution: normal} or {classes: 10}' : '{shape: [10], distribution: normal}';
  if (v.kind !== 'map') {
    cx.error('spec/type', `${which} must be a map like ${form}, not ${describe(v)}`, isNull(v) ? e.keyRange : v.range);
    return null;
  }
  const field = new Map<string, LEntry>();
  let ok = true;
  for (const f of v.entries) {
    if (keys.includes(f.key)) field.set(f.key, f);
    else {
      cx.error('spec/unknown-key', `${which} has no field '${f.key}'.${didYouMean(f.key, keys)} Its fields are ${keys.join(', ')}.`, f.keyRange, cx.meant(f.key, keys, f.keyRange));
      ok = false;
    }
  }
  const classes = field.get('classes');
  if (classes) {
    const count = readArg(cx, { name: 'classes', type: { kind: 'int', min: 1 }, doc: '' }, classes.value, which);
    const dist = field.get('distribution');
    if (dist) {
      cx.error('spec/type', `${which} with classes draws class indices in [0, classes), or reads them from data: remove 'distribution'`, dist.keyRange);
      ok = false;
    }
    const data = field.get('data');
    const file = data ? dataPath(cx, data, which) : null;
    if (data && file === null) ok = false;
    const shape = field.get('shape');
    if (shape && !(shape.value.kind === 'list' && shape.value.items.length === 0)) {
      cx.error('spec/type', `class-index targets have one index per sample (shape []): remove shape, or use a shape-matching target without classes`, shape.value.range);
      ok = false;
    }
    if (count === undefined || !ok) return null;
    return {
      spec: { shape: [], distribution: { kind: 'classes', count: count as number }, file, ...(data && file !== null ? { fileRange: data.value.range } : {}), range: v.range },
      range: v.range,
      shapeRange: classes.value.range,
      classesRange: classes.value.range,
    };
  }
  const shapeEntry = field.get('shape');
  let shape: number[] | undefined;
  if (!shapeEntry) {
    const also = field.has('data') ? ' (with data, shape is still needed so the layers can be checked before the file is read)' : '';
    cx.error('spec/missing', `${which} needs shape, the size of one sample without the batch axis: ${form}${also}`, e.keyRange);
    ok = false;
  } else if (shapeEntry.value.kind !== 'list') {
    cx.error('spec/type', `${which} shape must be a list of positive integers, e.g. [10] or [1, 8, 8] (got ${describe(shapeEntry.value)})`, shapeEntry.value.range);
    ok = false;
  } else {
    shape = [];
    for (const d of shapeEntry.value.items) {
      const k = readArg(cx, { name: 'shape', type: { kind: 'int', min: 1 }, doc: '' }, d, which);
      if (k === undefined) {
        shape = undefined;
        break;
      }
      shape.push(k as number);
    }
  }
  let distribution: Distribution | null = null;
  let file: string | null = null;
  const dataEntry = field.get('data');
  const distEntry = field.get('distribution');
  if (dataEntry) {
    if (distEntry) {
      cx.error('spec/type', `${which} takes either data (a file) or distribution (synthetic samples), not both`, distEntry.keyRange);
      ok = false;
    }
    file = dataPath(cx, dataEntry, which);
    if (file === null) ok = false;
  } else if (distEntry) {
    const d = readDistribution(cx, distEntry, which);
    if (d) distribution = d;
    else ok = false;
  } else {
    distribution = { kind: 'normal', mean: 0, std: 1 };
  }
  if (!ok || !shape) return null;
  const fileRange = dataEntry && file !== null ? { fileRange: dataEntry.value.range } : {};
  return { spec: { shape, distribution, file, ...fileRange, range: v.range }, range: v.range, shapeRange: shapeEntry!.value.range, classesRange: null };
}

/** The `data:` path as written, or null (reported) when it is not a path. */
function dataPath(cx: SpecReading, e: LEntry, which: string): string | null {
  const v = e.value;
  if (v.kind === 'scalar' && typeof v.value === 'string' && v.value.trim()) return v.value;
  cx.error('spec/type', `${which} data must be the path of a .json or .npy file relative to the spec (got ${describe(v)})`, v.range);
  return null;
}

function readDistribution(cx: SpecReading, e: LEntry, which: string): Distribution | null {
  const one = oneKey(cx, e.value, `${which} distribution`);
  if (!one) return null;
  if (!(DISTRIBUTION_KINDS as string[]).includes(one.key)) {
    const hint = one.key === 'classes' && which === 'target' ? ' For class indices write target: {classes: N}.' : '';
    cx.error(
      'spec/unknown-distribution',
      `unknown distribution '${one.key}'.${didYouMean(one.key, DISTRIBUTION_KINDS)} Distributions are ${DISTRIBUTION_KINDS.join(', ')}.${hint}`,
      one.keyRange,
      cx.meant(one.key, DISTRIBUTION_KINDS, one.keyRange),
    );
    return null;
  }
  const kind = one.key as DistributionKind;
  const a = readArgs(cx, DISTRIBUTIONS[kind].args, one.args, kind, one.keyRange);
  if (!a.ok) return null;
  const x = a.values as Record<string, number>;
  if ((kind === 'uniform' && x.low > x.high) || (kind === 'integers' && x.low >= x.high)) {
    cx.error('spec/type', `${kind} needs low ${kind === 'integers' ? '<' : '≤'} high (got low ${x.low}, high ${x.high})`, a.ranges.high ?? a.ranges.low ?? one.keyRange);
    return null;
  }
  switch (kind) {
    case 'normal':
      return { kind, mean: x.mean, std: x.std };
    case 'uniform':
      return { kind, low: x.low, high: x.high };
    case 'integers':
      return { kind, low: x.low, high: x.high };
    case 'bernoulli':
      return { kind, p: x.p };
  }
}

export function readLoss(cx: SpecReading, e: LEntry): LossSpec | null {
  const one = oneKey(cx, e.value, 'loss');
  if (!one) return null;
  if (!(LOSS_TYPES as string[]).includes(one.key)) {
    cx.error('spec/unknown-loss', `unknown loss '${one.key}'.${didYouMean(one.key, LOSS_TYPES)} Losses are ${LOSS_TYPES.join(', ')}.`, one.keyRange, cx.meant(one.key, LOSS_TYPES, one.keyRange));
    return null;
  }
  const type = one.key as LossType;
  const a = readArgs(cx, LOSSES[type].args, one.args, type, one.keyRange);
  if (!a.ok) return null;
  return { type, args: a.values as LossSpec['args'], range: e.value.range, typeRange: one.keyRange, argRanges: a.ranges };
}

export function readOptimizer(cx: SpecReading, e: LEntry | undefined): OptimizerSpec | null {
  if (!e) {
    const end = { start: cx.text.length, end: cx.text.length };
    const args = withDefaults(OPTIMIZERS.SGD.args, DEFAULT_OPTIMIZER.args) as OptimizerSpec['args'];
    return { type: DEFAULT_OPTIMIZER.type, args, range: end, typeRange: end, argRanges: {}, clip: null };
  }
  // clip_grad_norm / clip_grad_value sit beside the optimiser's own key
  let value = e.value;
  let clip: OptimizerSpec['clip'] = null;
  if (value.kind === 'map' && value.entries.some((x) => (CLIP_KEYS as string[]).includes(x.key))) {
    const clips = value.entries.filter((x) => (CLIP_KEYS as string[]).includes(x.key));
    for (const extra of clips.slice(1)) {
      cx.error('spec/type', `one gradient clipping per optimizer: ${clips[0].key} is already given`, extra.keyRange);
      return null;
    }
    clip = readClip(cx, clips[0]);
    if (!clip) return null;
    value = { ...value, entries: value.entries.filter((x) => !(CLIP_KEYS as string[]).includes(x.key)) };
    if (!value.entries.length) {
      cx.error('spec/missing', `the optimizer section needs an optimizer beside ${clips[0].key}, e.g. {Adam: {lr: 0.001}, ${clips[0].key}: …}`, e.keyRange);
      return null;
    }
  }
  // {Adam: {…}, clip_grad_nrom: 1}: the stray key is the one to point at, not the whole map
  if (value.kind === 'map' && value.entries.length > 1 && value.entries.some((x) => (OPTIMIZER_TYPES as string[]).includes(x.key))) {
    const stray = value.entries.find((x) => !(OPTIMIZER_TYPES as string[]).includes(x.key)) ?? value.entries[1];
    const known = (OPTIMIZER_TYPES as string[]).includes(stray.key) ? '' : didYouMean(stray.key, CLIP_KEYS);
    cx.error('spec/unknown-key', `the optimizer section holds one optimizer and at most one of ${CLIP_KEYS.join(', ')}, not '${stray.key}'.${known}`, stray.keyRange);
    return null;
  }
  const one = oneKey(cx, value, 'optimizer');
  if (!one) return null;
  if (!(OPTIMIZER_TYPES as string[]).includes(one.key)) {
    const known = [...OPTIMIZER_TYPES, ...CLIP_KEYS];
    cx.error(
      'spec/unknown-optimizer',
      `unknown optimizer '${one.key}'.${didYouMean(one.key, known)} Optimizers are ${OPTIMIZER_TYPES.join(', ')}; ${CLIP_KEYS.join(' and ')} may go beside one.`,
      one.keyRange,
      cx.meant(one.key, known, one.keyRange),
    );
    return null;
  }
  const type = one.key as OptimizerType;
  const a = readArgs(cx, OPTIMIZERS[type].args, one.args, type, one.keyRange);
  if (!a.ok) return null;
  const x = a.values;
  const wrong = (OPTIMIZERS[type] as OptimizerDef).check?.(x);
  if (wrong) {
    cx.error('spec/type', wrong.error, a.ranges[wrong.arg] ?? one.keyRange);
    return null;
  }
  return { type, args: x as OptimizerSpec['args'], range: e.value.range, typeRange: one.keyRange, argRanges: a.ranges, clip };
}

/** `clip_grad_norm: {max_norm: 1.0, norm_type: 2}`, or its shorthand `clip_grad_norm: 1.0`; clip_grad_value likewise. */
function readClip(cx: SpecReading, e: LEntry): OptimizerSpec['clip'] {
  const key = e.key as ClipKey;
  const def = CLIPS[key];
  let node = e.value;
  if (node.kind === 'scalar' && node.value !== null) node = { kind: 'map', entries: [{ key: def.shorthand, keyRange: node.range, value: node }], range: node.range };
  const a = readArgs(cx, def.args, node, key, e.keyRange);
  if (!a.ok) return null;
  const range = { key: e.keyRange, value: e.value.range };
  return key === 'clip_grad_norm'
    ? { kind: 'norm', maxNorm: a.values.max_norm as number, normType: a.values.norm_type as number, ranges: range }
    : { kind: 'value', clipValue: a.values.clip_value as number, ranges: range };
}
