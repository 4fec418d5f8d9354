/**
 * Per-sample shape rules, as PyTorch computes a layer's output shape (and refuses an input it
 * cannot take), with messages that name both shapes and the argument to blame.
 */
import type { ArgValue } from '../graph';
import { windowOutputLength } from '../../engine/shape';
import { formatShape } from './args';

export interface ParamDef {
  name: string;
  shape: number[];
}

/** What a shape rule knows about the tensor coming in. */
export interface ShapeInput {
  args: Record<string, ArgValue>;
  /** Per sample (no batch axis). */
  inShape: number[];
  /** Who gives that shape, for messages: "the input", "the previous layer (0: Linear)". */
  from: string;
  batchSize: number;
  /** Integer indices in [low, high) (Embedding's input), 'unknown' for a data file, null for floats. */
  indices: { low: number; high: number } | 'unknown' | null;
}

/**
 * The per-sample output shape, or why there is none; `arg` names the argument to blame, and `fit`
 * its value that would take this input (offered as a quick fix: "Set in_features to 16").
 */
export type ShapeResult = { shape: number[] } | { error: string; arg?: string; code?: string; fit?: ArgValue };

export const pair = (v: ArgValue): [number, number] => (Array.isArray(v) ? [v[0], v[1]] : [v as number, v as number]);
export const n = (v: ArgValue): number => v as number;
export const same = (i: ShapeInput): ShapeResult => ({ shape: [...i.inShape] });
export const noParams = (): ParamDef[] => [];

/** Convolutions and pooling: [channels, ...spatial] in, `out(channels)` channels out. */
export function convLike(layer: string, spatial: 1 | 2, channelsArg: string | null, out: (c: number, args: Record<string, ArgValue>) => number) {
  return (i: ShapeInput): ShapeResult => {
    const axes = spatial === 1 ? 'channels, length' : 'channels, height, width';
    if (i.inShape.length !== spatial + 1) {
      return { error: `${layer} expects a per-sample input [${axes}] but ${i.from} gives ${formatShape(i.inShape)}` };
    }
    const c = i.inShape[0];
    if (channelsArg !== null && c !== n(i.args[channelsArg])) {
      return { error: `${layer} expects ${n(i.args[channelsArg])} input channels but ${i.from} gives ${formatShape(i.inShape)} (${c} channels)`, arg: channelsArg, fit: c };
    }
    const [kh, kw] = pair(i.args.kernel_size);
    const [sh, sw] = pair(i.args.stride);
    const [ph, pw] = pair(i.args.padding);
    // average pooling has no dilation argument: dense
    const [dh, dw] = pair(i.args.dilation ?? 1);
    const ks = spatial === 1 ? [kh] : [kh, kw];
    const ss = spatial === 1 ? [sh] : [sh, sw];
    const ps = spatial === 1 ? [ph] : [ph, pw];
    const ds = spatial === 1 ? [dh] : [dh, dw];
    const shape = [out(c, i.args)];
    for (let d = 0; d < spatial; d++) {
      const len = i.inShape[1 + d];
      const o = windowOutputLength(len, ks[d], ss[d], ps[d], ds[d], i.args.ceil_mode === true);
      if (o <= 0) {
        const name = spatial === 1 ? 'length' : d === 0 ? 'height' : 'width';
        const kernel = ds[d] === 1 ? `${ks[d]}` : `${ks[d]}, ${ds[d] * (ks[d] - 1) + 1} wide with dilation ${ds[d]}`;
        return {
          error: `${layer}'s kernel (${kernel}) is larger than the padded input ${name} (${len} + 2·${ps[d]} = ${len + 2 * ps[d]}) from ${i.from}, which gives ${formatShape(i.inShape)} (PyTorch: "Kernel size can't be greater than actual input size")`,
          arg: ds[d] === 1 ? 'kernel_size' : 'dilation',
        };
      }
      shape.push(o);
    }
    return { shape };
  };
}

export function convParams(spatial: 1 | 2) {
  return (a: Record<string, ArgValue>): ParamDef[] => {
    const k = spatial === 1 ? [n(a.kernel_size)] : pair(a.kernel_size);
    // grouped: each output channel sees in_channels/groups inputs, as PyTorch's weight
    const out: ParamDef[] = [{ name: 'weight', shape: [n(a.out_channels), n(a.in_channels) / n(a.groups ?? 1), ...k] }];
    if (a.bias !== false) out.push({ name: 'bias', shape: [n(a.out_channels)] });
    return out;
  };
}

/** PyTorch's nn.Conv*d: both channel counts split evenly into the groups. */
export function groupsCheck(a: Record<string, ArgValue>): { error: string; arg: string } | null {
  const g = n(a.groups ?? 1);
  if (n(a.in_channels) % g !== 0) return { error: `in_channels must be divisible by groups (in_channels ${n(a.in_channels)}, groups ${g})`, arg: 'groups' };
  if (n(a.out_channels) % g !== 0) return { error: `out_channels must be divisible by groups (out_channels ${n(a.out_channels)}, groups ${g})`, arg: 'groups' };
  return null;
}

/** PyTorch: "pad should be at most half of effective kernel size". */
export function poolCheck(a: Record<string, ArgValue>): { error: string; arg: string } | null {
  const [kh, kw] = pair(a.kernel_size);
  const [ph, pw] = pair(a.padding);
  if (ph > kh / 2 || pw > kw / 2) return { error: `padding ${JSON.stringify(a.padding)} must be at most half the kernel size ${JSON.stringify(a.kernel_size)}`, arg: 'padding' };
  // PyTorch's own check (AvgPool2d.cpp: "divisor must be not zero").
  if (a.divisor_override === 0) return { error: 'divisor_override must be not zero', arg: 'divisor_override' };
  return null;
}

/** Softmax's dim counts the batch axis, as in PyTorch. */
export function dimCheck(layer: string) {
  return (i: ShapeInput): ShapeResult => {
    const rank = i.inShape.length + 1;
    const d = n(i.args.dim);
    if (d < -rank || d >= rank) {
      return { error: `${layer} dim ${d} is out of range for the batched input [batch, ${i.inShape.join(', ')}]`.replace(', ]', ']') + ` (rank ${rank}): use a dim in [${-rank}, ${rank - 1}]`, arg: 'dim' };
    }
    return same(i);
  };
}

export function batchNormShape(layer: string, spatial: 0 | 2) {
  return (i: ShapeInput): ShapeResult => {
    const r = i.inShape.length;
    const ok = spatial === 0 ? r === 1 || r === 2 : r === 3;
    if (!ok) {
      const want = spatial === 0 ? '[num_features] or [num_features, length]' : '[num_features, height, width]';
      return { error: `${layer} expects a per-sample input ${want} but ${i.from} gives ${formatShape(i.inShape)}` };
    }
    if (i.inShape[0] !== n(i.args.num_features)) {
      return {
        error: `${layer} expects ${n(i.args.num_features)} features (channels) but ${i.from} gives ${formatShape(i.inShape)} (${i.inShape[0]} on axis 1 of the batch)`,
        arg: 'num_features',
        fit: i.inShape[0],
      };
    }
    let perChannel = i.batchSize;
    for (let d = 1; d < r; d++) perChannel *= i.inShape[d];
    if (perChannel <= 1) {
      return {
        error: `${layer} in training needs more than 1 value per channel, but batch_size ${i.batchSize} with per-sample shape ${formatShape(i.inShape)} gives 1 (PyTorch raises "Expected more than 1 value per channel when training"): use a batch_size of 2 or more`,
        code: 'spec/batch-size',
      };
    }
    return same(i);
  };
}

export function normParams(a: Record<string, ArgValue>): ParamDef[] {
  if (a.affine === false) return [];
  return [
    { name: 'weight', shape: [n(a.num_features)] },
    { name: 'bias', shape: [n(a.num_features)] },
  ];
}

/** Unflatten: splits axis dim of the batched input into unflattened_size (one entry may be -1). */
export function unflattenShape(i: ShapeInput): ShapeResult {
  const batched = [i.batchSize, ...i.inShape];
  const r = batched.length;
  const d = n(i.args.dim) < 0 ? n(i.args.dim) + r : n(i.args.dim);
  const where = `the batched input [batch, ${i.inShape.join(', ')}]`.replace(', ]', ']');
  if (d < 0 || d >= r) return { error: `Unflatten dim ${n(i.args.dim)} is out of range for ${where} (rank ${r})`, arg: 'dim' };
  if (d === 0) return { error: 'Unflatten with dim 0 would split the batch axis; use dim: 1 or later', arg: 'dim' };
  const given = i.args.unflattened_size;
  const sizes = Array.isArray(given) ? [...given] : [n(given)];
  if (sizes.some((s) => s === 0 || s < -1) || sizes.filter((s) => s === -1).length > 1) {
    return { error: `Unflatten unflattened_size ${formatShape(sizes)} must hold sizes ≥ 1 and at most one -1`, arg: 'unflattened_size' };
  }
  const known = sizes.reduce((p, s) => (s === -1 ? p : p * s), 1);
  const size = batched[d];
  if (sizes.includes(-1) ? size % known !== 0 : known !== size) {
    return { error: `Unflatten splits axis ${d} of ${where}, of size ${size}, into ${formatShape(sizes)}: the sizes' product must be ${size}`, arg: 'unflattened_size' };
  }
  const inner = sizes.map((s) => (s === -1 ? size / known : s));
  return { shape: [...batched.slice(0, d), ...inner, ...batched.slice(d + 1)].slice(1) };
}

/** Flatten: merges axes start_dim..end_dim of the batched input (batch axis included in the count). */
export function flattenShape(i: ShapeInput): ShapeResult {
  const batched = [i.batchSize, ...i.inShape];
  const r = batched.length;
  const norm = (d: number) => (d < 0 ? d + r : d);
  const s = norm(n(i.args.start_dim));
  const e = norm(n(i.args.end_dim));
  const where = `the batched input [batch, ${i.inShape.join(', ')}]`.replace(', ]', ']');
  if (s < 0 || s >= r) return { error: `Flatten start_dim ${n(i.args.start_dim)} is out of range for ${where} (rank ${r})`, arg: 'start_dim' };
  if (e < 0 || e >= r) return { error: `Flatten end_dim ${n(i.args.end_dim)} is out of range for ${where} (rank ${r})`, arg: 'end_dim' };
  if (s > e) return { error: `Flatten start_dim (${n(i.args.start_dim)}) comes after end_dim (${n(i.args.end_dim)}) for ${where}`, arg: 'start_dim' };
  if (s === 0 && e > 0) return { error: `Flatten with start_dim 0 would merge the batch axis into the samples; use start_dim: 1`, arg: 'start_dim' };
  let merged = 1;
  for (let d = s; d <= e; d++) merged *= batched[d];
  const out = [...batched.slice(0, s), merged, ...batched.slice(e + 1)];
  return { shape: out.slice(1) };
}
